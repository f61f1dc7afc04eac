import Core
import Glibc
import NIOCore
import NIOPosix
import SQLiteNIO

/// Copies the WAL into the database file, on a connection of its own, and keeps the WAL from growing
/// under a steady stream of commits.
///
/// A passive checkpoint runs beside the writer and never blocks it. But SQLite writes the WAL from its
/// start again only when a write transaction begins with every frame already copied, and under a
/// steady load a passive checkpoint never catches up: new commits land while it copies. Measured with
/// webhooks at ~4,800/s: the WAL grew by 60 MB/s to 1.2 GB in 20 s, every commit's fsync also wrote
/// the file's new size and blocks, and when the load stopped, the first checkpoint that caught up
/// truncated 1.1 GB (to `journal_size_limit`) and a delivery waited 400-450 ms. So once the WAL holds
/// `restartFrames` pages, a round also restarts it, holding the writer back only while the last few
/// frames are copied.
struct Checkpointer: Sendable {
    let connection: SQLiteConnection
    let path: String
    /// The store's write lock: held, no commit can land.
    let writeLock: AsyncLock
    /// The WAL length, in pages, at which a round restarts it (see `SQLiteStore.open`).
    let restartFrames: Int64

    /// One round: copy the WAL; if it is long, flush the database file and restart the WAL.
    func round() async {
        guard let log = await checkpoint("PASSIVE"), log >= restartFrames else { return }
        // SQLite syncs the database file only after a checkpoint that caught up. Flushing what this
        // one copied now, without the lock, leaves that sync little to write while the writer waits.
        await flushDatabaseFile()
        // Another pass so that only the frames committed meanwhile are left for the locked one.
        _ = await checkpoint("PASSIVE")
        // RESTART also waits for readers of old frames; with SQLite's busy handler off it gives up at
        // once if there are any, and the next round tries again.
        _ = await writeLock.withLock { await checkpoint("RESTART") }
    }

    /// Runs `PRAGMA wal_checkpoint(mode)`; the frames in the WAL, or nil if it failed.
    private func checkpoint(_ mode: String) async -> Int64? {
        try? await SQLiteStore.run(SQL("PRAGMA wal_checkpoint(\(mode))"), on: connection, busyTimeout: nil).first?["log"].int
    }

    private func flushDatabaseFile() async {
        let path = self.path
        _ = try? await NIOThreadPool.singleton.runIfActive {
            let fd = Glibc.open(path, O_RDONLY)
            guard fd >= 0 else { return }
            _ = fdatasync(fd)
            Glibc.close(fd)
        }
    }

    func close() async {
        // The future-returning close: the async one gives up in a cancelled task and leaves the connection open.
        let closed: EventLoopFuture<Void> = connection.close()
        try? await closed.get()
    }
}
