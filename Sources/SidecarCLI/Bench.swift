import ArgumentParser
import Core
import Foundation
import Queue
import Store

/// `zoho-sidecar bench queue`: the peers' workload (shared/peers/README.md) against our queue —
/// enqueue 20,000 no-op jobs one by one and in one batch, drain them with a worker process, then
/// enqueue at a steady 200 jobs/s and measure enqueue→start latency; peak RSS of the worker.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures.",
        subcommands: [QueueBench.self, DashboardBench.self, BenchWorker.self]
    )
}

struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "The job-queue workload of the peer benchmarks.")
    @Option(help: "PostgreSQL URL; empty: SQLite in --data-dir.") var database: String?
    @Option(help: "Directory for the SQLite file.") var dataDir = "/tmp/zoho-sidecar-bench"
    @Option(help: "Jobs per phase (ANCHOR_N).") var jobs = Int(ProcessInfo.processInfo.environment["ANCHOR_N"] ?? "") ?? 20_000
    @Option(help: "Runs; the median is reported (ANCHOR_RUNS).") var runs = Int(ProcessInfo.processInfo.environment["ANCHOR_RUNS"] ?? "") ?? 3
    @Option(help: "Steady enqueue rate for the latency phase, jobs/s.") var rate = 200
    @Option(help: "Length of the latency phase, seconds.") var latencySeconds = 20
    @Option(help: "Worker concurrency.") var concurrency = 256
    @Option(help: "Jobs claimed per round trip.") var batch = 256
    @Option(help: "Also measure the worker's RSS while 1,000,000 jobs are pending (slow).") var pendingMillion = false
    @Option(help: "Write results here (the peers' results_<name>.json shape).") var out: String?
    @Option(help: "SQLite durability: full (fsync every commit, the sidecar's default) or normal.") var sqliteSynchronous = "full"

    func run() async throws {
        let engine = database == nil ? "sqlite" : "postgres"
        var results: [[String: Double]] = []
        for r in 0..<runs {
            let store = try await freshStore()
            var res: [String: Double] = [:]
            let queue = JobQueue(store: store)

            let single = try await timed { for _ in 0..<jobs { try await queue.enqueue(Self.job()) } }
            res["enq_single_jobs_s"] = Double(jobs) / single
            try await Self.clear(store)

            let batched = try await timed { _ = try await queue.enqueue((0..<jobs).map { _ in Self.job() }) }
            res["enq_batch_jobs_s"] = Double(jobs) / batched

            let drain = try await runWorker(queue: queue, expect: jobs) { _ in }
            res["drain_e2e_jobs_s"] = Double(jobs) / drain.e2e
            res["drain_processing_jobs_s"] = Double(jobs) / drain.processing
            res["drain_worker_peak_rss_mb"] = drain.peakRSS
            try await Self.clear(store)

            let n = rate * latencySeconds
            let latency = try await runWorker(queue: queue, expect: n, warmup: true) { _ in
                let start = ContinuousClock.now
                for i in 0..<n {
                    let target = start + .microseconds(Int64(i) * 1_000_000 / Int64(rate))
                    let wait = target - ContinuousClock.now
                    if wait > .zero { try await Task.sleep(for: wait) }
                    try await queue.enqueue(Self.job())
                }
            }
            res["lat_p50_ms"] = Self.percentile(latency.latencies, 50) * 1000
            res["lat_p99_ms"] = Self.percentile(latency.latencies, 99) * 1000
            res["lat_max_ms"] = (latency.latencies.max() ?? 0) * 1000
            res["lat_worker_peak_rss_mb"] = latency.peakRSS
            print("run \(r + 1) (\(engine)): " + res.keys.sorted().map { "\($0)=\(String(format: "%.1f", res[$0]!))" }.joined(separator: " "))
            results.append(res)
            await store.close()
        }
        var median: [String: Double] = [:]
        for key in results[0].keys { median[key] = results.map { $0[key]! }.sorted()[results.count / 2] }
        if pendingMillion {
            let store = try await freshStore()
            let queue = JobQueue(store: store)
            for _ in 0..<10 { _ = try await queue.enqueue((0..<100_000).map { _ in Self.job() }) }
            let million = try await runWorker(queue: queue, expect: 1_000_000, timeout: 1800) { _ in }
            median["million_pending_worker_peak_rss_mb"] = million.peakRSS
            median["million_drain_jobs_s"] = 1_000_000 / million.e2e
            await store.close()
        }
        let summary: JSONValue = [
            "peer": .string("zoho-sidecar-\(engine)"),
            "meta": [
                "engine": .string(engine), "N": .int(Int64(jobs)), "runs": .int(Int64(runs)),
                "concurrency": .int(Int64(concurrency)), "batch": .int(Int64(batch)), "worker_processes": 1,
            ],
            "runs": .array(results.map { run in .object(run.mapValues { .double(($0 * 100).rounded() / 100) }) }),
            "median": .object(median.mapValues { .double(($0 * 10).rounded() / 10) }),
        ]
        print(summary["median"]!.serialized())
        if let out { try summary.serialized().write(toFile: out, atomically: true, encoding: .utf8) }
    }

    /// Empties the queue between phases. The deletion leaves work behind that the next phase would
    /// otherwise run into (a steady queue never deletes tens of thousands of rows at once): on
    /// PostgreSQL dead rows for autovacuum, on SQLite a large WAL for the checkpointer. Both are done
    /// here, outside the timing.
    static func clear(_ store: any Store) async throws {
        try await store.execute(SQL("DELETE FROM jobs"))
        try await store.execute(SQL(store.engine == .postgres ? "VACUUM ANALYZE jobs" : "PRAGMA wal_checkpoint(TRUNCATE)"))
    }

    static func job() -> NewJob {
        NewJob(kind: "bench.record", payload: ["t": .double(Date().timeIntervalSince1970)])
    }

    func freshStore() async throws -> any Store {
        if database == nil { try? FileManager.default.removeItem(atPath: dataDir) }
        let store = try await StoreFactory.open(
            database: database,
            dataDir: dataDir,
            sqliteSynchronous: SQLiteStore.Synchronous(rawValue: sqliteSynchronous.uppercased()) ?? .full
        )
        _ = try await Migrator.migrate(store)
        try await Self.clear(store)
        var s = QueueSettings()
        s.concurrency = concurrency
        s.maxJobsPerRun = batch
        try await s.save(store)
        return store
    }

    func timed(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    struct WorkerRun {
        let e2e: Double
        let processing: Double
        let peakRSS: Double
        let latencies: [Double]
    }

    /// Starts a worker process, runs `feed` (if any), and waits until `expect` records are written.
    func runWorker(
        queue: JobQueue,
        expect: Int,
        warmup: Bool = false,
        timeout: Double = 600,
        feed: @escaping @Sendable (JobQueue) async throws -> Void
    ) async throws -> WorkerRun {
        let outFile = "/tmp/zoho-sidecar-bench-\(getpid()).out"
        try? FileManager.default.removeItem(atPath: outFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments =
            ["bench", "worker", "--out", outFile, "--data-dir", dataDir, "--sqlite-synchronous", sqliteSynchronous]
            + (database.map { ["--database", $0] } ?? [])
        let launched = Date()
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        if warmup { try await Task.sleep(for: .seconds(2)) }
        let feeder = Task { try await feed(queue) }
        var first: Date?
        var peak = 0.0
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let count = Int((try? FileManager.default.attributesOfItem(atPath: outFile)[.size] as? Int) ?? 0) / 36
            if count > 0, first == nil { first = Date() }
            peak = max(peak, Self.rssMB(pid: process.processIdentifier))
            if count >= expect { break }
            guard Date() < deadline, process.isRunning else { throw ValidationError("worker stopped or timed out with \(count)/\(expect) done") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let done = Date()
        try await feeder.value
        let latencies = ((try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line -> Double? in
            let p = line.split(separator: " ")
            guard p.count == 2, let a = Double(p[0]), let b = Double(p[1]) else { return nil }
            return b - a
        }
        return WorkerRun(
            e2e: done.timeIntervalSince(launched),
            processing: done.timeIntervalSince(first ?? launched),
            peakRSS: peak,
            latencies: latencies
        )
    }

    static func rssMB(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }

    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        let k = Double(s.count - 1) * p / 100
        let lo = Int(k)
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (k - Double(lo))
    }
}

/// The worker process of the benchmark: runs the queue with the peers' job body.
struct BenchWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "(internal) the benchmark's worker process.",
        shouldDisplay: false
    )
    @Option var out: String
    @Option var dataDir: String
    @Option var database: String?
    @Option var sqliteSynchronous = "full"

    func run() async throws {
        let store = try await StoreFactory.open(
            database: database,
            dataDir: dataDir,
            sqliteSynchronous: SQLiteStore.Synchronous(rawValue: sqliteSynchronous.uppercased()) ?? .full
        )
        let fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        // The peers' job body: one 36-byte "<enqueue_ts> <start_ts>\n" record, one write(2).
        let record = Handler(kind: "bench.record") { context in
            let start = Date().timeIntervalSince1970
            let enqueued = context.job.payload["t"]?.doubleValue ?? 0
            let line = String(format: "%017.6f %017.6f\n", enqueued, start)
            _ = line.withCString { write(fd, $0, 36) }
            return nil
        }
        let pool = WorkerPool(
            queue: JobQueue(store: store),
            handlers: HandlerRegistry([record]),
            settings: try await QueueSettings.load(store)
        )
        await pool.run()
    }
}
