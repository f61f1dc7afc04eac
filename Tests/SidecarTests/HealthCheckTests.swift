import Core
import Foundation
import Store
import Testing

/// `zoho.instance.action_health_check`: what an operator reads when a sync stalls.
@Suite("Health check")
struct HealthCheckTests {
    static func items(_ report: JSONValue) -> [String: (status: String, message: String)] {
        Dictionary(
            uniqueKeysWithValues: (report["items"]?.arrayValue ?? []).map {
                ($0["name"]?.stringValue ?? "", ($0["status"]?.stringValue ?? "", $0["message"]?.stringValue ?? ""))
            }
        )
    }

    @Test("a connected instance is ok item by item; Zoho failing turns its API item and the whole report to error", arguments: TestStores.engines)
    func connected(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let before = Self.items(try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]]))
            #expect(before["initial sync"]?.status == "warning" && before["initial sync"]?.message.contains("press Initial sync") == true)
            _ = try await h.s.execute("zoho.instance", "action_initial_sync", [[.int(h.instance)]])
            try await h.settle()
            let healthy = try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]])
            let items = Self.items(healthy)
            #expect(healthy["status"] == "ok", "\(items)")
            for name in [
                "store", "workers", "queue lag", "failures", "token", "crm API", "notification channels", "webhook secret", "odoo", "initial sync",
            ] {
                #expect(items[name]?.status == "ok", "\(name): \(items[name].map { "\($0)" } ?? "missing")")
            }
            #expect(items["token"]?.message.contains("valid for") == true)
            #expect(items["odoo"]?.message.contains("Odoo 17.0") == true)

            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "500", "percent": 100])
            let failing = try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]])
            #expect(failing["status"] == "error")
            #expect(Self.items(failing)["crm API"]?.status == "error")
            _ = try await h.zoho.control("DELETE", "faults")
        }
    }

    @Test("an instance never authorized says what to do; one the caller's companies do not include is refused", arguments: TestStores.engines)
    func draft(engine: Engine) async throws {
        try await TestSidecar.with(engine) { s in
            let id = try #require(try await s.execute("zoho.instance", "create", [["name": "Fresh"]]).intValue)
            let report = try await s.execute("zoho.instance", "action_health_check", [[.int(id)]])
            let items = Self.items(report)
            #expect(report["status"] == "warning" || report["status"] == "error")
            #expect(items["token"]?.status == "warning")
            #expect(items["token"]?.message.contains("Authorize") == true)
            #expect(items["store"]?.status == "ok")
            await #expect(throws: (any Error).self) {
                _ = try await s.execute("zoho.instance", "action_health_check", [[.int(id)]], companies: [99])
            }
        }
    }
}
