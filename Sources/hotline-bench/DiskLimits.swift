import Foundation
import Glibc

/// The disk's own ceiling for durable writes: any store that makes each commit durable with
/// one flush (our SQLite in WAL mode with synchronous=FULL, a broker's fsync per batch) cannot
/// commit more batches per second than the device completes flushes.
enum DiskLimits {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Rewrites the same 4 KB block and calls `fsync` after each write, for `seconds`.
    /// `fsync` rather than `fdatasync` because that is what SQLite issues on the WAL with
    /// synchronous=FULL; rewriting one block in place keeps the file size fixed, so the
    /// figure is the device's flush latency and not metadata or allocation work.
    /// Returns flushes per second and the median microseconds one flush took.
    static func fsyncsPerSecond(directory: URL, seconds: Double) throws -> (perSecond: Double, medianMicros: Double) {
        guard seconds > 0 else { throw Failure(description: "fsync probe duration must be positive, got \(seconds)") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("fsync-probe-\(getpid()).bin").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(fd)
            unlink(path)
        }
        var block = [UInt8](repeating: 0, count: 4096)
        var samples: [Double] = []
        let start = now()
        var elapsed = 0.0
        repeat {
            // Change the block each time so no layer can skip the write as unchanged.
            block[samples.count % block.count] &+= 1
            let before = now()
            let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            guard written == block.count else {
                throw Failure(description: "pwrite \(path): \(written < 0 ? String(cString: strerror(errno)) : "short write of \(written) bytes")")
            }
            guard fsync(fd) == 0 else { throw Failure(description: "fsync \(path): \(String(cString: strerror(errno)))") }
            let after = now()
            samples.append((after - before) * 1_000_000)
            elapsed = after - start
        } while elapsed < seconds
        samples.sort()
        let mid = samples.count / 2
        let median = samples.count % 2 == 1 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2
        return (Double(samples.count) / elapsed, median)
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
