#ifndef HOTLINE_CSQLITE_SHIM_H
#define HOTLINE_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
