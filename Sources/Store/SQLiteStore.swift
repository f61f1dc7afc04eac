import Core
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// The embedded default: one database file in WAL mode, one writer connection that serialises write
/// transactions, and a few reader connections that read committed snapshots concurrently.
public final class SQLiteStore: Store {
    public let engine = Engine.sqlite
    public let path: String
    private let writer: SQLiteConnection
    private let writerThread: WriterThread
    private let readers: SQLiteReaders
    private let writeLock: AsyncLock
    /// A connection of its own for `PRAGMA data_version`, which only sees other connections' commits.
    private let watcher: SQLiteConnection
    /// Copies the WAL into the database file in the background (see `open`).
    private let checkpointer: Task<Void, Never>
    /// How long a statement waits for another process's write lock before giving up (see `run`).
    private let busyTimeout: Duration
    private let synchronous: Synchronous

    public enum Synchronous: String, Sendable {
        /// fsync at every commit: a committed transaction survives power loss.
        case full = "FULL"
        /// fsync at checkpoints: survives a crash of the process, not of the machine. Faster.
        case normal = "NORMAL"
    }

    public var location: String { "sqlite:\(path)" }

    private init(
        path: String,
        writer: SQLiteConnection,
        writerThread: WriterThread,
        writeLock: AsyncLock,
        readers: [SQLiteConnection],
        watcher: SQLiteConnection,
        checkpointer: Task<Void, Never>,
        busyTimeout: Duration,
        synchronous: Synchronous
    ) {
        self.busyTimeout = busyTimeout
        self.synchronous = synchronous
        self.path = path
        self.writer = writer
        self.writerThread = writerThread
        self.writeLock = writeLock
        self.readers = SQLiteReaders(readers)
        self.watcher = watcher
        self.checkpointer = checkpointer
    }

    /// Opens (creating if needed) the database file at `path`. The WAL is written from its start again
    /// once it holds `walRestartFrames` pages (see `Checkpointer`): 48 MiB of 4 KiB pages, before it
    /// reaches `journal_size_limit` (64 MiB), so under load the WAL file is written over, neither
    /// extended nor cut back.
    public static func open(
        path: String,
        readers: Int = 3,
        synchronous: Synchronous = .full,
        busyTimeoutMillis: Int = 5000,
        walRestartFrames: Int64 = 12_288
    ) async throws -> SQLiteStore {
        let logger = Logger(label: "zoho-sidecar.sqlite")
        // Owner-only from the first byte: the file holds sealed secrets and business data.
        if !FileManager.default.fileExists(atPath: path) {
            let fd = Glibc.open(path, O_WRONLY | O_CREAT, 0o600)
            if fd >= 0 { Glibc.close(fd) }
        }
        let busyTimeout = Duration.milliseconds(busyTimeoutMillis)
        let writerThread = WriterThread()
        let writeLock = AsyncLock()
        var opened: [SQLiteConnection] = []
        func connect(on pool: NIOThreadPool = .singleton) async throws -> SQLiteConnection {
            do {
                let c = try await SQLiteConnection.open(
                    storage: .file(path: path),
                    threadPool: pool,
                    logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any()
                )
                opened.append(c)
                // No busy handler in SQLite: `run` waits for another process's lock itself (see there).
                _ = try await c.query("PRAGMA busy_timeout = 0")
                _ = try await c.query("PRAGMA synchronous = \(synchronous.rawValue)")
                // Odoo's `like` is case-sensitive; SQLite's is not unless told.
                _ = try await c.query("PRAGMA case_sensitive_like = ON")
                return c
            } catch {
                throw StoreError(.unavailable, "cannot open SQLite database at \(path): \(error)")
            }
        }
        do {
            let writer = try await connect(on: writerThread.pool)
            do {
                _ = try await run(SQL("PRAGMA journal_mode = WAL"), on: writer, busyTimeout: busyTimeout)
                _ = try await writer.query("PRAGMA foreign_keys = ON")
                // Left to itself, the commit that fills 1,000 WAL pages also copies them into the database
                // file and waits for that: a latency spike on a webhook's or job's commit. A connection of
                // its own checkpoints instead (`Checkpointer`), holding the writer back only for the
                // moment it restarts a long WAL; a WAL file grown past this limit is cut back when it restarts.
                _ = try await writer.query("PRAGMA wal_autocheckpoint = 0")
                _ = try await writer.query("PRAGMA journal_size_limit = \(64 << 20)")
            } catch {
                throw SQLiteStore.translate(error)
            }
            var pool: [SQLiteConnection] = []
            for _ in 0..<max(1, readers) { pool.append(try await connect()) }
            let watcher = try await connect()
            let checkpointing = Checkpointer(connection: try await connect(), path: path, writeLock: writeLock, restartFrames: walRestartFrames)
            let checkpointer = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    await checkpointing.round()
                }
                await checkpointing.close()
            }
            return SQLiteStore(
                path: path,
                writer: writer,
                writerThread: writerThread,
                writeLock: writeLock,
                readers: pool,
                watcher: watcher,
                checkpointer: checkpointer,
                busyTimeout: busyTimeout,
                synchronous: synchronous
            )
        } catch {
            // A store that cannot open leaves nothing running: the connections opened so far, and the writer's thread.
            for c in opened { try? await c.close() }
            try? await writerThread.pool.shutdownGracefully()
            throw error
        }
    }

    public func query(_ sql: SQL) async throws -> [Row] {
        let busyTimeout = self.busyTimeout
        return try await readers.with { try await Self.run(sql, on: $0, busyTimeout: busyTimeout) }
    }

    /// A read transaction on one reader connection: SQLite takes its snapshot at the first statement.
    public func snapshot<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let busyTimeout = self.busyTimeout
        return try await readers.with { reader in
            _ = try await Self.run(SQL("BEGIN"), on: reader, busyTimeout: busyTimeout)
            do {
                let result = try await body(Transaction(connection: reader, busyTimeout: busyTimeout))
                _ = try await Self.run(SQL("COMMIT"), on: reader, busyTimeout: nil)
                return result
            } catch {
                _ = try? await Self.run(SQL("ROLLBACK"), on: reader, busyTimeout: nil)
                throw error
            }
        }
    }

    @discardableResult
    public func execute(_ sql: SQL) async throws -> Int {
        let (writer, busyTimeout) = (self.writer, self.busyTimeout)
        return try await writing { try await Transaction(connection: writer, busyTimeout: busyTimeout).execute(sql) }
    }

    public func write<Statement: PreparedSQL>(_ statement: Statement) async throws -> [Row] {
        try await write(SQL(Statement.text, statement.binds))
    }

    public func write(_ sql: SQL, durability: Durability) async throws -> [Row] {
        let (writer, busyTimeout) = (self.writer, self.busyTimeout)
        return try await writing {
            try await relaxing(durability) { try await Self.run(sql, on: writer, busyTimeout: busyTimeout) }
        }
    }

    /// A write holds the writer connection and runs on its thread (see `WriterThread`).
    private func writing<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(writerThread) { try await writeLock.withLock(body) }
    }

    /// A relaxed write commits with `synchronous = NORMAL`: into the WAL without an fsync. The WAL is
    /// append-only, so the next full commit's fsync carries it to disk too. Called holding the write lock.
    private func relaxing<T>(_ durability: Durability, _ body: () async throws -> T) async throws -> T {
        guard durability == .relaxed, synchronous == .full else { return try await body() }
        _ = try await Self.run(SQL("PRAGMA synchronous = NORMAL"), on: writer, busyTimeout: nil)
        do {
            let result = try await body()
            _ = try await Self.run(SQL("PRAGMA synchronous = FULL"), on: writer, busyTimeout: nil)
            return result
        } catch {
            _ = try? await Self.run(SQL("PRAGMA synchronous = FULL"), on: writer, busyTimeout: nil)
            throw error
        }
    }

    public func transaction<T: Sendable>(durability: Durability, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let (writer, busyTimeout) = (self.writer, self.busyTimeout)
        return try await writing {
            try await relaxing(durability) {
                // IMMEDIATE takes the write lock up front, so a second process sharing the file waits here
                // instead of failing half-way through with SQLITE_BUSY.
                _ = try await Self.run(SQL("BEGIN IMMEDIATE"), on: writer, busyTimeout: busyTimeout)
                do {
                    // Inside the transaction the lock is held: nothing to wait for.
                    let result = try await body(Transaction(connection: writer, busyTimeout: nil))
                    _ = try await Self.run(SQL("COMMIT"), on: writer, busyTimeout: busyTimeout)
                    return result
                } catch {
                    _ = try? await Self.run(SQL("ROLLBACK"), on: writer, busyTimeout: nil)
                    throw error
                }
            }
        }
    }

    /// Changes whenever any other connection, in this process or another, commits. SQLite has no
    /// LISTEN/NOTIFY: an idle worker polls this (it reads shared memory, not the disk) to wake within
    /// milliseconds when another process enqueues.
    public func dataVersion() async throws -> Int64 {
        try await Self.run(SQL("PRAGMA data_version"), on: watcher, busyTimeout: busyTimeout).first?[0].int ?? 0
    }

    public func close() async {
        checkpointer.cancel()
        await checkpointer.value
        try? await watcher.close()
        try? await writer.close()
        try? await writerThread.pool.shutdownGracefully()
        for r in readers.connections { try? await r.close() }
    }

    /// The writer connection's thread, which is also the executor of every write's code, so the
    /// statements of a transaction follow each other on one thread. On a shared pool each statement
    /// cost two hand-offs between threads (to the pool and back to the task's executor), 0.1-0.25 ms
    /// apiece on a busy machine, and a webhook batch makes five of them.
    final class WriterThread: TaskExecutor {
        let pool = NIOThreadPool(numberOfThreads: 1)

        init() { pool.start() }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            // Once the pool has shut down it runs the item at once, on the calling thread: the job still runs.
            pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    struct Transaction: SQLExecutor {
        let engine = Engine.sqlite
        let connection: SQLiteConnection
        let busyTimeout: Duration?

        func query(_ sql: SQL) async throws -> [Row] {
            try await SQLiteStore.run(sql, on: connection, busyTimeout: busyTimeout)
        }

        func execute(_ sql: SQL) async throws -> Int {
            _ = try await SQLiteStore.run(sql, on: connection, busyTimeout: busyTimeout)
            return Int(
                try await SQLiteStore.run(SQL("SELECT changes()"), on: connection, busyTimeout: busyTimeout)
                    .first?.values.first?.int ?? 0
            )
        }
    }

    /// Runs one statement. When another process holds the lock it needs (SQLITE_BUSY, which leaves the
    /// statement without effect), it is tried again until `busyTimeout`, after sleeps that start at
    /// 50 µs and double up to a millisecond. SQLite's own busy handler sleeps 1, 2, then 5 ms, which is
    /// what two processes sharing a queue (a worker and an enqueuer) would wait on each other. Inside an
    /// explicit transaction (`busyTimeout` nil) SQLite says to roll back instead, so the error is thrown.
    static func run(_ sql: SQL, on connection: SQLiteConnection, busyTimeout: Duration?) async throws -> [Row] {
        let binds: [SQLiteData] = try sql.binds.map {
            switch $0 {
            case .null: return .null
            case .int(let i): return .integer(SQLiteInt64(i))
            case .double(let d): return .float(d)
            case .text(let s): return .text(s)
            case .blob(let b): return .blob(ByteBuffer(bytes: b))
            case .intArray, .textArray: throw StoreError(.invalid, "array parameters are for PostgreSQL only")
            }
        }
        var rows: [SQLiteRow] = []
        var pause = Duration.microseconds(50)
        let deadline = busyTimeout.map { ContinuousClock.now + $0 }
        while true {
            do {
                rows = try await connection.query(sql.text, binds)
                break
            } catch let e as SQLiteError where e.reason == .busy {
                guard let deadline, ContinuousClock.now + pause < deadline else { throw translate(e) }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(1))
            } catch {
                throw translate(error)
            }
        }
        guard let first = rows.first else { return [] }
        let names = first.columns.map(\.name)
        return rows.map { row in
            Row(
                columns: names,
                values: row.columns.map {
                    switch $0.data {
                    case .null: return .null
                    case .integer(let i): return .int(Int64(i))
                    case .float(let d): return .double(d)
                    case .text(let s): return .text(s)
                    case .blob(var b): return .blob(b.readBytes(length: b.readableBytes) ?? [])
                    }
                }
            )
        }
    }

    /// A store error in words an operator can act on. It names the database by what it is, not by its
    /// file: store errors reach RPC results, where no path is shown.
    static func translate(_ error: any Error) -> any Error {
        guard let e = error as? SQLiteError else { return error }
        switch e.reason {
        case .constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraintNotNullFailed,
            .constraintCheckFailed, .constraintForeignKeyFailed:
            return StoreError(.constraint, e.message)
        case .full:
            return StoreError(.diskFull, "the disk holding the sidecar's data directory is full: free space, then the sidecar resumes (\(e.message))")
        case .busy, .busyTimeout, .locked:
            return StoreError(.unavailable, "the sidecar's SQLite database stayed locked by another process past the busy timeout (\(e.message))")
        case .ioError, .ioErrorFailedWrite, .ioErrorFailedSync, .cantOpen, .readOnly, .corrupt, .notADatabase:
            return StoreError(.unavailable, "the sidecar's SQLite database: \(e.message)")
        default:
            return StoreError(.invalid, e.message)
        }
    }
}
