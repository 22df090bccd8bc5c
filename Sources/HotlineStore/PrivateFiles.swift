import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Database {
    /// Makes a database file and its write-ahead log and shared-memory files readable by their owner only, creating
    /// the database file empty (an empty file is an empty SQLite database) if it is not there yet. SQLite creates a
    /// file with mode 0644 less the umask, and gives the `-wal` and `-shm` files the database file's mode: created
    /// 0600 first, all three stay 0600. The file holds every ticket (the personal fields sealed, the complaint and
    /// its handling not): nobody but the node's own account has a reason to read it. Returns the files whose mode
    /// it narrowed (an installation from before this rule), for the caller to log.
    public static func keepPrivate(path: String) throws(StoreError) -> [String] {
        var narrowed: [String] = []
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw .fileAccess("cannot create \(path): \(String(cString: strerror(errno))); check that the data directory exists and is writable by the node's account")
        }
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }  // no log yet: SQLite creates it with the database's mode
            guard info.st_mode & 0o077 != 0 else { continue }
            guard chmod(file, info.st_mode & 0o700) == 0 else {
                throw .fileAccess("cannot make \(file) private (mode \(String(info.st_mode & 0o777, radix: 8))): \(String(cString: strerror(errno))); run `chmod 600 \(file)` as its owner")
            }
            narrowed.append(file)
        }
        return narrowed
    }
}
