import ArgumentParser
import Core
import Foundation
import Monitoring
import Queue
import Store

/// `zoho-sidecar bench dashboard`: the cost of `get_dashboard_stats` with many jobs in the store,
/// beside the same figures counted the plain way (GROUP BY over jobs) for comparison.
struct DashboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "Cost of get_dashboard_stats with N jobs in the store.")
    @Option(help: "PostgreSQL URL; empty: SQLite in --data-dir.") var database: String?
    @Option(help: "Directory for the SQLite file.") var dataDir = "/tmp/zoho-sidecar-bench-dashboard"
    @Option(help: "Jobs in the store.") var jobs = 1_000_000
    @Option(help: "Calls timed.") var calls = 50

    func run() async throws {
        if database == nil { try? FileManager.default.removeItem(atPath: dataDir) }
        let store = try await StoreFactory.open(database: database, dataDir: dataDir, sqliteSynchronous: .normal)
        _ = try await Migrator.migrate(store)
        try await store.execute(SQL("DELETE FROM jobs"))
        try await store.execute(SQL("DELETE FROM tallies"))
        let queue = JobQueue(store: store)
        // A store after weeks of work: 10 instances, 5 kinds; 90% done, some failed and cancelled,
        // the rest pending, spread over the last day.
        let kinds = ["zoho.pull", "zoho.push", "zoho.reconcile", "zoho.ping", "noop"]
        let now = Clock.now()
        let fill = ContinuousClock.now
        var made = 0
        while made < jobs {
            let n = min(50_000, jobs - made)
            let batch = (0..<n).map { i -> NewJob in
                let k = made + i
                return NewJob(
                    kind: kinds[k % kinds.count],
                    companyID: Int64(1 + k % 2),
                    instanceID: Int64(1 + k % 10),
                    eta: now - Int64(k % 86_400) * 1_000_000
                )
            }
            _ = try await queue.enqueue(batch)
            made += n
        }
        try await store.execute(SQL("UPDATE jobs SET state = 'done', done_at = eta, updated_at = eta WHERE id % 100 < 90"))
        try await store.execute(SQL("UPDATE jobs SET state = 'failed', failed_at = eta, updated_at = eta WHERE id % 100 BETWEEN 90 AND 91"))
        try await store.execute(SQL("UPDATE jobs SET state = 'cancelled', cancelled_at = eta, updated_at = eta WHERE id % 100 = 92"))
        try await Tallies.compact(store)
        if store.engine == .postgres { try await store.execute(SQL("ANALYZE jobs")) } else { try await store.execute(SQL("ANALYZE")) }
        let filled = seconds(ContinuousClock.now - fill)
        let total = try await store.scalar(SQL("SELECT count(*) FROM jobs")).int ?? 0

        var stats: [Double] = []
        var checked: JSONValue = .null
        for _ in 0..<calls {
            let t = ContinuousClock.now
            checked = try await DashboardStats.compute(store)
            stats.append(seconds(ContinuousClock.now - t) * 1000)
        }
        // The plain way, for comparison: the same counts by GROUP BY over the jobs table.
        var plain: [Double] = []
        for _ in 0..<max(3, calls / 10) {
            let t = ContinuousClock.now
            _ = try await store.query(SQL("SELECT instance_id, kind, state, count(*) FROM jobs GROUP BY instance_id, kind, state"))
            _ = try await store.query(SQL("SELECT state, count(*) FROM jobs WHERE updated_at > ? GROUP BY state", [.int(now - 86_400_000_000)]))
            plain.append(seconds(ContinuousClock.now - t) * 1000)
        }
        let pending = checked["jobs"]?["pending"]?.intValue ?? -1
        let expectedPending = try await store.scalar(SQL("SELECT count(*) FROM jobs WHERE state = 'pending'")).int ?? -2
        let failed = checked["failed_last_day"]?.intValue ?? -1
        let since = Tallies.dayStart(Clock.now()) * 60_000_000
        let expectedFailed =
            try await store.scalar(SQL("SELECT count(*) FROM jobs WHERE state = 'failed' AND failed_at >= ?", [.int(since)])).int ?? -2
        await store.close()
        guard pending == expectedPending else { throw ValidationError("the dashboard says \(pending) pending, the table \(expectedPending)") }
        guard failed == expectedFailed else {
            throw ValidationError("the dashboard says \(failed) failed since \(Clock.odooString(since)), the table \(expectedFailed)")
        }
        print(
            String(
                format: "dashboard %@: jobs=%d fill_s=%.1f get_dashboard_stats p50_ms=%.2f p99_ms=%.2f max_ms=%.2f | plain GROUP BY p50_ms=%.1f",
                store.engine == .postgres ? "postgres" : "sqlite",
                total,
                filled,
                QueueBench.percentile(stats, 50),
                QueueBench.percentile(stats, 99),
                stats.max() ?? 0,
                QueueBench.percentile(plain, 50)
            )
        )
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
