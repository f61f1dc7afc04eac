import Core
import Monitoring
import Queue
import Store
import Testing

/// Each count `get_dashboard_stats` gives equals the count of the list of records the dashboard
/// opens for it (`search_count` with the same domain), across archived instances and jobs without
/// an instance, and the per-instance entries add up to the totals (issue 22, point 3).
@Suite("Dashboard truth")
struct DashboardTruthTests {
    static let states = ["pending", "running", "waiting", "done", "failed", "cancelled"]

    @Test(
        "every job and webhook figure of get_dashboard_stats is the search_count of its list, archived instances and jobs without instance included",
        arguments: TestStores.engines
    )
    func figuresMatchTheirLists(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let a = try #require(try await s.execute("zoho.instance", "create", [["name": "A", "company_id": 1]]).intValue)
            let b = try #require(try await s.execute("zoho.instance", "create", [["name": "B", "company_id": 1]]).intValue)
            let queue = s.sidecar.queue
            let kinds = ["zoho.pull", "zoho.push"]
            let ids = try await queue.enqueue(
                (0..<4).map { NewJob(kind: kinds[$0 % 2], companyID: 1, instanceID: a) }
                    + (0..<3).map { NewJob(kind: kinds[$0 % 2], companyID: 1, instanceID: b) }
                    + (0..<3).map { NewJob(kind: kinds[$0 % 2], companyID: 1, instanceID: nil) }
            )
            let (a0, a1, a2, b0, b1, b2, n0, n1) = (ids[0], ids[1], ids[2], ids[4], ids[5], ids[6], ids[7], ids[8])
            let failing: Set = [a0, a2, b0, n0]
            let finishing: Set = [a1, b1, n1]
            let claimed = try await queue.claim(limit: 10, worker: "w", leaseSeconds: 60)
            try await queue.finish(
                claimed.map { job in
                    if failing.contains(job.id) { return (job, .failed(error: ErrorReport(message: "refused"))) }
                    if finishing.contains(job.id) { return (job, .done(result: nil)) }
                    return (job, .retry(eta: Clock.now(), error: ErrorReport(message: "busy"), refund: false))
                },
                worker: "w"
            )
            // a0 fails again after a retry by hand; n0 goes through after one; b2 is cancelled.
            _ = try await queue.retry([a0, n0])
            let again = try await queue.claim(limit: 10, worker: "w", leaseSeconds: 60)
            try await queue.finish(
                again.map { job in
                    if job.id == a0 { return (job, .failed(error: ErrorReport(message: "refused again"))) }
                    if job.id == n0 { return (job, .done(result: nil)) }
                    return (job, .retry(eta: Clock.now(), error: ErrorReport(message: "busy"), refund: false))
                },
                worker: "w"
            )
            _ = try await queue.cancel([b2])
            // b0 failed longer ago than the last day; then B is archived.
            try await s.sidecar.store.execute(
                SQL("UPDATE jobs SET failed_at = ? WHERE id = ?", [.int(Clock.now() - 30 * 3600 * 1_000_000), .int(b0)])
            )
            _ = try await s.execute("zoho.instance", "write", [[.int(b)], ["active": false]])
            for verdict in ["accepted", "accepted", "duplicate"] {
                try await s.sidecar.store.execute(
                    SQL(
                        """
                        INSERT INTO webhook_events (company_id, instance_id, app, object, received_at, body_sha256, size, verdict)
                        VALUES (1, ?, 'crm', 'Contacts', ?, 'x', 10, ?)
                        """,
                        [.int(a), .int(Clock.now()), .text(verdict)]
                    )
                )
            }

            // a3, retried, has waited two minutes past its time: A's queue lag, and the lag of all.
            try await s.sidecar.store.execute(SQL("UPDATE jobs SET eta = ? WHERE id = ?", [.int(Clock.now() - 120_000_000), .int(ids[3])]))

            try await Self.expectFiguresMatchLists(s, archived: b)
            // The outcomes still count events: a0's two failures and n0's, which went through since.
            let stats = try await s.execute("zoho.job", "get_dashboard_stats")
            let lagA = stats["instances"]?.arrayValue?.first { $0["name"] == "A" }?["queue_lag_seconds"]?.doubleValue ?? 0
            #expect(lagA >= 119 && lagA < 600, "A's lag: \(lagA)")
            #expect((stats["queue_lag_seconds"]?.doubleValue ?? 0) >= lagA)
            let lagB = stats["instances"]?.arrayValue?.first { $0["name"] == "B" }?["queue_lag_seconds"]?.doubleValue
            #expect(lagB == 0, "B's pending jobs are not overdue")
            #expect(stats["last_day"]?["failed"] == 5)
            #expect(stats["failed_last_day"] == 2)
            #expect(stats["jobs"]?["failed"] == 3)
            // The health check's failures item counts the same jobs as the dashboard's banner.
            let health = try await s.execute("zoho.instance", "action_health_check")
            let failures = health["items"]?.arrayValue?.first { $0["name"] == "failures" }?["message"]?.stringValue
            #expect(failures?.hasPrefix("2 job(s) failed in the last 24 h") == true, "\(failures ?? "no failures item")")
            try await Tallies.compact(s.sidecar.store)
            try await Self.expectFiguresMatchLists(s, archived: b)
        }
    }

    /// The figures against their lists, as the dashboard links them.
    static func expectFiguresMatchLists(_ s: TestSidecar, archived: Int64) async throws {
        let stats = try await s.execute("zoho.job", "get_dashboard_stats")
        func count(_ domain: [JSONValue], _ model: String = "zoho.job") async throws -> JSONValue {
            try await s.execute(model, "search_count", [.array(domain)])
        }
        let since = try #require(stats["since"])
        for state in states {
            #expect(stats["jobs"]?[state] == (try await count([["state", "=", .string(state)]])), "jobs \(state)")
        }
        #expect(stats["failed_last_day"] == (try await count([["state", "=", "failed"], ["date_failed", ">=", since]])))

        let entries = stats["instances"]?.arrayValue ?? []
        #expect(entries.contains { $0["instance_id"] == .int(archived) && $0["active"] == false })
        #expect(entries.contains { $0["instance_id"] == false })
        for state in states {
            let sum = entries.reduce(Int64(0)) { $0 + ($1["jobs"]?[state]?.intValue ?? 0) }
            #expect(.int(sum) == stats["jobs"]?[state], "instances' \(state) jobs add up to the total")
        }
        for e in entries {
            let instance: JSONValue = ["instance_id", "=", e["instance_id"] ?? false]
            let name = e["name"]?.stringValue ?? ""
            for state in states {
                #expect(e["jobs"]?[state] == (try await count([instance, ["state", "=", .string(state)]])), "\(name) \(state)")
            }
            let failedSince = try await count([instance, ["state", "=", "failed"], ["date_failed", ">=", since]])
            #expect(e["failed_last_day"] == failedSince, "\(name) failed in the last day")
            let byKind = e["failed_kinds"]?.objectValue ?? [:]
            for (kind, n) in byKind {
                #expect(n == (try await count([instance, ["state", "=", "failed"], ["kind", "=", .string(kind)]])), "\(name) \(kind)")
            }
            #expect(byKind.values.reduce(Int64(0)) { $0 + ($1.intValue ?? 0) } == e["jobs"]?["failed"]?.intValue)
            let byKindLastDay = e["failed_kinds_last_day"]?.objectValue ?? [:]
            for (kind, n) in byKindLastDay {
                let failed = try await count([instance, ["state", "=", "failed"], ["kind", "=", .string(kind)], ["date_failed", ">=", since]])
                #expect(n == failed, "\(name) \(kind) failed in the last day")
            }
            #expect(byKindLastDay.values.reduce(Int64(0)) { $0 + ($1.intValue ?? 0) } == e["failed_last_day"]?.intValue)
            for (verdict, n) in e["webhooks_last_day"]?.objectValue ?? [:] {
                let events = try await count(
                    [instance, ["verdict", "=", .string(verdict)], ["received_at", ">=", since]],
                    "zoho.webhook.event"
                )
                #expect(n == events, "\(name) \(verdict) webhooks")
            }
        }
        // The charts: each hour and each day is the list of its jobs and webhook events; the hours add up to the last day.
        for (scale, buckets) in [("hours", 25), ("days", 14)] {
            let series = stats["history"]?[scale]?.arrayValue ?? []
            #expect(series.count == buckets, "\(scale): \(series.count)")
            for bucket in series {
                let (start, end) = (bucket["start"] ?? false, bucket["end"] ?? false)
                let done = try await count([["state", "=", "done"], ["date_done", ">=", start], ["date_done", "<", end]])
                #expect(bucket["done"] == done, "done \(scale) from \(start)")
                let failed = try await count([["state", "=", "failed"], ["date_failed", ">=", start], ["date_failed", "<", end]])
                #expect(bucket["failed"] == failed, "failed \(scale) from \(start)")
                for (verdict, n) in bucket["webhooks"]?.objectValue ?? [:] {
                    let received = [["verdict", "=", .string(verdict)], ["received_at", ">=", start], ["received_at", "<", end]] as [JSONValue]
                    #expect(n == (try await count(received, "zoho.webhook.event")), "\(verdict) webhooks \(scale) from \(start)")
                }
            }
        }
        let hours = stats["history"]?["hours"]?.arrayValue ?? []
        #expect(.int(hours.reduce(0) { $0 + ($1["failed"]?.intValue ?? 0) }) == stats["failed_last_day"])
        let accepted = hours.reduce(Int64(0)) { $0 + ($1["webhooks"]?["accepted"]?.intValue ?? 0) }
        #expect(.int(accepted) == stats["webhooks"]?["last_day"]?["accepted"])
        let days = stats["history"]?["days"]?.arrayValue ?? []
        #expect(days.reduce(0) { $0 + ($1["failed"]?.intValue ?? 0) } == stats["jobs"]?["failed"]?.intValue, "every failure is within 14 days")
        #expect(days.reduce(0) { $0 + ($1["done"]?.intValue ?? 0) } == stats["jobs"]?["done"]?.intValue)

        let a = try #require(entries.first { $0["name"] == "A" })
        #expect(a["webhooks_last_day"]?["accepted"] == 2)
        #expect(a["last_webhook"]?.stringValue != nil)
        #expect(a["token_expiry"] == false && a["channels"] == 0)
    }
}
