import Core
import Store

/// The dashboard's charts: per hour over the last day (from `Tallies.dayStart`, so the hours add up
/// to the last day's figures) and per UTC day over the last 14 days, the jobs done (`job_outcomes`),
/// the jobs failed and still failed, by the time of their failure (`failed_jobs`), and the webhooks
/// received, by verdict. Each bucket is the list of jobs or webhook events in its time range.
enum DashboardHistory {
    static let days: Int64 = 14

    static func read(_ store: any SQLExecutor, companies: [Int64]?, now: Micros) async throws -> JSONValue {
        let firstHour = Tallies.dayStart(now)
        let today = Tallies.minute(now) - Tallies.minute(now) % 1440
        let firstDay = today - (days - 1) * 1440
        return [
            "hours": .array(try await series(store, companies: companies, from: firstHour, to: Tallies.minute(now), size: 60)),
            "days": .array(try await series(store, companies: companies, from: firstDay, to: Tallies.minute(now), size: 1440)),
        ]
    }

    /// One entry per bucket of `size` minutes from `from` up to the one holding minute `to`, empty ones included.
    static func series(_ store: any SQLExecutor, companies: [Int64]?, from: Int64, to: Int64, size: Int64) async throws -> [JSONValue] {
        let done = try await Tallies.buckets(store, metric: "job_outcomes", from: from, size: size, companies: companies)
        let failed = try await Tallies.buckets(store, metric: "failed_jobs", from: from, size: size, companies: companies)
        let webhooks = try await Tallies.buckets(store, metric: "webhooks", from: from, size: size, companies: companies)
        return stride(from: from, through: to, by: Int(size)).map { start in
            var verdicts: [String: Int64] = [:]
            for (key, n) in webhooks[start] ?? [:] {
                verdicts[DashboardStats.split(key).1, default: 0] += n
            }
            let doneCount = (done[start] ?? [:]).filter { $0.key.hasSuffix("/done") }.values.reduce(0, +)
            return [
                "start": .string(Clock.odooString(start * 60_000_000)),
                "end": .string(Clock.odooString((start + size) * 60_000_000)),
                "done": .int(doneCount),
                "failed": .int((failed[start] ?? [:]).values.reduce(0, +)),
                "webhooks": .object(verdicts.filter { $0.value != 0 }.mapValues { .int($0) }),
            ]
        }
    }
}
