import Core
import Foundation
import Simulator
import Store
import Sync
import Testing
import Webhooks
import ZohoAPI

@Suite("CRM notification channels through the gateway")
struct ChannelTests {
    /// A connected instance on the simulator, with channels pointing at this sidecar.
    static func withSubscribed<T>(
        _ engine: Engine,
        _ configure: @escaping (inout SimConfig) -> Void = { _ in },
        _ body: (TestSidecar, TestZoho, Int64, NotificationChannels) async throws -> T
    ) async throws -> T {
        try await TestZoho.with(configure) { zoho in
            try await OAuthTests.withConnectable(engine, zoho: zoho, settings: ["workers": "false"]) { s, id, _ in
                _ = try await OAuthTests.authorize(s, id)
                // The sidecar's port is known only now: channels point at it.
                let channels = NotificationChannels(
                    store: s.sidecar.store,
                    instances: s.sidecar.zoho.instances,
                    client: s.sidecar.zoho.client,
                    publicURL: s.baseURL,
                    logger: s.sidecar.logger
                )
                return try await body(s, zoho, id, channels)
            }
        }
    }

    static func deliveries(_ zoho: TestZoho) async throws -> [JSONValue] {
        try await zoho.control("GET", "deliveries").arrayValue ?? []
    }

    @Test("connecting subscribes the instance's channels before the browser returns, not at the next round", arguments: TestStores.engines)
    func subscribedOnConnect(engine: Engine) async throws {
        try await Self.withSubscribed(engine) { s, _, id, _ in
            let held = try await s.sidecar.store.query(SQL("SELECT module FROM channels WHERE instance_id = ? ORDER BY module", [.int(id)]))
            #expect(held.compactMap { $0["module"].text } == ["Accounts", "Contacts"])
            let listed = try await s.sidecar.zoho.client.call(id, .crm, .GET, "/crm/v8/actions/watch").json?["watch"]?.arrayValue ?? []
            #expect(listed.count == 2)
        }
    }

    @Test(
        "subscribing registers one channel per watched module with the sidecar's URL and token; disabling unsubscribes",
        arguments: TestStores.engines
    )
    func subscribeAndDisable(engine: Engine) async throws {
        try await Self.withSubscribed(engine) { s, zoho, id, channels in
            let expiries = try await channels.subscribe(id)
            #expect(Set(expiries.keys) == ["Accounts", "Contacts"])
            let lifetime = (expiries["Contacts"] ?? 0) - Clock.now()
            #expect(abs(lifetime - 6 * 86_400_000_000) < 120_000_000, "the granted expiry is stored, not the 1 h fallback")
            let listed = try await s.sidecar.zoho.client.call(id, .crm, .GET, "/crm/v8/actions/watch").json?["watch"]?.arrayValue ?? []
            #expect(listed.count == 2)
            let secret = try #require(try await s.sidecar.zoho.instances.load(id)?.webhookSecret)
            TestLog.secret(secret)
            #expect(listed.allSatisfy { $0["token"]?.stringValue == NotificationChannels.token(secret: secret) })
            #expect(
                Set(listed.compactMap { $0["notify_url"]?.stringValue }) == [
                    s.baseURL + "/zoho/webhook/\(id)/crm/Accounts", s.baseURL + "/zoho/webhook/\(id)/crm/Contacts",
                ]
            )
            let field = try await s.execute("zoho.instance", "read", [[.int(id)], ["channel_expiry"]])[0]?["channel_expiry"]
            #expect(field?.stringValue != nil)

            // Renewal: a channel close to expiry is renewed by the housekeeping round, the same channel id kept.
            let before = try await s.sidecar.store.query(SQL("SELECT module, channel_id FROM channels ORDER BY module"))
            try await s.sidecar.store.execute(
                SQL("UPDATE channels SET expires_at = ? WHERE module = 'Contacts'", [.int(Clock.now() + 3_600_000_000)])
            )
            #expect(await channels.maintain() == 1)
            #expect(await channels.maintain() == 0, "nothing left to renew")
            let after = try await s.sidecar.store.query(SQL("SELECT module, channel_id, expires_at FROM channels ORDER BY module"))
            #expect(after.map { $0["channel_id"].text } == before.map { $0["channel_id"].text })
            #expect(after.allSatisfy { ($0["expires_at"].int ?? 0) > Clock.now() + 5 * 86_400_000_000 })

            // Disabling the instance disables its channels at Zoho.
            let disable = try await s.execute("zoho.instance", "action_disable", [[.int(id)]])
            #expect(disable == true)
            let remaining = try await s.sidecar.store.scalar(SQL("SELECT count(*) FROM channels WHERE instance_id = ?", [.int(id)])).int
            #expect(remaining == 0)
            _ = try await zoho.control("POST", "crm/eu/Contacts", ["Last_Name": "After"])
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.deliveries(zoho).isEmpty, "Zoho no longer notifies a disabled instance")
        }
    }

    @Test(
        "the simulator's delivery delay is a latency, as Zoho's notification delay is: ten changes a moment apart are notified one delay later, not one delay after another"
    )
    func deliveryDelayIsLatency() async throws {
        try await Self.withSubscribed(.sqlite, { c in c.delayDeliveryMilliseconds = 1000 }) { _, zoho, id, channels in
            try await channels.subscribe(id)
            for n in 0..<10 {
                _ = try await zoho.control("POST", "crm/eu/Contacts", ["Last_Name": .string("Late \(n)")])
            }
            #expect(try await zoho.control("GET", "deliveries/pending")["pending"] == 10)
            // One delay after another would take ten seconds.
            try await eventually("ten callbacks sent", timeout: .seconds(5)) {
                try await Self.deliveries(zoho).count == 10
            }
            #expect(try await zoho.control("GET", "deliveries/pending")["pending"] == 0)
        }
    }

    @Test("the simulator's callbacks, duplicated, delayed and reordered, become exactly one pull per change", arguments: TestStores.engines)
    func endToEnd(engine: Engine) async throws {
        try await Self.withSubscribed(
            engine,
            { c in
                c.duplicateDeliveryPercent = 90
                c.reorderDeliveries = true
                c.delayDeliveryMilliseconds = 100
            }
        ) { s, zoho, id, channels in
            try await channels.subscribe(id)
            var created: [String] = []
            for n in 0..<6 {
                created.append(
                    try #require(
                        try await zoho.control("POST", "crm/eu/Contacts", ["Last_Name": .string("Sim \(n)"), "Email": .string("s\(n)@example.com")])[
                            "id"
                        ]?.stringValue
                    )
                )
            }
            _ = try await zoho.control("PUT", "crm/eu/Contacts/\(created[0])", ["Phone": "+1 555 0100"])
            _ = try await zoho.control("DELETE", "crm/eu/Contacts/\(created[1])")
            let account = try #require(try await zoho.control("POST", "crm/eu/Accounts", ["Account_Name": "Sim Corp"])["id"]?.stringValue)

            var expected =
                created.map { "Contacts/\($0)/insert" } + [
                    "Contacts/\(created[0])/update", "Contacts/\(created[1])/delete", "Accounts/\(account)/insert",
                ]
            expected.sort()
            // Nine changes, delivered one batch at a time after a delay; with duplicates Zoho sends more than nine.
            var seen: [String] = []
            for _ in 0..<200 {
                let pulls = try await WebhookTests.pullJobs(s, id).map { $0["payload"] ?? .null }
                seen = pulls.flatMap { p in
                    (p["ids"]?.arrayValue ?? []).map {
                        "\(p["object"]?.stringValue ?? "")/\($0.stringValue ?? "")/\(p["operation"]?.stringValue ?? "")"
                    }
                }
                if seen.count >= expected.count { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(300))  // duplicates still in flight
            let all = try await Self.deliveries(zoho)
            #expect(all.count > 9 && all.allSatisfy { $0["status"] == 200 }, "every callback was acknowledged")
            let audit = try await WebhookTests.events(s, id)
            #expect(audit.count == all.count)
            #expect(audit.filter { $0["verdict"] == "accepted" }.count == 9)
            #expect(audit.filter { $0["verdict"] == "duplicate" }.count == all.count - 9)
            #expect(seen.sorted() == expected)
        }
    }
}
