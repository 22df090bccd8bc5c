#ifndef HOTLINE_CSQLITE_SHIM_H
#define HOTLINE_CSQLITE_SHIM_H
#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call. Memory statistics off: with them on (Debian's default),
   every allocation SQLite makes takes a process-wide mutex to count it, about a tenth of writing a ticket row on a
   unit's work loop (perf, hotline-bench hop). Takes effect only before SQLite initialises; later it is refused
   (SQLITE_MISUSE) and nothing changes. */
static inline int hotline_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
