import Core
import Foundation
import OdooRPC
import OdooStandIn
import Testing

@testable import Sync

/// The sidecar reads which Odoo it talks to and speaks that series' protocol: JSON-2 on 19 and later,
/// `/jsonrpc` before; a mapping runs only with the fields the series has.
@Suite("Odoo 17, 18 and 19")
struct OdooSeriesTests {
    static func client(_ odoo: TestOdoo, api: OdooConnection.API = .auto, key: String = TestOdoo.apiKey) -> OdooClient {
        OdooClient(OdooConnection(url: odoo.url, database: OdooStandIn.database, user: OdooStandIn.login, apiKey: key, api: api))
    }

    @Test("the client reads the server's version and speaks JSON-2 to Odoo 19, /jsonrpc to 17 and 18", arguments: [17, 18, 19])
    func protocolBySeries(series: Int) async throws {
        try await TestOdoo.with(series: series) { odoo in
            let client = Self.client(odoo)
            _ = try await client.create("res.partner", [["name": "Ada"]])
            let rows = try await client.searchRead("res.partner", domain: [], fields: ["name"])
            #expect(rows.map { $0["name"] } == ["Ada"])
            let server = try await client.server()
            #expect(server.series == series && server.version == "\(series).0")
            let requests = await odoo.odoo.requests
            if series >= 19 {
                #expect(server.api == .json2)
                #expect(requests["jsonrpc"] == nil, "no deprecated /jsonrpc call to Odoo 19: \(requests)")
                #expect(requests["json2"] == 2 && requests["version"] == 1)
            } else {
                #expect(server.api == .jsonrpc)
                #expect(requests["json2"] == nil && requests["version"] == nil)
            }
        }
    }

    @Test("asked for JSON-2, an Odoo before 19 is refused with the setting to change, in the client and the health check")
    func json2BeforeNineteen() async throws {
        try await TestOdoo.with(series: 17) { odoo in
            do {
                _ = try await Self.client(odoo, api: .json2).searchRead("res.partner", domain: [], fields: ["name"])
                Issue.record("expected Odoo 17 to be refused over JSON-2")
            } catch let refused as OdooRefused {
                #expect(refused.message == "Odoo 17.0 has no JSON-2 API (it came with Odoo 19): set odoo_api to auto or jsonrpc")
            }
        }
        try await SyncHarness.with(.sqlite, settings: ["odoo_api": "json2"]) { h in
            let report = try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]])
            let odoo = HealthCheckTests.items(report)["odoo"]
            #expect(odoo?.status == "error")
            #expect(odoo?.message.contains("has no JSON-2 API") == true, "\(String(describing: odoo))")
        }
    }

    @Test("a refused key says what to check, in the words of each protocol", arguments: [17, 19])
    func refusedKey(series: Int) async throws {
        try await TestOdoo.with(series: series) { odoo in
            let fault = await expectFault(.accessDenied) {
                try await Self.client(odoo, key: "not-the-key-31337").searchRead("res.partner", domain: [], fields: ["name"])
            }
            let message = fault?.message ?? ""
            #expect(message.contains("odoo_api_key"), "\(message)")
            #expect(!message.contains("not-the-key-31337"))
            if series >= 19 {
                #expect(message.contains("JSON-2") && message.contains("not a password"), "\(message)")
            } else {
                #expect(message.contains("login of admin on database standin"), "\(message)")
            }
        }
    }

    @Test("after Odoo was unreachable, the client reads its version again before the next call")
    func reconnectReadsVersion() async throws {
        try await TestOdoo.with(series: 19) { odoo in
            let client = Self.client(odoo)
            _ = try await client.searchRead("res.partner", domain: [], fields: ["name"])
            await odoo.odoo.setDown(true)
            await #expect(throws: OdooUnavailable.self) { try await client.searchRead("res.partner", domain: [], fields: ["name"]) }
            await odoo.odoo.setDown(false)
            _ = try await client.searchRead("res.partner", domain: [], fields: ["name"])
            #expect(await odoo.odoo.requests["version"] == 2)
        }
    }

    @Test("the shipped contact mapping leaves out mobile on Odoo 19 and keeps it on 17 and 18")
    func shippedMappingFitsEachSeries() throws {
        let contacts = try #require(BuiltinMappings.named("crm_contacts"))
        #expect(contacts.fields.contains { $0.odoo == "mobile" })
        #expect(contacts.fitted(to: 18).fields.contains { $0.odoo == "mobile" })
        #expect(!contacts.fitted(to: 19).fields.contains { $0.odoo == "mobile" })
        #expect(contacts.fitted(to: 19).fields.count == contacts.fields.count - 1)
    }

    @Test("a mapping naming a field this Odoo lacks does not fit, and says which field and what to do")
    func mappingThatDoesNotFit() async throws {
        let json = try JSONValue.parse(
            """
            {"name": "mobiles", "odoo_model": "res.partner", "app": "crm", "object": "Contacts",
             "match_odoo": "email", "match_zoho": "Email",
             "fields": [{"odoo": "email", "zoho": "Email"}, {"odoo": "mobile", "zoho": "Mobile"}]}
            """
        )
        let mapping = try Mapping(json: json)
        try await TestOdoo.with(series: 19) { odoo in
            let fit = try await MappingFit.check(mapping, client: Self.client(odoo))
            #expect(fit.missing == ["mobile"])
            #expect(
                fit.problem
                    == "mapping mobiles does not fit Odoo 19.0: res.partner has no field mobile. "
                    + "Remove the pair, or give it odoo_until with the last Odoo series that has the field"
            )
        }
        try await TestOdoo.with(series: 18) { odoo in
            let fit = try await MappingFit.check(mapping, client: Self.client(odoo))
            #expect(fit.problem == nil)
        }
    }

    @Test("on Odoo 19 contacts sync both ways over JSON-2 only, and the health check names the series and what was left out")
    func syncOnNineteen() async throws {
        try await SyncHarness.with(.sqlite, odooSeries: 19) { h in
            let id = try await h.odoo.userCreate(["name": "Grace Hopper", "email": "grace@example.com", "phone": "+1 202 1"])
            try await h.settle()
            let contacts = try await h.zohoRecords("Contacts")
            #expect(contacts.count == 1 && contacts.first?["Phone"] == "+1 202 1" && contacts.first?["Last_Name"] == "Hopper")

            let zid = try #require(contacts.first?["id"]?.stringValue)
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Title": "Rear Admiral", "Mobile": "+1 202 2"])
            try await h.settle()
            #expect(await h.odoo.odoo.record("res.partner", id)?["function"] == "Rear Admiral")
            #expect(try await h.failedJobs().isEmpty)
            #expect(await h.odoo.odoo.requests["jsonrpc"] == nil, "the sidecar never used /jsonrpc on Odoo 19")

            let items = HealthCheckTests.items(try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]]))
            #expect(items["odoo"]?.status == "ok")
            #expect(items["odoo"]?.message.hasPrefix("Odoo 19.0 over JSON-2 answers in") == true, "\(String(describing: items["odoo"]))")
            #expect(items["mapping crm_contacts"]?.status == "ok")
            #expect(items["mapping crm_contacts"]?.message.hasSuffix("left out on this series: mobile ↔ Mobile") == true)
            #expect(items["mapping crm_accounts"]?.message.hasPrefix("fits Odoo 19.0") == true)
        }
    }
}
