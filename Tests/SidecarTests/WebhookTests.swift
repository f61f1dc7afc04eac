import AsyncHTTPClient
import Core
import Foundation
import NIOCore
import Queue
import Simulator
import Store
import Sync
import Synchronization
import Testing
import Webhooks
import ZohoAPI

@Suite("Webhook gateway")
struct WebhookTests {
    /// A fresh instance and its webhook secret.
    static func instance(_ s: TestSidecar, _ values: [String: JSONValue] = [:], company: Int64 = 1) async throws -> (id: Int64, secret: String) {
        let id = try #require(
            try await s.execute(
                "zoho.instance",
                "create",
                [.object(["name": "Hooks"].merging(values) { _, b in b })],
                companies: [company]
            ).intValue
        )
        let secret = try #require(
            try await s.execute("zoho.instance", "action_show_webhook_secret", [[.int(id)]], companies: [company])["webhook_secret"]?.stringValue
        )
        TestLog.secret(secret)
        return (id, secret)
    }

    static func notification(
        ids: [String],
        operation: String = "update",
        time: Int64 = 1_718_117_126_473,
        token: String? = nil,
        module: String = "Contacts"
    ) -> String {
        var body: [String: JSONValue] = [
            "server_time": .int(time), "query_params": [:], "module": .string(module),
            "resource_uri": .string("https://www.zohoapis.com/crm/v2/\(module)"), "ids": .array(ids.map { .string($0) }),
            "affected_fields": [], "operation": .string(operation), "channel_id": "1000000068001",
        ]
        if let token { body["token"] = .string(token) }
        return JSONValue.object(body).serialized()
    }

    static func events(_ s: TestSidecar, _ id: Int64) async throws -> [JSONValue] {
        try await s.execute(
            "zoho.webhook.event",
            "search_read",
            [[["instance_id", "=", .int(id)]]],
            ["fields": ["verdict", "job_id", "app", "object", "size", "body_sha256", "detail", "dedup_key"], "order": "id"]
        ).arrayValue ?? []
    }

    static func pullJobs(_ s: TestSidecar, _ id: Int64) async throws -> [JSONValue] {
        try await s.execute(
            "zoho.job",
            "search_read",
            [[["instance_id", "=", .int(id)], ["kind", "=", .string(SyncJobs.pull)]]],
            ["fields": ["payload", "state", "priority"], "order": "id"]
        ).arrayValue ?? []
    }

    static func payload(_ job: JSONValue) throws -> JSONValue {
        try #require(job["payload"])
    }

    @Test("a CRM notification with the channel token is committed with its pull job before the 200", arguments: TestStores.engines)
    func acceptsNotification(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let token = NotificationChannels.token(secret: secret)
            let reply = try await s.post(
                "/zoho/webhook/\(id)/crm/Contacts",
                body: Self.notification(ids: ["5725767000003000010", "5725767000003000011"], token: token)
            )
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.body["status"] == "accepted")
            let jobs = try await Self.pullJobs(s, id)
            #expect(jobs.count == 1)
            let payload = try Self.payload(jobs[0])
            #expect(payload["ids"] == ["5725767000003000010", "5725767000003000011"])
            #expect(payload["operation"] == "update")
            #expect(payload["object"] == "Contacts")
            #expect(payload["source"] == "webhook")
            #expect(reply.body["jobs"] == .array([jobs[0]["id"]!]))
            let audit = try await Self.events(s, id)
            #expect(audit.count == 1)
            #expect(audit[0]["verdict"] == "accepted")
            #expect(audit[0]["job_id"]?[0] == jobs[0]["id"])
            #expect(audit[0]["body_sha256"]?.stringValue?.count == 64)
            #expect(!reply.text.contains(token) && !(audit.map { $0.serialized() }.joined().contains(token)), "the token is never echoed or stored")
        }
    }

    @Test(
        "the field values a notification reports are recorded with its job, when they changed; a redelivery's are not",
        arguments: TestStores.engines
    )
    func recordsReportedChanges(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let token = NotificationChannels.token(secret: secret)
            func notification(mobile: String) throws -> String {
                var body =
                    try JSONValue.parse(Self.notification(ids: ["5725767000003000010", "5725767000003000011"], token: token)).objectValue ?? [:]
                body["affected_values"] = [
                    ["record_id": "5725767000003000010", "values": ["Mobile": .string(mobile), "Email": "a@example.com"]],
                    ["record_id": "5725767000003000011", "values": ["Mobile": .string(mobile)]],
                ]
                return JSONValue.object(body).serialized()
            }
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: notification(mobile: "123")).body["status"] == "accepted")
            // The same event again (same channel, ids, operation and server_time) with other values: a duplicate, values ignored.
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: notification(mobile: "999")).body["status"] == "duplicate")
            let changes = try await FieldClock.latest(
                s.sidecar.store,
                instanceID: id,
                side: .zoho,
                object: "Contacts",
                ids: ["5725767000003000010", "5725767000003000011"]
            )
            #expect(changes.mapValues { $0.keys.sorted() } == ["5725767000003000010": ["Email", "Mobile"], "5725767000003000011": ["Mobile"]])
            let mobile = try #require(changes["5725767000003000010"]?["Mobile"])
            #expect(mobile.time == 1_718_117_126_473)
            #expect(mobile.fingerprint == FieldClock.fingerprint("123"))
            let audit = try await Self.events(s, id)
            #expect(audit.map { $0["verdict"] } == ["accepted", "duplicate"])
            let jobs = try await Self.pullJobs(s, id)
            #expect(jobs.count == 1 && audit[0]["job_id"]?[0] == jobs[0]["id"])
        }
    }

    @Test(
        "a value's report keeps dating it when a sync that read the value before the report came records its observation after",
        arguments: TestStores.engines
    )
    func reportOutlivesLateObservation(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let store = s.sidecar.store
            func phone(_ value: JSONValue, at time: Int64, readAt: Int64? = nil) -> FieldChange {
                FieldChange(
                    instanceID: 1,
                    side: .zoho,
                    object: "Contacts",
                    recordID: "7",
                    field: "Phone",
                    time: time,
                    readAt: readAt,
                    fingerprint: FieldClock.fingerprint(value)
                )
            }
            func latest() async throws -> FieldChange? {
                try await FieldClock.latest(store, instanceID: 1, side: .zoho, object: "Contacts", ids: ["7"])["7"]?["Phone"]
            }
            // Zoho's callback: a person set Phone to "r8" at 1,000.
            try await FieldClock.record([phone("r8", at: 1_000)], store)
            // A sync read "r8" before that callback came, and dates it by the record's Modified_Time, moved since by another field.
            try await FieldClock.record([phone("r8", at: 3_000, readAt: 2_500)], store)
            #expect(try await latest() == phone("r8", at: 1_000), "the report still dates r8: its bound would beat an Odoo edit made at 2,000")
            // A value no report explains came later: the observation of it is the latest change.
            try await FieldClock.record([phone("r9", at: 4_000, readAt: 3_500)], store)
            #expect(try await latest() == phone("r9", at: 4_000, readAt: 3_500))
            // And the report of that value, when it comes, dates it.
            try await FieldClock.record([phone("r9", at: 3_200)], store)
            #expect(try await latest() == phone("r9", at: 3_200))
        }
    }

    @Test("the shared secret works as header or ?key=; workflow webhooks arrive as JSON or form", arguments: TestStores.engines)
    func acceptsSecretAndWorkflowBodies(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let json = try await s.post(
                "/zoho/webhook/\(id)/crm/Contacts",
                body: #"{"id":"5725767000000000001","Email":"a@example.com"}"#,
                headers: [("X-Zoho-Webhook-Secret", secret)]
            )
            #expect(json.status == 200, "\(json.text)")
            let escaped = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let form = try await s.post(
                "/zoho/webhook/\(id)/crm/Contacts?key=\(escaped)",
                body: "id=5725767000000000002&Last_Name=O%27Brien+Jr&operation=create",
                headers: [("Content-Type", "application/x-www-form-urlencoded")]
            )
            #expect(form.status == 200, "\(form.text)")
            let payloads = try await Self.pullJobs(s, id).map(Self.payload)
            #expect(payloads.map { $0["ids"] } == [["5725767000000000001"], ["5725767000000000002"]])
            #expect(payloads.map { $0["operation"] } == ["change", "insert"])
            #expect(payloads.allSatisfy { $0["object"] == "Contacts" })
        }
    }

    @Test("ids come as a list (the peers' benchmark sends ones like nonce-1-2), or as text of Zoho's numeric ids separated by commas")
    func idForms() throws {
        func parse(_ json: String) throws -> [String] {
            try WebhookParser.parse(app: "crm", object: "Contacts", body: WebhookBody(bytes: Array(json.utf8), contentType: "application/json")).ids
        }
        #expect(try parse(#"{"module":"Contacts","operation":"update","ids":["k3x9-1-2"],"data":{"Last_Name":"Bench"}}"#) == ["k3x9-1-2"])
        #expect(try parse(#"{"ids":"5725767000000411001, 5725767000000411002"}"#) == ["5725767000000411001", "5725767000000411002"])
        #expect(throws: MalformedWebhook.self) { try parse(#"{"ids":"notalist"}"#) }
    }

    @Test("a delivery for an app the instance does not sync is refused with what to do, and makes no job", arguments: TestStores.engines)
    func appNotSynced(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)  // CRM only
            let body = #"{"contact":{"contact_id":"460000000026049","contact_name":"Bowman and Co"}}"#
            let refused = try await s.post("/zoho/webhook/\(id)/books/contact", body: body, headers: [("X-Zoho-Webhook-Secret", secret)])
            #expect(refused.status == 422)
            #expect(refused.body["message"] == .string("instance \(id) does not sync books: add books to its apps, or remove this webhook in Zoho"))
            #expect(try await s.execute("zoho.job", "search_count", [[]]) == 0)
            let audit = try await s.execute("zoho.webhook.event", "search_read", [[]], ["fields": ["verdict", "detail"]]).arrayValue ?? []
            #expect(audit.first?["verdict"] == "rejected" && audit.first?["detail"]?.stringValue?.contains("does not sync books") == true)
        }
    }

    @Test("a delivery for a module no mapping syncs is refused with what to do, and makes no job", arguments: TestStores.engines)
    func moduleNotSynced(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let refused = try await s.post("/zoho/webhook/\(id)/crm/Leads", body: #"{"id":"7"}"#, headers: [("X-Zoho-Webhook-Secret", secret)])
            #expect(refused.status == 422)
            #expect(
                refused.body["message"]
                    == "no mapping syncs crm Leads (synced: Accounts, Contacts): add a mapping for it, or remove this webhook in Zoho"
            )
            let token = NotificationChannels.token(secret: secret)
            let notification = #"{"module":"Deals","operation":"update","ids":["9"],"channel_id":"1","token":"\#(token)"}"#
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Deals", body: notification).status == 422)
            #expect(try await s.execute("zoho.job", "search_count", [[]]) == 0)
            let accepted = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"7"}"#, headers: [("X-Zoho-Webhook-Secret", secret)])
            #expect(accepted.status == 200)
        }
    }

    @Test("a Books default payload signed with X-Zoho-Webhook-Signature is accepted; a tampered one is not", arguments: TestStores.engines)
    func booksSignature(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s, ["apps": ["books"]])
            let body = #"{"contact":{"contact_id":"460000000026049","contact_name":"Bowman and Co"}}"#
            // The simulator's signer is the reference: Zoho Billing's documented scheme.
            let signature = SimState.booksSignature(secret: secret, query: ["org": "10234695"], body: body)
            let good = try await s.post(
                "/zoho/webhook/\(id)/books/contact?org=10234695",
                body: body,
                headers: [("X-Zoho-Webhook-Signature", signature)]
            )
            #expect(good.status == 200, "\(good.text)")
            let tampered = try await s.post(
                "/zoho/webhook/\(id)/books/contact?org=10234695",
                body: body.replacingOccurrences(of: "Bowman", with: "Bowmen"),
                headers: [("X-Zoho-Webhook-Signature", signature)]
            )
            #expect(tampered.status == 401)
            let jobs = try await Self.pullJobs(s, id)
            #expect(jobs.count == 1)
            #expect(try Self.payload(jobs[0])["ids"] == ["460000000026049"])
            #expect(try Self.payload(jobs[0])["app"] == "books")
        }
    }

    @Test("wrong or missing proofs get 401, are audited and counted, and enqueue nothing; no secret reaches the log", arguments: TestStores.engines)
    func refusesImpostors(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let body = Self.notification(ids: ["1"])
            let wrongHeader = "not-" + secret
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: body).status == 401)
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: body, headers: [("X-Zoho-Webhook-Secret", wrongHeader)]).status == 401)
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts?key=guess", body: body).status == 401)
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: Self.notification(ids: ["1"], token: "forged")).status == 401)
            #expect(
                try await s.post(
                    "/zoho/webhook/\(id)/crm/Contacts",
                    body: body,
                    headers: [("X-Zoho-Webhook-Signature", String(repeating: "0", count: 64))]
                ).status == 401
            )
            // A proof switched off for the instance no longer counts.
            _ = try await s.execute("zoho.instance", "write", [[.int(id)], ["webhook_accept_secret": false]])
            try await Task.sleep(for: .milliseconds(2100))  // the gateway's instance cache
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: body, headers: [("X-Zoho-Webhook-Secret", secret)]).status == 401)
            #expect(try await Self.pullJobs(s, id).isEmpty)
            let audit = try await Self.events(s, id)
            #expect(audit.count == 6)
            #expect(audit.allSatisfy { $0["verdict"] == "unauthorized" && $0["job_id"] == false })
            #expect(s.sidecar.webhooks.counts["unauthorized"] == 6)
            let logged = s.logLines.all.joined(separator: "\n")
            #expect(logged.contains("webhook refused: unauthorized"))
            #expect(!logged.contains(secret) && !logged.contains(wrongHeader))
        }
    }

    @Test("unknown or disabled instances get 404, other methods 405, malformed bodies 400, oversized ones 413", arguments: TestStores.engines)
    func refusesBadRequests(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false", "webhook_max_body_bytes": "2048"]) { s in
            let (id, secret) = try await Self.instance(s)
            let auth = [("X-Zoho-Webhook-Secret", secret)]
            #expect(try await s.post("/zoho/webhook/999/crm/Contacts", body: "{}", headers: auth).status == 404)
            #expect(try await s.post("/zoho/webhook/abc/crm/Contacts", body: "{}", headers: auth).status == 404)
            #expect(try await s.post("/zoho/webhook/\(id)/mail/Contacts", body: "{}", headers: auth).status == 404)
            #expect(try await s.get("/zoho/webhook/\(id)/crm/Contacts").status == 405)
            let malformed = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"ids": ["#, headers: auth)
            #expect(malformed.status == 400)
            let noID = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"Email":"x@example.com"}"#, headers: auth)
            #expect(noID.status == 400)
            #expect(noID.body["message"]?.stringValue?.contains("field named id") == true)
            let hostile = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"1'; DROP TABLE jobs; --"}"#, headers: auth)
            #expect(hostile.status == 400)
            let notIDs = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"ids":"notalist"}"#, headers: auth)
            #expect(notIDs.status == 400, "never forwarded to Zoho as ids=notalist")
            #expect(notIDs.body["message"] == #"ids must be a list of record ids, or Zoho's numeric ids separated by commas; got "notalist""#)
            let big = try await s.post(
                "/zoho/webhook/\(id)/crm/Contacts",
                body: "{\"id\":\"1\",\"pad\":\"" + String(repeating: "x", count: 4096) + "\"}",
                headers: auth
            )
            #expect(big.status == 413)
            #expect(try await Self.pullJobs(s, id).isEmpty)
            #expect(try await Self.events(s, id).map { $0["verdict"] } == ["rejected", "rejected", "rejected", "rejected", "rejected"])
            _ = try await s.execute("zoho.instance", "action_disable", [[.int(id)]])
            try await Task.sleep(for: .milliseconds(2100))
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"1"}"#, headers: auth).status == 404)
        }
    }

    @Test("the same event delivered again, also concurrently, is acknowledged once and enqueued once", arguments: TestStores.engines)
    func deduplicates(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let token = NotificationChannels.token(secret: secret)
            let body = Self.notification(ids: ["42"], token: token)
            let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: body).body["status"]?.stringValue ?? "?" }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == "accepted" }.count == 1)
            #expect(statuses.filter { $0 == "duplicate" }.count == 39)
            // A later event for the same record (new server_time) is a new event.
            #expect(
                try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: Self.notification(ids: ["42"], time: 1_718_117_999_000, token: token))
                    .body["status"] == "accepted"
            )
            // Workflow webhooks without a notification key are recognised by their body.
            let hook = #"{"id":"43"}"#
            #expect(
                try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: hook, headers: [("X-Zoho-Webhook-Secret", secret)]).body["status"]
                    == "accepted"
            )
            #expect(
                try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: hook, headers: [("X-Zoho-Webhook-Secret", secret)]).body["status"]
                    == "duplicate"
            )
            #expect(try await Self.pullJobs(s, id).count == 3)
            let verdicts = try await Self.events(s, id).compactMap { $0["verdict"]?.stringValue }
            #expect(verdicts.filter { $0 == "duplicate" }.count == 40)
        }
    }

    @Test("a dedup key expires after the window and the event is taken again", arguments: TestStores.engines)
    func dedupWindow(engine: Engine) async throws {
        // A window of 3 s: the second delivery must come within it even when the whole suite loads the
        // machine (with 1 s, CI once took longer than that between the two).
        try await TestSidecar.with(engine, settings: ["workers": "false", "webhook_dedup_window_seconds": "3"]) { s in
            let (id, secret) = try await Self.instance(s)
            let auth = [("X-Zoho-Webhook-Secret", secret)]
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"7"}"#, headers: auth).body["status"] == "accepted")
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"7"}"#, headers: auth).body["status"] == "duplicate")
            try await Task.sleep(for: .milliseconds(3200))
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"7"}"#, headers: auth).body["status"] == "accepted")
            let purged = try await WebhookRetention.purge(s.sidecar.store, retentionDays: 30)
            #expect(purged.events == 0)
        }
    }

    @Test("the audit log keeps rows for the retention's days and expired dedup keys not at all", arguments: TestStores.engines)
    func retention(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let auth = [("X-Zoho-Webhook-Secret", secret)]
            for n in 1...3 { _ = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"\#(n)"}"#, headers: auth) }
            let store = s.sidecar.store
            let day: Int64 = 86_400_000_000
            let events = try await Self.events(s, id)
            #expect(events.count == 3)
            // The first delivery was received 8 days ago, the second 6; the third's dedup key has expired.
            let rows = try await store.query(SQL("SELECT id FROM webhook_events WHERE instance_id = ? ORDER BY id", [.int(id)])).compactMap {
                $0["id"].int
            }
            try await store.execute(SQL("UPDATE webhook_events SET received_at = received_at - ? WHERE id = ?", [.int(8 * day), .int(rows[0])]))
            try await store.execute(SQL("UPDATE webhook_events SET received_at = received_at - ? WHERE id = ?", [.int(6 * day), .int(rows[1])]))
            let key = try #require(events[2]["dedup_key"]?.stringValue)
            try await store.execute(SQL("UPDATE webhook_dedup SET expires_at = ? WHERE dedup_key = ?", [.int(Clock.now() - 1), .text(key)]))

            let purged = try await WebhookRetention.purge(store, retentionDays: 7)
            #expect(purged.events == 1 && purged.dedupKeys == 1)
            #expect(try await Self.events(s, id).count == 2)
            // Its key gone, the third delivery is taken again; the second's key still guards it.
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"3"}"#, headers: auth).body["status"] == "accepted")
            #expect(try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"2"}"#, headers: auth).body["status"] == "duplicate")
        }
    }

    @Test("beyond rate and burst an instance gets 429 with Retry-After; other instances are unaffected", arguments: TestStores.engines)
    func limitsBursts(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false", "webhook_rate": "1", "webhook_burst": "3"]) { s in
            let (a, secretA) = try await Self.instance(s)
            let (b, secretB) = try await Self.instance(s)
            var statuses: [Int] = []
            let started = ContinuousClock.now
            for i in 0..<20 {
                statuses.append(
                    try await s.post("/zoho/webhook/\(a)/crm/Contacts", body: #"{"id":"\#(i)"}"#, headers: [("X-Zoho-Webhook-Secret", secretA)])
                        .status
                )
            }
            var request = HTTPClientRequest(url: s.baseURL + "/zoho/webhook/\(a)/crm/Contacts")
            request.method = .POST
            request.headers.add(name: "X-Zoho-Webhook-Secret", value: secretA)
            request.body = .bytes(ByteBuffer(string: #"{"id":"424242"}"#))
            let limited = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            // The bucket refills one token a second: on a loaded machine the requests may span a refill or two.
            let refills = Int((ContinuousClock.now - started).components.seconds)
            statuses.append(Int(limited.status.code))
            let accepted = statuses.filter { $0 == 200 }.count
            #expect(statuses.prefix(3) == [200, 200, 200])
            #expect(accepted >= 3 && accepted <= 3 + refills, "\(statuses) over \(refills) s")
            #expect(statuses.contains(429), "\(statuses) over \(refills) s")
            if limited.status.code == 429 { #expect(limited.headers.first(name: "retry-after").flatMap(Int.init) ?? 0 >= 1) }
            #expect(
                try await s.post("/zoho/webhook/\(b)/crm/Contacts", body: #"{"id":"1"}"#, headers: [("X-Zoho-Webhook-Secret", secretB)]).status == 200
            )
            #expect(try await Self.pullJobs(s, a).count == accepted)
            // Refusals are audited, sampled per second: the log cannot grow as fast as a flood.
            let limitedRows = try await Self.events(s, a).filter { $0["verdict"] == "limited" }
            #expect((1...5 * (refills + 2)).contains(limitedRows.count), "\(limitedRows.count) rows over \(refills) s: at most 5 a clock second")
        }
    }

    @Test("a notification for 250 records becomes three pull jobs of at most 100", arguments: TestStores.engines)
    func splitsLargeNotifications(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let ids = (0..<250).map { String(5_725_767_000_000_000_000 + Int64($0)) }
            let reply = try await s.post(
                "/zoho/webhook/\(id)/crm/Contacts",
                body: Self.notification(ids: ids, token: NotificationChannels.token(secret: secret))
            )
            #expect(reply.body["jobs"]?.arrayValue?.count == 3)
            let payloads = try await Self.pullJobs(s, id).map(Self.payload)
            #expect(payloads.map { $0["ids"]?.arrayValue?.count } == [100, 100, 50])
            #expect(payloads.flatMap { $0["ids"]?.arrayValue ?? [] }.compactMap(\.stringValue) == ids)
        }
    }

    @Test("two sidecars on one PostgreSQL accept a delivery sent to both exactly once")
    func dedupAcrossSidecars() async throws {
        guard TestStores.engines.contains(.postgres) else { return }
        try await TestSidecar.with(.postgres, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            // The second sidecar: its own connections, instance cache and gateway, on the same database.
            let store = try await PostgresStore.connect(url: try #require(s.databaseURL), maxConnections: 4)
            let other = WebhookGateway(
                store: store,
                instances: Instances(store: store, vault: s.sidecar.vault),
                queue: JobQueue(store: store),
                settings: WebhookSettings(),
                mappings: MappingBook(store: store),
                logger: s.sidecar.logger
            )
            let token = NotificationChannels.token(secret: secret)
            for n in 0..<30 {
                let body = Self.notification(ids: ["\(n)"], token: token)
                async let there = other.receive(
                    Delivery(
                        instance: "\(id)",
                        app: "crm",
                        object: "Contacts",
                        query: [],
                        contentType: "application/json",
                        secretHeader: nil,
                        signatureHeader: nil,
                        body: Array(body.utf8),
                        declaredSize: nil
                    )
                )
                let here = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: body)
                let replies = [here.body["status"], await there.body["status"]]
                #expect(
                    replies.filter { $0 == "accepted" }.count == 1 && replies.filter { $0 == "duplicate" }.count == 1,
                    "delivery \(n): \(replies)"
                )
            }
            await store.close()
            #expect(try await Self.pullJobs(s, id).count == 30)
        }
    }

    @Test("a delivery accepted by one sidecar wakes the idle workers of another on the same PostgreSQL at once")
    func wakesOtherSidecars() async throws {
        guard TestStores.engines.contains(.postgres) else { return }
        try await TestSidecar.with(.postgres, settings: ["workers": "false"]) { s in
            let (id, secret) = try await Self.instance(s)
            let pulled = Counter()
            let pull = Handler(kind: SyncJobs.pull) { ctx in
                pulled.add(ctx.job.id)
                return nil
            }
            // The other sidecar's workers: their own queue and wake signal, polling only every two minutes.
            let pool = WorkerPool(
                queue: JobQueue(store: s.sidecar.store),
                handlers: HandlerRegistry([pull]),
                options: .init(maintenanceInterval: .seconds(120), idlePoll: .seconds(120))
            )
            let running = Task { await pool.run() }
            try await Task.sleep(for: .milliseconds(300))
            let reply = try await s.post("/zoho/webhook/\(id)/crm/Contacts", body: #"{"id":"8"}"#, headers: [("X-Zoho-Webhook-Secret", secret)])
            #expect(reply.body["status"] == "accepted")
            try await eventually("the pull job ran", timeout: .seconds(5)) { pulled.count == 1 }
            #expect(reply.body["jobs"] == .array(pulled.all.map { .int($0) }))
            await pool.stop(grace: .seconds(1))
            await running.value
        }
    }

    @Test("a SIGKILL right after a 200 loses none of the deliveries acknowledged before it", arguments: TestStores.engines)
    func killAfterAcknowledgement(engine: Engine) async throws {
        let sidecar = try await ProcessSidecar(
            engine: engine,
            settings: [
                "workers": "false", "webhook_rate": "100000", "webhook_burst": "100000",
                "log_level": "warning",
            ]
        )
        try await sidecar.start()
        defer { sidecar.kill() }
        let id = try #require(try await sidecar.execute("zoho.instance", "create", [["name": "Crash"]]).intValue)
        let secret = try #require(
            try await sidecar.execute("zoho.instance", "action_show_webhook_secret", [[.int(id)]])["webhook_secret"]?.stringValue
        )
        TestLog.secret(secret)

        // Sixteen senders flat out; the 300th 200 kills the process while the others' deliveries are in flight.
        // They have a client of their own, a connection each, that gives up on a refused connection at
        // once: by default the client retries it until the request times out.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let acknowledged = Acknowledged()
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<16 {
                group.addTask {
                    for n in 0..<1_000 {
                        let body = #"{"id":"\#(sender * 100_000 + n + 1)","operation":"update"}"#
                        var request = HTTPClientRequest(url: sidecar.baseURL + "/zoho/webhook/\(id)/crm/Contacts")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "X-Zoho-Webhook-Secret", value: secret)
                        request.body = .bytes(ByteBuffer(string: body))
                        guard let response = try? await client.execute(request, timeout: .seconds(10)), response.status == .ok else { return }
                        if acknowledged.add(WebhookBody(bytes: Array(body.utf8), contentType: "application/json").sha256) == 300 { sidecar.kill() }
                    }
                }
            }
        }
        try await client.shutdown()
        let answered = acknowledged.all
        #expect(answered.count >= 300 && answered.count < 16_000, "the kill came after the 300th 200: \(answered.count)")

        try await sidecar.start()
        let stored =
            try await sidecar.execute(
                "zoho.webhook.event",
                "search_read",
                [[["instance_id", "=", .int(id)], ["verdict", "=", "accepted"]]],
                ["fields": ["body_sha256", "job_id"]]
            ).arrayValue ?? []
        let jobOf = Dictionary(stored.compactMap { e in e["body_sha256"]?.stringValue.map { ($0, e["job_id"]?[0]?.intValue) } }) { a, _ in a }
        let lost = answered.filter { jobOf[$0] == nil }
        #expect(lost.isEmpty, "\(lost.count) of \(answered.count) acknowledged deliveries are not in the store")
        let jobs = answered.compactMap { jobOf[$0] ?? nil }
        #expect(jobs.count == answered.count, "every acknowledged delivery names its job")
        let found = try await sidecar.execute("zoho.job", "search_count", [[["id", "in", .array(jobs.map { .int($0) })]]]).intValue
        #expect(found == Int64(answered.count), "every acknowledged delivery's job is in the queue")
    }
}

/// What the senders saw acknowledged: their bodies' SHA-256, in the order the 200s came.
final class Acknowledged: Sendable {
    private let shas = Mutex<[String]>([])
    /// Adds one and returns how many there are now.
    func add(_ sha: String) -> Int {
        shas.withLock {
            $0.append(sha)
            return $0.count
        }
    }
    var all: [String] { shas.withLock { $0 } }
}
