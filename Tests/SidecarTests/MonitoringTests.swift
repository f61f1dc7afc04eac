import AsyncHTTPClient
import Core
import Foundation
import Logging
import Monitoring
import NIOCore
import Queue
import Store
import Synchronization
import Testing

/// Monitoring: the store's own tallies, `get_dashboard_stats`, `/metrics`, `/healthz`, `/readyz`,
/// and the correlation ids on log lines.
@Suite("Monitoring")
struct MonitoringTests {
    /// Jobs counted the slow way, to hold the tallies against.
    static func counted(_ store: any Store) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for row in try await store.query(
            SQL(
                "SELECT company_id, coalesce(instance_id, 0) AS i, kind, state, count(*) AS n FROM jobs GROUP BY company_id, coalesce(instance_id, 0), kind, state"
            )
        ) {
            out["\(row["company_id"].int ?? 0)|\(row["i"].int ?? 0)|\(row["kind"].text ?? "")/\(row["state"].text ?? "")"] = row["n"].int
        }
        return out
    }

    static func tallied(_ store: any Store, _ metric: String = "jobs") async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        if metric == "jobs" || metric == "bindings" {
            for c in try await Tallies.read(store, metric: metric) { out["\(c.companyID)|\(c.instanceID)|\(c.key)", default: 0] += c.n }
        } else {
            for c in try await Tallies.windows(store, metric: metric, now: Clock.now()) {
                out["\(c.companyID)|\(c.instanceID)|\(c.key)", default: 0] += c.lastDay
            }
        }
        return out
    }

    @Test(
        "the tallies follow every way a job changes state (enqueue, claim, done, retry, fail, cancel, retry by hand, purge), also after compaction",
        arguments: TestStores.engines
    )
    func talliesFollowJobs(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            var jobs: [NewJob] = []
            for i in 0..<60 {
                jobs.append(
                    NewJob(
                        kind: i % 3 == 0 ? "zoho.pull" : "zoho.push",
                        companyID: i % 2 == 0 ? 1 : 2,
                        instanceID: i % 4 == 0 ? nil : Int64(1 + i % 2)
                    )
                )
            }
            _ = try await queue.enqueue(jobs)
            #expect(try await Self.tallied(store) == Self.counted(store))

            let claimed = try await queue.claim(limit: 40, worker: "w", leaseSeconds: 60)
            #expect(claimed.count == 40)
            #expect(try await Self.tallied(store) == Self.counted(store))

            let report = ErrorReport(message: "boom")
            var outcomes: [(job: Job, outcome: Outcome)] = []
            for (i, job) in claimed.enumerated() {
                switch i % 5 {
                case 0, 1: outcomes.append((job, .done(result: nil)))
                case 2: outcomes.append((job, .retry(eta: Clock.now(), error: report, refund: false)))
                case 3: outcomes.append((job, .failed(error: report)))
                default: outcomes.append((job, .retry(eta: Clock.now(), error: report, refund: true)))  // a 429: no retry counted
                }
            }
            try await queue.finish(outcomes, worker: "w")
            #expect(try await Self.tallied(store) == Self.counted(store))

            let outcomesNow = try await Self.tallied(store, "job_outcomes").reduce(into: [String: Int64]()) { acc, e in
                acc[String(e.key.split(separator: "/").last!), default: 0] += e.value
            }
            #expect(outcomesNow == ["done": 16, "retried": 8, "failed": 8])

            let failed = try await store.query(SQL("SELECT id FROM jobs WHERE state = 'failed'")).compactMap { $0["id"].int }
            try await queue.retry(Array(failed.prefix(3)))
            try await queue.cancel(Array(failed.suffix(2)))
            try await store.execute(SQL("UPDATE jobs SET updated_at = 0 WHERE state = 'done'"))
            #expect(try await queue.purge(olderThanDays: 1) > 0)
            #expect(try await Self.tallied(store) == Self.counted(store))

            try await Tallies.compact(store)
            #expect(try await Self.tallied(store) == Self.counted(store))
            // Compaction leaves one row per count on both engines.
            let rows = try await store.scalar(SQL("SELECT count(*) FROM tallies WHERE metric = 'jobs'")).int ?? 0
            #expect(rows == Int64(try await Self.counted(store).count))
        }
    }

    @Test(
        "compaction folds minutes older than two hours into hours, hours of days ended over 26 hours ago into days, and drops what is older than 15 days; the sums stay",
        arguments: TestStores.engines
    )
    func compactionFolds(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let now = Clock.now()
            let m = Tallies.minute(now)
            let ages: [(Int64, Int64)] = [
                (0, 1), (30, 2), (59, 4), (200, 8), (201, 16), (260, 32), (600, 64), (1439, 128), (3000, 256), (3001, 512), (6000, 1024),
                (20 * 1440, 2048),
            ]
            for (ago, n) in ages {
                try await store.execute(SQL("INSERT INTO tallies VALUES ('webhooks', 1, 7, 'crm/accepted', ?, ?)", [.int(m - ago), .int(n)]))
            }
            let before = try await Tallies.windows(store, metric: "webhooks", now: now)
            #expect(before.map(\.lastHour) == [7])
            #expect(before.map(\.lastDay) == [255])
            let firstDay = m - m % 1440 - 13 * 1440
            let days = try await Tallies.buckets(store, metric: "webhooks", from: firstDay, size: 1440)
            #expect(days.values.reduce(0) { $0 + ($1["crm/accepted"] ?? 0) } == 2047, "the last 14 days, not the 20th")
            try await Tallies.compact(store, now: now)
            #expect(try await Tallies.windows(store, metric: "webhooks", now: now) == before)
            #expect(try await Tallies.buckets(store, metric: "webhooks", from: firstDay, size: 1440) == days)
            let rows = try await store.query(SQL("SELECT minute, n FROM tallies WHERE metric = 'webhooks'"))
            #expect(!rows.contains { $0["n"].int == 2048 }, "20 days old: dropped")
            let foldDays = (m - Tallies.perHourFor) - (m - Tallies.perHourFor) % 1440
            for row in rows {
                let minute = row["minute"].int ?? 1
                if minute < foldDays {
                    #expect(minute % 1440 == 0, "a day")
                } else if minute < m - Tallies.perMinuteFor {
                    #expect(minute % 60 == 0, "an hour")
                }
            }
        }
    }

    @Test("bindings and webhook verdicts are tallied as rows come and go", arguments: TestStores.engines)
    func talliesFollowBindingsAndWebhooks(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let now = Clock.now()
            for i in 0..<5 {
                try await store.execute(
                    SQL(
                        """
                        INSERT INTO bindings (company_id, instance_id, odoo_model, odoo_id, zoho_app, zoho_object, zoho_id, created_at, updated_at)
                        VALUES (1, 7, 'res.partner', ?, 'crm', ?, ?, ?, ?)
                        """,
                        [.int(Int64(i + 1)), .text(i < 3 ? "Contacts" : "Accounts"), .text("z\(i)"), .int(now), .int(now)]
                    )
                )
            }
            try await store.execute(SQL("UPDATE bindings SET sync_hash = 'h' WHERE instance_id = 7"))
            try await store.execute(SQL("DELETE FROM bindings WHERE zoho_id = 'z0'"))
            try await Tallies.compact(store)
            #expect(try await Self.tallied(store, "bindings") == ["1|7|crm/Contacts/res.partner": 2, "1|7|crm/Accounts/res.partner": 2])

            for verdict in ["accepted", "accepted", "duplicate", "unauthorized"] {
                try await store.execute(
                    SQL(
                        """
                        INSERT INTO webhook_events (company_id, instance_id, app, object, received_at, body_sha256, size, verdict)
                        VALUES (1, 7, 'crm', 'Contacts', ?, 'x', 10, ?)
                        """,
                        [.int(now), .text(verdict)]
                    )
                )
            }
            #expect(try await Self.tallied(store, "webhooks") == ["1|7|crm/accepted": 2, "1|7|crm/duplicate": 1, "1|7|crm/unauthorized": 1])
        }
    }

    @Test("the queue lag is how long the most overdue pending job has waited, across priorities and per company", arguments: TestStores.engines)
    func queueLag(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let queue = JobQueue(store: store)
            let now = Clock.now()
            #expect(try await DashboardStats.queueLag(store, now: now) == 0)
            _ = try await queue.enqueue([
                NewJob(kind: "a", companyID: 1, priority: 5, eta: now - 30_000_000),
                NewJob(kind: "a", companyID: 2, priority: 20, eta: now - 90_000_000),
                NewJob(kind: "a", companyID: 1, priority: 10, eta: now + 60_000_000),
            ])
            #expect(try await DashboardStats.queueLag(store, now: now) == 90)
            #expect(try await DashboardStats.queueLag(store, companies: [1], now: now) == 30)
            #expect(try await DashboardStats.queueLag(store, companies: [3], now: now) == 0)
        }
    }

    @Test(
        "get_dashboard_stats over RPC: jobs by state, instance and kind, outcomes, throughput, lag, webhooks and bindings, each company its own",
        arguments: TestStores.engines
    )
    func dashboardOverRPC(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let a = try #require(try await s.execute("zoho.instance", "create", [["name": "A", "company_id": 1]]).intValue)
            let b = try #require(try await s.execute("zoho.instance", "create", [["name": "B", "company_id": 2]]).intValue)
            let queue = s.sidecar.queue
            _ = try await queue.enqueue((0..<6).map { i in NewJob(kind: i < 4 ? "zoho.pull" : "zoho.push", companyID: 1, instanceID: a) })
            _ = try await queue.enqueue((0..<3).map { _ in NewJob(kind: "zoho.pull", companyID: 2, instanceID: b) })
            let claimed = try await queue.claim(limit: 2, worker: "w", leaseSeconds: 60)
            try await queue.finish([(claimed[0], .done(result: nil)), (claimed[1], .failed(error: ErrorReport(message: "x")))], worker: "w")

            let all = try await s.execute("zoho.job", "get_dashboard_stats")
            #expect(all["jobs"]?["pending"] == 7)
            #expect(all["jobs"]?["done"] == 1)
            #expect(all["jobs"]?["failed"] == 1)
            #expect(all["last_hour"]?["done"] == 1)
            #expect(all["last_day"]?["failed"] == 1)
            let recent = (all["throughput"]?["done_this_minute"]?.intValue ?? 0) + (all["throughput"]?["done_last_minute"]?.intValue ?? 0)
            #expect(recent == 1)
            let instances = all["instances"]?.arrayValue ?? []
            let first = try #require(instances.first { $0["instance_id"]?.intValue == a })
            #expect(first["name"] == "A")
            #expect(first["kinds"]?["zoho.push"]?["pending"] == 2)
            #expect(first["jobs"]?["pending"] == 4)

            let onlyB = try await s.execute("zoho.job", "get_dashboard_stats", companies: [2])
            #expect(onlyB["jobs"]?["pending"] == 3)
            #expect(onlyB["jobs"]?["done"] == 0)
            #expect((onlyB["instances"]?.arrayValue ?? []).map { $0["instance_id"]?.intValue } == [b])

            // The sidecar-wide health check sums up the same store.
            let health = try await s.execute("zoho.instance", "action_health_check")
            let names = (health["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(names.contains("store") && names.contains("queue lag") && names.contains("instance \(a) A"))
            #expect(health["items"]?.arrayValue?.first { $0["name"] == "failures" }?["message"]?.stringValue?.hasPrefix("1 job") == true)
        }
    }

    @Test(
        "a failed job is an entry in the error centre (zoho.log) with its cause chain and Zoho exchange, masked, searchable over RPC; old entries are purged",
        arguments: TestStores.engines
    )
    func errorCentre(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let queue = s.sidecar.queue
            let id = try await queue.enqueue(NewJob(kind: "zoho.push", maxAttempts: 1))
            let dead = try await queue.enqueue(NewJob(kind: "zoho.pull", maxAttempts: 1))
            let claimed = try await queue.claim(limit: 2, worker: "w", leaseSeconds: 60)
            struct Cause: Error, CustomStringConvertible {
                let description = "HTTP 400 from Zoho with Authorization: Zoho-oauthtoken 1000.abcdef0123.abcdef4567"
            }
            let error = JobError(
                .permanent,
                "INVALID_DATA: Email",
                cause: Cause(),
                exchange: ["status": 400, "response": "{\"code\":\"INVALID_DATA\"}"]
            )
            try await queue.finish([(claimed.first { $0.id == id }!, .failed(error: ErrorReport(error, exchange: error.exchange)))], worker: "w")
            // The other job's worker dies: its lease runs out with no attempt left.
            try await s.sidecar.store.execute(SQL("UPDATE jobs SET lease_until = 1 WHERE id = ?", [.int(dead)]))
            #expect(try await queue.rescueExpired() == 1)

            let entries = try await s.execute(
                "zoho.log",
                "search_read",
                [[["level", "=", "error"], ["source", "=", "queue"]]],
                ["fields": ["job_id", "message", "cause", "stack"], "order": "id"]
            )
            let rows = entries.arrayValue ?? []
            #expect(rows.count == 2)
            let first = try #require(rows.first)
            #expect(first["job_id"]?[0] == .int(id))
            #expect(first["message"]?.stringValue?.hasPrefix("job zoho.push #\(id) failed after 1 attempt(s): INVALID_DATA: Email") == true)
            let cause = first["cause"]?.stringValue ?? ""
            #expect(cause.contains("caused by: HTTP 400 from Zoho") && !cause.contains("abcdef0123"))
            #expect(first["stack"]?.stringValue?.contains("INVALID_DATA") == true)
            #expect(rows.last?["message"]?.stringValue?.contains("lease expired") == true)
            let found = try await s.execute("zoho.log", "search_count", [[["message", "ilike", "invalid_data"]]])
            #expect(found == 1)

            try await s.sidecar.store.execute(SQL("UPDATE logs SET created_at = 0 WHERE job_id = ?", [.int(id)]))
            #expect(try await LogBook.purge(s.sidecar.store, olderThanDays: 90) == 1)
            #expect(try await s.execute("zoho.log", "search_count", [[["source", "=", "queue"]]]) == 1)
        }
    }

    @Test(
        "/metrics serves Prometheus text: job, Zoho, token and webhook counters, and gauges read from the store; a token, when set, is required",
        arguments: TestStores.engines
    )
    func metrics(engine: Engine) async throws {
        TestLog.secret("metrics-t0ken-for-tests")
        try await TestSidecar.with(engine, settings: ["metrics_token": "metrics-t0ken-for-tests"]) { s in
            #expect(try await s.get("/metrics").status == 401)
            #expect(try await Self.get(s, "/metrics", bearer: "wrong").status == 401)
            _ = try await s.sidecar.queue.enqueue(NewJob(kind: "noop"))
            _ = try await s.post("/zoho/webhook/999/crm/Contacts", body: "{}")
            try await eventually("the job ran") { try await s.sidecar.queue.counts()[.done] == 1 }
            let page = try await Self.get(s, "/metrics", bearer: "metrics-t0ken-for-tests")
            #expect(page.status == 200)
            for line in [
                #"zoho_sidecar_jobs_finished_total{kind="noop",outcome="done"} 1"#,
                #"zoho_sidecar_jobs{instance="0",kind="noop",state="done"} 1"#,
                #"zoho_sidecar_webhooks_total{verdict="not_found"} 1"#,
                "zoho_sidecar_store_up 1", "zoho_sidecar_queue_lag_seconds 0",
            ] {
                #expect(page.text.contains(line), "\(line) missing from:\n\(page.text)")
            }
            #expect(page.text.contains("zoho_sidecar_job_duration_seconds_bucket{kind=\"noop\""))
            #expect(!page.text.contains("metrics-t0ken-for-tests"))
        }
    }

    static func get(_ s: TestSidecar, _ path: String, bearer: String) async throws -> TestSidecar.HTTPResult {
        var request = HTTPClientRequest(url: s.baseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        return TestSidecar.HTTPResult(status: Int(response.status.code), body: .null, text: text)
    }

    @Test(
        "/healthz says the process is up; /readyz checks store, schema and workers and turns 503 when the store is gone",
        arguments: TestStores.engines
    )
    func health(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            #expect(try await s.get("/healthz").body == ["status": "ok"])
            let ready = try await s.get("/readyz")
            #expect(ready.status == 200)
            #expect(ready.body["status"] == "ok")
            #expect(ready.body["workers"] == "running")
            #expect(ready.body["schema_version"] == ready.body["schema_latest"])

            await s.sidecar.store.close()
            let gone = try await s.get("/readyz")
            #expect(gone.status == 503)
            #expect(gone.body["status"] == "error")
            #expect(gone.body["errors"]?[0]?.stringValue?.contains("the store does not answer") == true)
            #expect(try await s.get("/healthz").status == 200)
        }
    }

    @Test("every request gets an id, returned in X-Request-Id and on each log line written while it runs")
    func requestIDs() async throws {
        try await TestSidecar.with(.sqlite) { s in
            var request = HTTPClientRequest(url: s.baseURL + "/zoho/webhook/1/crm/Contacts")
            request.method = .POST
            request.headers.add(name: "X-Request-Id", value: "trace-42")
            request.body = .bytes(ByteBuffer(string: "{}"))
            _ = try await s.execute("zoho.instance", "create", [["name": "A"]])
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.headers["X-Request-Id"] == ["trace-42"])
            #expect(s.logLines.all.contains { $0.contains("webhook refused") && $0.contains("request_id=trace-42") })

            let generated = try await HTTPClient.shared.execute(HTTPClientRequest(url: s.baseURL + "/healthz"), timeout: .seconds(30))
            #expect(generated.headers["X-Request-Id"].first.map { !$0.isEmpty && $0.allSatisfy(\.isHexDigit) } == true)
        }
    }

    @Test("a job's run carries its id on every log line, and JSON-lines logs are one masked object per line")
    func jobIDsAndJSONLines() async throws {
        try await TestStores.withStore(.sqlite) { store in
            let lines = Mutex<[String]>([])
            let logger = Logger(label: "t") {
                SidecarLogHandler(label: $0, level: .info, format: .json, sink: { l in lines.withLock { $0.append(l) } })
            }
            let h = Handler(kind: "talk") { ctx in
                logger.info("working with Authorization: Zoho-oauthtoken 1000.abcdef0123456789.secret")
                return ["job": .int(LogContext.jobID ?? -1)]
            }
            try await withWorkers(store, [h]) { queue in
                let id = try await queue.enqueue(NewJob(kind: "talk"))
                try await eventually("done") { try await queue.job(id)?.state == .done }
                let line = try #require(lines.withLock { $0.first })
                let object = try JSONValue.parse(line)
                #expect(object["job_id"] == .string(String(id)))
                #expect(object["message"]?.stringValue?.contains("1000.abcdef0123456789.secret") == false)
                #expect(object["level"] == "info")
            }
        }
    }
}
