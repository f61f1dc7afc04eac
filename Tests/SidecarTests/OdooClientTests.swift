import Core
import Foundation
import OdooRPC
import OdooStandIn
import Testing

@Suite("Odoo client")
struct OdooClientTests {
    static func connection(_ odoo: TestOdoo, api: OdooConnection.API, key: String = TestOdoo.apiKey) -> OdooConnection {
        OdooConnection(url: odoo.url, database: OdooStandIn.database, user: OdooStandIn.login, apiKey: key, api: api)
    }

    @Test("JSON-RPC and JSON-2 read and write the same records; every write carries zoho_skip_push", arguments: [OdooConnection.API.jsonrpc, .json2])
    func crud(api: OdooConnection.API) async throws {
        try await TestOdoo.with(series: api == .json2 ? 19 : 17) { odoo in
            let client = OdooClient(Self.connection(odoo, api: api))
            let ids = try await client.create("res.partner", [["name": "Ada", "email": "ada@example.com"], ["name": "Grace"]])
            #expect(ids.count == 2)
            try await client.write("res.partner", [ids[0]], ["phone": "1"])
            let rows = try await client.searchRead(
                "res.partner",
                domain: [["email", "=", "ada@example.com"]],
                fields: ["name", "phone", "parent_id"]
            )
            #expect(rows.count == 1 && rows[0]["phone"] == "1" && rows[0]["parent_id"] == false)
            let read = try await client.read("res.partner", ids, fields: ["name"])
            #expect(read.map { $0["name"] } == ["Ada", "Grace"])
            try await client.unlink("res.partner", [ids[1]])
            #expect(try await client.call("res.partner", "search_count", [[]]) == 1)
            let writes = await odoo.odoo.writes
            #expect(writes.count == 3 && writes.allSatisfy { $0.skipPush }, "create, write and unlink all said zoho_skip_push")
        }
    }

    @Test("Odoo's errors become OdooFaults with Odoo's names and messages", arguments: [OdooConnection.API.jsonrpc, .json2])
    func faults(api: OdooConnection.API) async throws {
        try await TestOdoo.with(series: api == .json2 ? 19 : 17) { odoo in
            let client = OdooClient(Self.connection(odoo, api: api))
            let unknown = await expectFault(.userError) { try await client.call("no.such.model", "search_read", [[]]) }
            #expect(unknown?.message == "Object no.such.model doesn't exist")
            await expectFault(.valueError) { try await client.searchRead("res.partner", domain: [["nofield", "=", 1]], fields: ["name"]) }
            await expectFault(.missingError) { try await client.write("res.partner", [424242], ["name": "x"]) }
            let wrong = OdooClient(Self.connection(odoo, api: api, key: "wrong-key-123456"))
            await expectFault(.accessDenied) { try await wrong.searchRead("res.partner", domain: [], fields: ["name"]) }
        }
    }

    @Test("Odoo down: the call fails as unavailable (a retryable error for the job) naming Odoo, never the key")
    func unavailable() async throws {
        TestLog.secret("secret-odoo-key-42")
        let client = OdooClient(OdooConnection(url: "http://127.0.0.1:1", database: "db", user: "u", apiKey: "secret-odoo-key-42"), timeoutSeconds: 2)
        do {
            _ = try await client.searchRead("res.partner", domain: [], fields: ["name"])
            Issue.record("expected Odoo to be unreachable")
        } catch let error as OdooUnavailable {
            #expect(error.message.contains("127.0.0.1:1"))
            #expect(!error.message.contains("secret-odoo-key-42"))
        }
    }
}
