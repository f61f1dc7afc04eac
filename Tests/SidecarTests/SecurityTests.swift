import AsyncHTTPClient
import Core
import Crypto
import Foundation
import LeakChecks
import NIOCore
import OdooRPC
import Queue
import Store
import Testing

/// The sidecar's doors, all of them: no credential and a wrong one are refused at every endpoint;
/// hostile strings through every filter of every model change nothing; one company never sees,
/// changes or acts on another's records, through any model or method.
@Suite("Security")
struct SecurityTests {
    static let hostile = [
        "'; DROP TABLE jobs; --", "\" OR 1=1 --", "x') OR ('1'='1", "%' UNION SELECT key_hash FROM api_keys --",
        "\\'; DELETE FROM instances; --", "\u{0}", "$1", "?", "::text", "{\"$ne\":null}", String(repeating: "A", count: 10_000),
    ]

    @Test(
        "every endpoint refuses a missing or wrong credential: JSON-RPC key, JSON-2 bearer, webhook secret, token and signature, OAuth state, metrics token",
        arguments: TestStores.engines
    )
    func credentials(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["metrics_token": "metrics-token-security-test"]) { s in
            TestLog.secret("metrics-token-security-test")
            let crm = try #require(
                try await s.execute("zoho.instance", "create", [["name": "Sec", "client_id": "1000.SEC", "client_secret": "sec-client-secret-1"]])
                    .intValue
            )
            let books = try #require(try await s.execute("zoho.instance", "create", [["name": "Books", "apps": ["books"]]]).intValue)
            var refused: [String] = []
            func expectRefused(_ what: String, _ status: Int, _ expected: Int) {
                #expect(status == expected, "\(what): \(status)")
                if status == expected { refused.append(what) }
            }
            // JSON-RPC: authenticate says false; execute_kw with a wrong key or uid is AccessDenied.
            let auth = try await s.rpc("common", "authenticate", ["db", "odoo", "zsk_wrong", [:]])
            #expect(auth["result"] == false)
            for (uid, key) in [(s.uid, "zsk_wrong"), (s.uid, ""), (s.uid + 1000, s.apiKey)] {
                let r = try await s.rpc("object", "execute_kw", ["db", .int(uid), .string(key), "zoho.job", "search_count", [[]]])
                #expect(r["error"]?["data"]?["name"]?.stringValue?.contains("AccessDenied") == true, "\(r)")
                refused.append("jsonrpc uid \(uid)")
            }
            // JSON-2: a bearer key is required.
            expectRefused("json2 no key", try await s.post("/json/2/zoho.job/search_count", body: "{\"domain\":[]}").status, 401)
            expectRefused(
                "json2 wrong key",
                try await s.post("/json/2/zoho.job/search_count", body: "{\"domain\":[]}", headers: [("Authorization", "Bearer zsk_wrong")]).status,
                401
            )
            // Webhooks: no proof, a wrong secret, a wrong channel token, a wrong Books signature.
            expectRefused("webhook no proof", try await s.post("/zoho/webhook/\(crm)/crm/Contacts", body: "{\"id\":\"1\"}").status, 401)
            expectRefused(
                "webhook wrong secret",
                try await s.post("/zoho/webhook/\(crm)/crm/Contacts", body: "{\"id\":\"1\"}", headers: [("X-Zoho-Webhook-Secret", "nope")]).status,
                401
            )
            expectRefused("webhook wrong ?key", try await s.post("/zoho/webhook/\(crm)/crm/Contacts?key=nope", body: "{\"id\":\"1\"}").status, 401)
            let notification = #"{"server_time":1,"module":"Contacts","ids":["1"],"operation":"update","channel_id":"1","token":"not-the-token"}"#
            expectRefused("webhook wrong channel token", try await s.post("/zoho/webhook/\(crm)/crm/Contacts", body: notification).status, 401)
            expectRefused(
                "webhook wrong signature",
                try await s.post(
                    "/zoho/webhook/\(books)/books/contact",
                    body: #"{"contact":{"contact_id":"1"}}"#,
                    headers: [("X-Zoho-Webhook-Signature", "00ff")]
                ).status,
                401
            )
            // OAuth: a forged, a missing and a replayed state.
            let url = try #require(try await s.execute("zoho.instance", "action_authorize", [[.int(crm)]])["url"]?.stringValue)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            for forged in ["", "forged", String(state.dropLast(2)) + "xx", state.replacingOccurrences(of: ".", with: "..")] {
                let r = try await s.get(
                    "/zoho/oauth/callback?code=1000.abc&state=\(forged.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                )
                expectRefused("oauth state \(forged.prefix(8))", r.status, 400)
            }
            // Metrics: the token when one is set.
            expectRefused("metrics no token", try await s.get("/metrics").status, 401)
            expectRefused("metrics wrong token", try await MonitoringTests.get(s, "/metrics", bearer: "metrics-token-security-tesT").status, 401)
            #expect(try await MonitoringTests.get(s, "/metrics", bearer: "metrics-token-security-test").status == 200)
            #expect(try await s.execute("zoho.webhook.event", "search_count", [[["verdict", "=", "accepted"]]]) == 0, "nothing refused got in")
            print("SECURITY engine=\(engine) refused=\(refused.count)")
        }
    }

    @Test(
        "RPC beyond its rate gets 429 with Retry-After, as an Odoo error envelope on /jsonrpc and JSON-2's error object; bodies over the limit get 413"
    )
    func rpcLimits() async throws {
        try await TestSidecar.with(.sqlite, settings: ["rpc_rate": "1", "rpc_burst": "3", "max_body_bytes": "2048", "workers": "false"]) { s in
            // Up to 20 requests back to back: a loaded machine may let the bucket refill a token or two
            // between them, but not twenty.
            var statuses: [Int] = []
            var limited: TestSidecar.HTTPResult?
            for _ in 0..<20 where limited == nil {
                let r = try await s.post("/jsonrpc", body: Envelope.request(id: 1, service: "common", method: "version", args: []).serialized())
                statuses.append(r.status)
                if r.status == 429 { limited = r }
            }
            #expect(statuses.prefix(3) == [200, 200, 200])
            #expect(limited?.body["error"]?["data"]?["name"] == "werkzeug.exceptions.TooManyRequests", "\(statuses)")
            var json2: TestSidecar.HTTPResult?
            for _ in 0..<20 where json2?.status != 429 {
                json2 = try await s.post("/json/2/zoho.job/search_count", body: "{}", headers: [("Authorization", "Bearer \(s.apiKey)")])
            }
            #expect(json2?.status == 429)
            #expect(json2?.body["name"] == "werkzeug.exceptions.TooManyRequests")
            try await Task.sleep(for: .seconds(1.1))
            let big = try await s.post("/jsonrpc", body: String(repeating: " ", count: 4096) + "{}")
            #expect(big.status == 413)
        }
    }

    @Test(
        "hostile strings through every field, operator, order and field list of every model are parameters, never SQL",
        arguments: TestStores.engines
    )
    func hostileFilters(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let instance = try #require(try await s.execute("zoho.instance", "create", [["name": "Keep"]]).intValue)
            _ = try await s.execute("zoho.job", "enqueue", ["noop"], ["instance_id": .int(instance)])
            let before = try await Self.rowCounts(s.sidecar.store)
            var probes = 0
            for model in s.sidecar.models.registry.models.values.sorted(by: { $0.name < $1.name }) {
                for field in model.fields.map(\.name) + ["id", "display_name"] {
                    for op in ["=", "!=", "like", "ilike", "=like", "=ilike", "<", ">=", "in", "not in", "child_of"] {
                        for value in Self.hostile {
                            let v: JSONValue = op.hasSuffix("in") ? [.string(value)] : .string(value)
                            do {
                                _ = try await s.execute(model.name, "search_count", [[[.string(field), .string(op), v]]])
                            } catch let fault as OdooFault {
                                #expect(!Leaks.looksLikeStoreError(fault.message), "\(model.name).\(field) \(op): \(fault.message)")
                            }
                            probes += 1
                        }
                    }
                }
                for value in Self.hostile {
                    for kwargs: [String: JSONValue] in [["order": .string(value)], ["fields": [.string(value)]], ["order": .string("id, " + value)]] {
                        await expectFault(.valueError, .validationError) {
                            _ = try await s.execute(model.name, "search_read", [[]], kwargs)
                        }
                        probes += 1
                    }
                }
            }
            #expect(try await Self.rowCounts(s.sidecar.store) == before, "no table lost or gained a row")
            print("SECURITY hostile_filters engine=\(engine) probes=\(probes)")
        }
    }

    static func rowCounts(_ store: any Store) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for table in ["jobs", "instances", "api_keys", "bindings", "logs", "webhook_events", "tallies"] {
            out[table] = try await store.scalar(SQL("SELECT count(*) FROM \(table)")).int
        }
        return out
    }

    @Test(
        "one company's records are invisible, unwritable and out of reach of every method for a caller limited to another company",
        arguments: TestStores.engines
    )
    func companyIsolation(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            // Company 1 owns one record of every model.
            let instance = try #require(try await s.execute("zoho.instance", "create", [["name": "Mine", "company_id": 1]], companies: [1]).intValue)
            let job = try #require(try await s.execute("zoho.job", "enqueue", ["noop"], ["instance_id": .int(instance)], companies: [1]).intValue)
            let binding = try await s.execute(
                "zoho.binding",
                "set_binding",
                [.int(instance), "crm", "Contacts", "z1", "res.partner", 7],
                companies: [1]
            )
            let secret = try #require(
                try await s.execute("zoho.instance", "action_show_webhook_secret", [[.int(instance)]], companies: [1])["webhook_secret"]?.stringValue
            )
            TestLog.secret(secret)
            #expect(
                try await s.post("/zoho/webhook/\(instance)/crm/Contacts", body: "{\"id\":\"5\"}", headers: [("X-Zoho-Webhook-Secret", secret)])
                    .status == 200
            )
            let claimed = try await s.sidecar.queue.claim(limit: 10, worker: "w", leaseSeconds: 60)
            try await s.sidecar.queue.finish(claimed.map { ($0, .failed(error: ErrorReport(message: "boom"))) }, worker: "w")
            let ids: [String: Int64] = [
                "zoho.instance": instance, "zoho.job": job, "zoho.binding": try #require(binding["id"]?.intValue ?? binding.intValue),
                "zoho.webhook.event": try #require(try await s.execute("zoho.webhook.event", "search", [[]], companies: [1])[0]?.intValue),
                "zoho.log": try #require(try await s.execute("zoho.log", "search", [[]], companies: [1])[0]?.intValue),
            ]
            var checks = 0
            for (model, id) in ids.sorted(by: { $0.key < $1.key }) {
                // The owner reads every field (a regression: the audit and error tables have no updated_at).
                #expect(try await s.execute(model, "read", [[.int(id)]], companies: [1]).arrayValue?.count == 1, "\(model) read by its company")
                #expect(try await s.execute(model, "search_count", [[]], companies: [2]) == 0, "\(model) search")
                #expect(try await s.execute(model, "search_read", [[]], ["fields": ["id"]], companies: [2]) == [], "\(model) search_read")
                let groups = try await s.execute(model, "read_group", [[]], ["fields": ["__count"], "groupby": [], "lazy": false], companies: [2])
                #expect(groups.arrayValue?.allSatisfy { $0["__count"] == 0 } != false, "\(model) read_group \(groups)")
                await expectFault(.accessError, .missingError) { _ = try await s.execute(model, "read", [[.int(id)]], companies: [2]) }
                await expectFault(.accessError, .missingError, .userError) {
                    _ = try await s.execute(model, "write", [[.int(id)], ["name": "x"]], companies: [2])
                }
                await expectFault(.accessError, .missingError, .userError) { _ = try await s.execute(model, "unlink", [[.int(id)]], companies: [2]) }
                checks += 6
                // Every method that takes record ids refuses company 1's from a company 2 caller.
                for (method, parameters) in (s.sidecar.models.registry.parameters[model] ?? [:]).sorted(by: { $0.key < $1.key })
                where parameters.first == "ids" {
                    do {
                        _ = try await s.execute(model, method, [[.int(id)]] + parameters.dropFirst().map { _ in JSONValue.null }, companies: [2])
                        Issue.record("\(model).\(method) acted on another company's record")
                    } catch let fault as OdooFault {
                        #expect([.accessError, .missingError].contains(fault.kind), "\(model).\(method): \(fault)")
                    }
                    checks += 1
                }
            }
            // The model-level methods act within the caller's companies only.
            await expectFault(.accessError) {
                _ = try await s.execute("zoho.job", "enqueue", ["noop"], ["instance_id": .int(instance)], companies: [2])
            }
            #expect(
                try await s.execute("zoho.binding", "get_binding", [.int(instance), "crm", "Contacts", "z1"], companies: [2]) == false,
                "no binding seen"
            )
            #expect(try await s.execute("zoho.binding", "get_binding", [.int(instance), "crm", "Contacts", "z1"], companies: [1]) != false)
            await expectFault(.accessError) {
                _ = try await s.execute("zoho.binding", "set_binding", [.int(instance), "crm", "Contacts", "z2", "res.partner", 8], companies: [2])
            }
            let companyOneJobs = try await s.execute("zoho.job", "search_count", [[]], companies: [1])
            #expect(try await s.execute("zoho.job", "requeue_failed", [], companies: [2]) == 0)
            try await s.sidecar.store.execute(SQL("UPDATE jobs SET state = 'done', updated_at = 0"))
            #expect(try await s.execute("zoho.job", "purge_done", [0], companies: [2]) == 0, "company 2 cannot purge company 1's jobs")
            let stats = try await s.execute("zoho.job", "get_dashboard_stats", companies: [2])
            #expect(stats["jobs"]?["done"] == 0 && stats["instances"] == [])
            let health = try await s.execute("zoho.instance", "action_health_check", companies: [2])
            #expect(!(health["items"]?.arrayValue ?? []).contains { $0["name"]?.stringValue?.contains("Mine") == true })
            #expect(try await s.execute("zoho.job", "search_count", [[]], companies: [1]) == companyOneJobs, "company 1 still has its jobs")
            print("SECURITY isolation engine=\(engine) checks=\(checks + 9)")
        }
    }

    @Test("the data directory is 0700 and the key file and the SQLite file 0600; the database holds no secret in clear")
    func filesAtRest() async throws {
        try await TestSidecar.with(.sqlite, settings: ["workers": "false"]) { s in
            let secret = "client-secret-at-rest-\(UUID().uuidString)"
            TestLog.secret(secret)
            _ = try await s.execute("zoho.instance", "create", [["name": "Rest", "client_secret": .string(secret)]])
            let mode = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }
            #expect(mode(s.dataDir) == 0o700)
            #expect(mode(s.dataDir + "/master.key") == 0o600)
            let files = try FileManager.default.contentsOfDirectory(atPath: s.dataDir).filter { $0.hasSuffix(".sqlite") }
            #expect(!files.isEmpty)
            for f in files {
                #expect(mode(s.dataDir + "/" + f) == 0o600, "\(f)")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: s.dataDir + "/" + f))
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(f) holds the client secret in clear")
                #expect(bytes.range(of: Data(s.apiKey.utf8)) == nil, "\(f) holds the API key in clear")
            }
        }
    }
}
