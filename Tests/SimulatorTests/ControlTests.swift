import AsyncHTTPClient
import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: control API, faults, persistence")
struct ControlTests {
    @Test("counted faults: the next N calls fail as asked, then Zoho recovers")
    func countedFaults() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            _ = try await s.control("POST", "faults", ["target": "crm", "kind": "500", "count": 2])
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).json["code"] == "INTERNAL_ERROR")
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 500)
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 204)
            _ = try await s.control("POST", "faults", ["target": "crm", "kind": "429", "count": 1])
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 429)
            _ = try await s.control("POST", "faults", ["target": "crm", "kind": "invalid_token", "count": 1])
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).json["code"] == "INVALID_TOKEN")
            _ = try await s.control("POST", "faults", ["target": "books", "kind": "502", "count": 1])
            #expect(try await s.request("GET", "/us/api/books/v3/organizations", token: at).status == 502)
        }
    }

    @Test("a percentage of calls fail, deterministically with a seed")
    func percentFaults() async throws {
        try await TestSim.with(seed: 42) { s in
            let (_, at, _) = try await s.connect()
            _ = try await s.control("POST", "faults", ["target": "crm", "kind": "500", "percent": 20])
            var failures = 0
            for _ in 0..<200 where try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 500 { failures += 1 }
            #expect((20...60).contains(failures), "about 20% of 200: \(failures)")
            _ = try await s.control("DELETE", "faults")
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 204)
        }
    }

    @Test("dropped connections and timeouts reach the client as transport errors")
    func transportFaults() async throws {
        try await TestSim.with({ $0.timeoutFaultSeconds = 3 }) { s in
            let (_, at, _) = try await s.connect()
            _ = try await s.control("POST", "faults", ["target": "crm", "kind": "drop", "count": 1])
            await #expect(throws: (any Error).self) { try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at) }
            _ = try await s.control("POST", "faults", ["target": "crm", "kind": "timeout", "count": 1])
            await #expect(throws: HTTPClientError.self) {
                try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at, timeout: .milliseconds(500))
            }
        }
    }

    @Test("the request log masks Authorization and tells which refresh token each token request used")
    func requestLog() async throws {
        try await TestSim.with { s in
            let (c, at, rt) = try await s.connect()
            _ = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at)
            _ = try await s.refresh(c, rt)
            let log = try await s.control("GET", "requests")
            let text = log.serialized()
            #expect(!text.contains(at))
            #expect(!text.contains(rt))
            #expect(text.contains("Zoho-oauthtoken ***"))
            #expect(log.arrayValue?.contains { $0["grant_type"] == "refresh_token" && $0["refresh_token"]?.stringValue != nil } == true)
        }
    }

    @Test("control revoke and reset")
    func revokeAndReset() async throws {
        try await TestSim.with { s in
            let (c, _, rt) = try await s.connect()
            #expect(try await s.control("POST", "revoke", ["refresh_token": .string(rt)])["revoked"] == 1)
            #expect(try await s.refresh(c, rt).text == #"{"error":"invalid_code"}"#)
            _ = try await s.control("POST", "reset")
            #expect(
                try await s.request("GET", "/us/accounts/oauth/v2/auth?response_type=code&client_id=\(c.id)&scope=x&redirect_uri=\(TestSim.redirect)")
                    .status == 400,
                "clients are gone after reset"
            )
        }
    }

    @Test("the same seed gives the same ids and tokens")
    func deterministic() async throws {
        func run() async throws -> [String] {
            try await TestSim.with(seed: 7) { s in
                let c = try await s.client()
                let code = try await s.consent(c)["code"]!
                let t = try await s.exchange(c, code: code).json
                return [c.id, c.secret, code, t["access_token"]!.stringValue!]
            }
        }
        #expect(try await run() == run())
    }

    @Test("with a state file, clients, tokens and records survive a restart")
    func persistence() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString).json").path
        let (client, at) = try await TestSim.with(stateFile: file) { s in
            let (c, at, _) = try await s.connect()
            _ = try await s.request("POST", "/us/api/crm/v8/Contacts", body: #"{"data":[{"Last_Name":"Kept"}]}"#, token: at)
            try await s.sim.state.save(to: file)
            return (c, at)
        }
        try await TestSim.with(stateFile: file) { s in
            let list = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name", token: at)
            #expect(list.json["data"]?[0]?["Last_Name"] == "Kept")
            #expect(try await s.consent(client)["code"] != nil)
        }
    }
}
