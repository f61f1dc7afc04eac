import Core
import Foundation
import OdooRPC
import Store
import Testing

@testable import ZohoAPI

/// Connecting Zoho: the authorization-code flow, refresh, throttles and revocation, against the
/// simulator over real HTTP, on both engines.
@Suite("Zoho instances and OAuth")
struct OAuthTests {
    static let secret: String = {
        let s = "cs-\(UUID().uuidString.lowercased())"
        TestLog.secret(s)
        return s
    }()

    /// A sidecar talking to `zoho`, with one instance whose client the simulator knows.
    static func withConnectable<T>(
        _ engine: Engine,
        zoho: TestZoho,
        dc: String = "eu",
        settings: [String: String] = [:],
        _ body: (TestSidecar, Int64, String) async throws -> T
    ) async throws -> T {
        try await TestSidecar.with(engine, settings: ["zoho_url_template": zoho.template].merging(settings) { _, b in b }) { s in
            let redirect = s.baseURL + "/zoho/oauth/callback"
            let client = try await zoho.control("POST", "clients", ["redirect_uris": [.string(redirect)], "client_secret": .string(secret)])
            let clientID = client["client_id"]!.stringValue!
            let id = try #require(
                try await s.execute(
                    "zoho.instance",
                    "create",
                    [
                        [
                            "name": "Acme", "data_center": .string(dc), "client_id": .string(clientID), "client_secret": .string(secret),
                            "redirect_uri": .string(redirect),
                            "scopes": "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,ZohoCRM.notifications.ALL",
                        ]
                    ]
                ).intValue
            )
            return try await body(s, id, clientID)
        }
    }

    /// Authorize → Zoho consent (auto-approved) → callback; returns the callback's answer.
    static func authorize(_ s: TestSidecar, _ id: Int64) async throws -> (status: Int, location: String?, body: String) {
        let action = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
        let consent = try await Browser.get(try #require(action["url"]?.stringValue))
        #expect(consent.status == 302)
        return try await Browser.get(try #require(consent.location))
    }

    static func state(_ s: TestSidecar, _ id: Int64) async throws -> JSONValue {
        try await s.execute(
            "zoho.instance",
            "read",
            [[.int(id)], ["state", "last_error", "token_expiry", "api_domain", "data_center", "has_refresh_token"]]
        ).arrayValue!.first!
    }

    @Test("the consent URL asks for offline access with a signed state; the callback connects the instance", arguments: TestStores.engines)
    func connects(engine: Engine) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, clientID in
                let action = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let url = try #require(URLComponents(string: action["url"]!.stringValue!))
                let q = Dictionary(uniqueKeysWithValues: url.queryItems!.map { ($0.name, $0.value ?? "") })
                #expect(url.path == "/eu/accounts/oauth/v2/auth")
                #expect(q["access_type"] == "offline")
                #expect(q["prompt"] == "consent")
                #expect(q["client_id"] == clientID)
                #expect(q["state"]?.split(separator: ".").count == 4)
                let answer = try await Self.authorize(s, id)
                #expect(answer.status == 200, "\(answer.body)")
                let row = try await Self.state(s, id)
                #expect(row["state"] == "connected")
                #expect(row["api_domain"] == .string(zoho.base + "/eu/api"))
                #expect(row["has_refresh_token"] == true)
                #expect(row["token_expiry"]?.stringValue != nil)
                let ping = try await s.execute("zoho.job", "enqueue", [], ["kind": "zoho.ping", "instance_id": .int(id)])
                try await eventually("ping done") {
                    try await s.execute("zoho.job", "read", [[ping], ["state"]]).arrayValue?.first?["state"] == "done"
                }
            }
        }
    }

    @Test("after consent the browser goes back to the return URL (Odoo's /web#… form) with the outcome in its query", arguments: TestStores.engines)
    func returnsToOdoo(engine: Engine) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                _ = try await s.execute(
                    "zoho.instance",
                    "write",
                    [[.int(id)], ["return_url": .string("http://odoo.test/web#id=\(id)&model=zoho.instance&view_type=form")]]
                )
                let answer = try await Self.authorize(s, id)
                #expect(answer.status == 302)
                let location = try #require(answer.location)
                let back = try #require(URLComponents(string: location))
                #expect(back.path == "/web")
                #expect(back.fragment == "id=\(id)&model=zoho.instance&view_type=form", "Odoo's route stays in the fragment")
                #expect(back.queryItems?.first { $0.name == "zoho_status" }?.value == "connected")
                #expect(back.queryItems?.first { $0.name == "zoho_message" }?.value == "Connected to Zoho (EU).")
            }
        }
    }

    @Test("every data centre: consent, tokens and API calls go to that data centre", arguments: ["us", "in", "au", "jp", "ca", "sa", "cn", "uk"])
    func dataCentres(dc: String) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(.sqlite, zoho: zoho, dc: dc) { s, id, _ in
                _ = try await Self.authorize(s, id)
                #expect(try await Self.state(s, id)["api_domain"] == .string("\(zoho.base)/\(dc)/api"))
                let result = try await s.sidecar.zoho.client.call(id, .crm, .GET, "/crm/v8/org")
                #expect(result.json?["org"]?[0]?["company_name"]?.stringValue?.contains(dc.uppercased()) == true)
            }
        }
    }

    @Test("a tampered, replayed or expired state and Zoho's refusals end in a clear message, not a stack trace", arguments: TestStores.engines)
    func failures(engine: Engine) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                let tampered = try await Browser.get(
                    s.baseURL + "/zoho/oauth/callback?code=1000.x&location=eu&state=\(id).9999999999999999.abc.deadbeef"
                )
                #expect(tampered.status == 400)
                #expect(tampered.body.contains("not one this sidecar signed"))

                let action = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let consent = try await Browser.get(action["url"]!.stringValue!)
                #expect(try await Browser.get(consent.location!).status == 200)
                let replay = try await Browser.get(consent.location!)
                #expect(replay.body.contains("already used"))

                let denied = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let state = URLComponents(string: denied["url"]!.stringValue!)!.queryItems!.first { $0.name == "state" }!.value!
                let refusal = try await Browser.get(s.baseURL + "/zoho/oauth/callback?error=access_denied&state=\(state)")
                #expect(refusal.body.contains("refused access"))
                #expect(try await Self.state(s, id)["last_error"]?.stringValue?.contains("access_denied") == true)

                let badCode = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let state2 = URLComponents(string: badCode["url"]!.stringValue!)!.queryItems!.first { $0.name == "state" }!.value!
                let invalid = try await Browser.get(
                    s.baseURL + "/zoho/oauth/callback?code=1000.0123456789abcdef&location=eu&accounts-server=\(zoho.base)/eu/accounts&state=\(state2)"
                )
                #expect(invalid.body.contains("invalid_code"))
                #expect(try await Self.state(s, id)["state"] == "connected", "a failed re-authorization keeps the working connection")

                let flow = s.sidecar.zoho.flow
                let expired = flow.sign(nonce: "n1", instanceID: id, expires: Clock.now() - 1_000_000)
                #expect(try await Browser.get(s.baseURL + "/zoho/oauth/callback?code=x&state=\(expired)").body.contains("expired"))

                let foreign = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let state3 = URLComponents(string: foreign["url"]!.stringValue!)!.queryItems!.first { $0.name == "state" }!.value!
                let evil = try await Browser.get(
                    s.baseURL + "/zoho/oauth/callback?code=1000.abc&location=eu&accounts-server=http://evil.example&state=\(state3)"
                )
                #expect(evil.body.contains("does not belong"), "the client secret is never sent to a host named in the query")

                _ = try await s.execute("zoho.instance", "write", [[.int(id)], ["client_secret": "not-the-secret"]])
                let wrongSecret = try await Self.authorize(s, id)
                #expect(wrongSecret.body.contains("invalid_client_secret"))

                // The client id changed between consent and callback: Zoho answers invalid_client.
                _ = try await s.execute("zoho.instance", "write", [[.int(id)], ["client_secret": .string(Self.secret)]])
                let consentFirst = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let redirect = try await Browser.get(consentFirst["url"]!.stringValue!)
                _ = try await s.execute("zoho.instance", "write", [[.int(id)], ["client_id": "1000.UNKNOWNCLIENT"]])
                let wrongClient = try await Browser.get(redirect.location!)
                #expect(wrongClient.body.contains("invalid_client"))
                #expect(try await Self.state(s, id)["last_error"]?.stringValue?.contains("invalid_client") == true)
            }
        }
    }

    @Test(
        "a failed callback never downgrades a connected instance: a reloaded page, a 500 from Zoho's token endpoint, an expired code; each is in zoho.log, and the connection keeps working",
        arguments: TestStores.engines
    )
    func failedCallbackKeepsConnection(engine: Engine) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                let action = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let consent = try await Browser.get(action["url"]!.stringValue!)
                let callback = try #require(consent.location)
                #expect(try await Browser.get(callback).status == 200)

                let reloaded = try await Browser.get(callback)
                #expect(reloaded.status == 200, "\(reloaded.body)")
                #expect(reloaded.body.contains("stays connected"))
                #expect(try await Self.state(s, id)["state"] == "connected")

                let again = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let secondConsent = try await Browser.get(again["url"]!.stringValue!)
                _ = try await zoho.control("POST", "faults", ["target": "accounts", "kind": "500", "count": 1])
                _ = try await Browser.get(try #require(secondConsent.location))
                #expect(try await Self.state(s, id)["state"] == "connected", "a 500 from Zoho during re-authorization")

                let third = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let thirdConsent = try await Browser.get(third["url"]!.stringValue!)
                _ = try await zoho.control("POST", "clock", ["advance_seconds": 300])
                let stale = try await Browser.get(try #require(thirdConsent.location))
                #expect(stale.body.contains("invalid_code"))
                #expect(try await Self.state(s, id)["state"] == "connected", "an expired grant code")

                let logged = try await s.execute(
                    "zoho.log",
                    "search_read",
                    [[["instance_id", "=", .int(id)], ["level", "=", "warning"]]],
                    ["fields": ["message"]]
                )
                #expect(logged.arrayValue?.count == 3, "\(logged.serialized())")
                #expect(s.logLines.all.filter { $0.contains("Zoho authorization failed") }.count == 3)

                let ping = try await s.execute("zoho.job", "enqueue", [], ["kind": "zoho.ping", "instance_id": .int(id)])
                try await eventually("ping done with the earlier authorization") {
                    try await s.execute("zoho.job", "read", [[ping], ["state"]]).arrayValue?.first?["state"] == "done"
                }
            }
        }
    }

    @Test("an expired token met by 50 concurrent calls costs exactly one refresh, whether the sidecar or Zoho noticed", arguments: TestStores.engines)
    func oneRefresh(engine: Engine) async throws {
        try await TestZoho.with({ $0.refreshLimit = 1000 }) { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                _ = try await Self.authorize(s, id)
                func fifty() async throws {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<50 { group.addTask { _ = try await s.sidecar.zoho.client.call(id, .crm, .GET, "/crm/v8/org") } }
                        try await group.waitForAll()
                    }
                }
                try await s.sidecar.store.execute(SQL("UPDATE instances SET token_expires_at = 0 WHERE id = ?", [.int(id)]))
                var before = try await zoho.tokenRequests("refresh_token")
                try await fifty()
                #expect(try await zoho.tokenRequests("refresh_token") - before == 1, "expired by the clock")
                _ = try await zoho.control("POST", "expire_tokens")
                before = try await zoho.tokenRequests("refresh_token")
                try await fifty()
                #expect(try await zoho.tokenRequests("refresh_token") - before == 1, "rejected by Zoho as INVALID_TOKEN")
            }
        }
    }

    @Test("the scheduler refreshes tokens ahead of expiry", arguments: TestStores.engines)
    func refreshAhead(engine: Engine) async throws {
        try await TestZoho.with({ $0.accessTokenTTLSeconds = 300 }) { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                _ = try await Self.authorize(s, id)
                #expect(await s.sidecar.zoho.keeper.refreshDue() == 1, "300 s left is inside the 600 s margin")
                #expect(try await zoho.tokenRequests("refresh_token") == 1)
            }
        }
    }

    @Test("two sidecars on one PostgreSQL meeting an expired token refresh it once between them")
    func oneRefreshAcrossSidecars() async throws {
        guard TestStores.engines.contains(.postgres) else { return }
        try await TestZoho.with({ $0.refreshLimit = 1000 }) { zoho in
            try await Self.withConnectable(.postgres, zoho: zoho) { s, id, _ in
                _ = try await Self.authorize(s, id)
                // A second sidecar: its own keeper, client and connections, the same database.
                let other = ZohoService(
                    store: s.sidecar.store,
                    vault: s.sidecar.vault,
                    queue: s.sidecar.queue,
                    endpoints: ZohoEndpoints(template: zoho.template),
                    publicURL: "",
                    returnURL: nil,
                    refreshMarginSeconds: 600
                )
                // Expired for both sidecars, as far as the database says.
                try await s.sidecar.store.execute(SQL("UPDATE instances SET token_expires_at = 0 WHERE id = ?", [.int(id)]))
                let before = try await zoho.tokenRequests("refresh_token")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<50 {
                        let client = i % 2 == 0 ? s.sidecar.zoho.client : other.client
                        group.addTask { _ = try await client.call(id, .crm, .GET, "/crm/v8/org") }
                    }
                    try await group.waitForAll()
                }
                #expect(try await zoho.tokenRequests("refresh_token") - before == 1)

                // Zoho expires every token early: both sidecars meet INVALID_TOKEN, and still refresh once.
                _ = try await zoho.control("POST", "expire_tokens")
                let before2 = try await zoho.tokenRequests("refresh_token")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<50 {
                        let client = i % 2 == 0 ? s.sidecar.zoho.client : other.client
                        group.addTask { _ = try await client.call(id, .crm, .GET, "/crm/v8/org") }
                    }
                    try await group.waitForAll()
                }
                #expect(try await zoho.tokenRequests("refresh_token") - before2 == 1)
            }
        }
    }

    /// A connected instance whose Zoho allows one token refresh per window, that refresh already spent:
    /// the next one trips Zoho's throttle.
    static func withRefreshSpent(
        _ engine: Engine,
        _ body: (TestZoho, TestSidecar, Int64, TokenKeeper) async throws -> Void
    ) async throws {
        try await TestZoho.with({ $0.refreshLimit = 1 }) { zoho in
            try await withConnectable(engine, zoho: zoho) { s, id, _ in
                _ = try await authorize(s, id)
                let keeper = s.sidecar.zoho.keeper
                _ = try await keeper.refresh(id, rejected: nil, validUntil: Int64.max)
                try await body(zoho, s, id, keeper)
            }
        }
    }

    @Test("Zoho's refresh throttle backs the instance off instead of hammering Zoho", arguments: TestStores.engines)
    func throttle(engine: Engine) async throws {
        try await Self.withRefreshSpent(engine) { zoho, s, id, keeper in
            do {
                _ = try await keeper.refresh(id, rejected: nil, validUntil: Int64.max)
                Issue.record("the throttle did not trip")
            } catch let error as ZohoError {
                #expect(error.kind == .throttled(retryAfter: 600))
            }
            let asked = try await zoho.tokenRequests("refresh_token")
            for _ in 0..<5 { _ = try? await keeper.refresh(id, rejected: nil, validUntil: Int64.max) }
            #expect(try await zoho.tokenRequests("refresh_token") == asked, "no request while backing off")
            #expect(try await Self.state(s, id)["last_error"]?.stringValue?.contains("throttled") == true)
        }
    }

    @Test("an access token Zoho refused is not sent again while the token endpoint throttles refreshes", arguments: TestStores.engines)
    func refusedTokenNotReused(engine: Engine) async throws {
        try await Self.withRefreshSpent(engine) { zoho, s, id, _ in
            // Zoho ends the token early (its expiry, as the sidecar stored it, is an hour away).
            _ = try await zoho.control("POST", "expire_tokens")
            let since = Clock.now()
            for _ in 0..<5 {
                do {
                    _ = try await s.sidecar.zoho.client.call(id, .crm, .GET, "/crm/v8/Contacts")
                    Issue.record("expected the throttled refresh to stop the call")
                } catch let error as ZohoError {
                    guard case .throttled = error.kind else {
                        Issue.record("expected a throttle, got \(error)")
                        continue
                    }
                }
            }
            let calls = try await zoho.control("GET", "requests?path_prefix=/api/crm/v8&since=\(since)").arrayValue ?? []
            #expect(calls.count == 1, "one call met the dead token; the next four waited for the throttle: \(calls.count)")
        }
    }

    @Test("a revoked refresh token moves the instance to needs_reauth with jobs waiting; re-authorizing resumes them", arguments: TestStores.engines)
    func revocation(engine: Engine) async throws {
        try await TestZoho.with({ $0.accessTokenTTLSeconds = 1 }) { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, clientID in
                _ = try await Self.authorize(s, id)
                _ = try await zoho.control("POST", "revoke", ["client_id": .string(clientID)])
                try await Task.sleep(for: .seconds(1.2))
                let jobs = try await (0..<3).asyncMap { _ in
                    try await s.execute("zoho.job", "enqueue", [], ["kind": "zoho.ping", "instance_id": .int(id)])
                }
                try await eventually("jobs waiting", timeout: .seconds(30)) {
                    try await s.execute("zoho.job", "search_count", [[["state", "=", "waiting"]]]) == 3
                }
                let seen = try await s.execute("zoho.job", "read", [.array(jobs), ["state", "last_error", "attempts"]])
                #expect(seen.arrayValue?.allSatisfy { $0["state"] == "waiting" } == true, "\(seen.serialized())")
                #expect(try await Self.state(s, id)["state"] == "needs_reauth")
                #expect(
                    try await s.execute("zoho.log", "search_count", [[["level", "=", "error"], ["instance_id", "=", .int(id)]]]) == 1,
                    "one clear error"
                )
                #expect(try await s.execute("zoho.job", "search_count", [[["state", "=", "failed"]]]) == 0)
                _ = try await Self.authorize(s, id)
                try await eventually("jobs done after re-authorization") {
                    try await s.execute("zoho.job", "read", [.array(jobs), ["state"]]).arrayValue?.allSatisfy { $0["state"] == "done" } == true
                }
            }
        }
    }

    @Test(
        "Zoho refusing the old refresh token after the instance was authorized again does not undo the new authorization",
        arguments: TestStores.engines
    )
    func lateRefusal(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let instances = Instances(store: store, vault: try Vault(base64Key: Vault.generateKey()))
            try await store.execute(SQL("INSERT INTO instances (id, company_id, name, created_at, updated_at) VALUES (4, 1, 'Acme', 0, 0)"))
            try await instances.saveTokens(4, access: "a1", refresh: "refresh-old", expiresIn: 3600)
            try await instances.saveTokens(4, access: "a2", refresh: "refresh-new", expiresIn: 3600)
            #expect(try await instances.markNeedsReauth(4, refused: "refresh-old", error: "invalid_code") == false)
            #expect(try await instances.load(4)?.state == "connected")
            #expect(try await instances.markNeedsReauth(4, refused: "refresh-new", error: "invalid_code") == true)
            #expect(try await instances.load(4)?.state == "needs_reauth")
        }
    }

    @Test("revoke, disable and the webhook secret actions", arguments: TestStores.engines)
    func actions(engine: Engine) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                _ = try await Self.authorize(s, id)
                let test = try await s.execute("zoho.instance", "action_test_connection", [[.int(id)]])
                #expect(test["apps"]?["crm"]?["ok"] == true)
                #expect(test["apps"]?["crm"]?["latency_ms"]?.intValue != nil)
                let shown = try await s.execute("zoho.instance", "action_show_webhook_secret", [[.int(id)]])["webhook_secret"]?.stringValue
                let fresh = try await s.execute("zoho.instance", "action_regenerate_webhook_secret", [[.int(id)]])["webhook_secret"]?.stringValue
                #expect(shown != nil && fresh != nil && shown != fresh)
                #expect(try await s.execute("zoho.instance", "action_revoke", [[.int(id)]]) == true)
                #expect(try await Self.state(s, id)["state"] == "needs_reauth")
                #expect(try await Self.state(s, id)["has_refresh_token"] == false)
                #expect(try await s.execute("zoho.instance", "action_disable", [[.int(id)]]) == true)
                #expect(try await Self.state(s, id)["state"] == "disabled")
                await expectFault(.accessError) { try await s.execute("zoho.instance", "action_show_webhook_secret", [[.int(id)]], companies: [2]) }
            }
        }
    }

    @Test("no secret used in the flow appears in the database file, the logs or RPC results", arguments: TestStores.engines)
    func noSecretsLeak(engine: Engine) async throws {
        try await TestZoho.with { zoho in
            try await Self.withConnectable(engine, zoho: zoho) { s, id, _ in
                let action = try await s.execute("zoho.instance", "action_authorize", [[.int(id)]])
                let consent = try await Browser.get(action["url"]!.stringValue!)
                let grantCode = try #require(URLComponents(string: consent.location!)?.queryItems?.first { $0.name == "code" }?.value)
                #expect(try await Browser.get(consent.location!).status == 200)
                let instance = try #require(try await s.sidecar.zoho.instances.load(id))
                let secrets = [Self.secret, grantCode, instance.accessToken!, instance.refreshToken!, instance.webhookSecret!]
                _ = try await s.execute("zoho.job", "enqueue", [], ["kind": "zoho.ping", "instance_id": .int(id)])
                try await Task.sleep(for: .milliseconds(300))
                let rpc =
                    try await s.execute("zoho.instance", "read", [[.int(id)]]).serialized()
                    + (try await s.execute("zoho.job", "search_read", [[]])).serialized()
                    + (try await s.execute("zoho.log", "search_read", [[]])).serialized()
                let dump = try await s.store_dump()
                let logs = s.logLines.all.joined(separator: "\n")
                for secret in secrets {
                    #expect(!dump.contains(secret), "database")
                    #expect(!logs.contains(secret), "logs")
                    #expect(!rpc.contains(secret), "RPC results")
                }
            }
        }
    }
}

/// Zoho CRM's limits as the simulator keeps them (facts §5), met by the sidecar's own client: the
/// edition allows more calls at once than searches may make, and the sync asks a pass's searches at
/// once; the HTTP client's 8 connections per host keep them under 10.
@Suite("CRM limits")
struct CRMLimitsTests {
    @Test(
        "searches and writes of more than ten records keep under CRM's sub-concurrency of 10 even when the edition allows more calls at once: no 429",
        arguments: TestStores.engines
    )
    func heavyCallsKeepTheSubConcurrency(engine: Engine) async throws {
        try await TestZoho.with({ $0.apiLatencyMilliseconds = 200 }) { zoho in
            _ = try await zoho.control("POST", "crm/eu/edition", ["edition": "enterprise", "users": 10])
            try await OAuthTests.withConnectable(engine, zoho: zoho) { s, id, _ in
                #expect(try await OAuthTests.authorize(s, id).status == 200)
                let client = s.sidecar.zoho.client
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for n in 0..<16 {
                        group.addTask {
                            let criteria = "(Email:equals:p\(n)@example.com)"
                            return try await client.call(id, .crm, .GET, "/crm/v8/Contacts/search", query: [("criteria", criteria)]).status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == 204 }, "sixteen searches at once, none refused: \(statuses.sorted())")
            }
        }
    }
}
