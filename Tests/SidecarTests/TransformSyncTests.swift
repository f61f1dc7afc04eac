import Core
import Foundation
import Queue
import Store
import Testing

@testable import Sync

/// The transforms through real syncs: the simulated Zoho's Deals and the Odoo stand-in's leads over
/// HTTP, with a mapping stored for the instance as a person would add it (no shipped mapping covers Deals).
@Suite("Transforms through a sync")
struct TransformSyncTests {
    static let dealsJSON = try! JSONValue.parse(
        #"""
        {"name": "deals", "odoo_model": "crm.lead", "odoo_domain": [["type", "=", "opportunity"]],
         "odoo_defaults": {"type": "opportunity"}, "app": "crm", "object": "Deals",
         "match_odoo": "name", "match_zoho": "Deal_Name",
         "fields": [
           {"odoo": "name", "zoho": "Deal_Name"},
           {"odoo": "date_deadline", "zoho": "Closing_Date", "transform": "date"},
           {"odoo": "date_closed", "zoho": "Closed_Time", "transform": "datetime"},
           {"odoo": "expected_revenue", "zoho": "Amount", "transform": "currency"},
           {"odoo": "stage_id", "zoho": "Stage", "transform": "many2one", "model": "crm.stage", "by": "xml_id",
            "values": {"crm.stage_lead1": "Qualification", "crm.stage_lead3": "Proposal/Price Quote", "crm.stage_lead4": "Closed Won"}},
           {"odoo": "tag_ids", "zoho": "Segments", "transform": "tags", "model": "crm.tag"},
           {"odoo": "user_id", "zoho": "Owner", "transform": "user"}
         ]}
        """#
    )

    /// The organisation's own fields on Deals, added as Zoho's Create Custom Fields API adds them:
    /// a date and time, and a multi-select picklist.
    static func addCustomFields(_ h: SyncHarness) async throws {
        let segments = TestZoho.options(["Enterprise", "Public", "Retail"])
        try await h.zoho.addCRMFields(
            "Deals",
            [
                ["field_label": "Closed Time", "api_name": "Closed_Time", "data_type": "datetime"],
                ["field_label": "Segments", "api_name": "Segments", "data_type": "multiselectpicklist", "pick_list_values": segments],
            ]
        )
    }

    /// The simulator's users (`GET /crm/v8/users`).
    static let zohoAdmin = "5725767000000100001"

    /// A job for the engine's calls to log under: due in an hour and cancelled at once, so no worker takes it.
    static func job(_ h: SyncHarness) async throws -> Job {
        let queue = h.s.sidecar.queue
        let id = try await queue.enqueue(NewJob(kind: "test.transforms", instanceID: h.instance, eta: Clock.now() + 3_600_000_000))
        _ = try await queue.cancel([id])
        return try #require(try await queue.job(id))
    }

    @Test(
        "a date, a datetime with an offset, an amount, a stage, tags and an owner sync both ways without echo; a record with a value the mapping cannot convert fails alone, logged and listed, and crosses once fixed",
        arguments: TestStores.engines
    )
    func bothWays(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            try await Self.addCustomFields(h)
            let standIn = h.odoo.odoo
            func create(_ model: String, _ values: JSONValue) async throws -> Int64 {
                try #require(try await standIn.execute(model, "create", [values], ["context": ["zoho_skip_push": true]]).intValue)
            }
            func write(_ id: Int64, _ values: JSONValue) async throws {
                _ = try await standIn.execute("crm.lead", "write", [[.int(id)], values], ["context": ["zoho_skip_push": true]])
            }
            let retail = try await create("crm.tag", ["name": "Retail"])
            let publicSector = try await create("crm.tag", ["name": "Public"])
            let enterprise = try await create("crm.tag", ["name": "Enterprise"])
            let ada = try await create("res.users", ["name": "Ada Admin", "login": "ada", "email": "Admin@Sim.Zoho.local"])
            let sara = try await create("res.users", ["name": "Sara Sales", "login": "sales@sim.zoho.local"])
            let odd = try await create("res.users", ["name": "Odd Contractor", "login": "odd", "email": "odd@example.com"])
            // The instance's own mapping, as a person would add it.
            try await MappingRecords.insert(Self.dealsJSON, instanceID: h.instance, companyID: 1, shipped: nil, in: h.s.sidecar.store)
            let sync = h.s.sidecar.sync
            let job = try await Self.job(h)

            // Odoo → Zoho: a lead with every kind of value, and one whose salesperson Zoho does not have.
            let kiosk = try await create(
                "crm.lead",
                [
                    "name": "Kiosk rollout", "type": "opportunity", "date_deadline": "2026-12-31", "date_closed": "2026-12-07 04:45:00",
                    "expected_revenue": 12.5, "stage_id": 3, "tag_ids": [[6, 0, [.int(retail), .int(publicSector)]]], "user_id": .int(sara),
                ]
            )
            let stray = try await create("crm.lead", ["name": "Stray lead", "type": "opportunity", "stage_id": 1, "user_id": .int(odd)])
            let pushed = try await sync.push(PushRequest(model: "crm.lead", ids: [kiosk, stray], operation: "create", source: "test"), job: job)
            #expect(pushed["created"] == 1, "\(pushed)")
            let deals = try await h.zohoRecords("Deals")
            #expect(deals.count == 1, "the stray lead stays out of Zoho")
            let deal = try #require(deals.first { $0["Deal_Name"] == "Kiosk rollout" })
            #expect(deal["Closing_Date"] == "2026-12-31")
            #expect(deal["Closed_Time"] == "2026-12-07T10:15:00+05:30", "Zoho shows the instant in its own offset")
            #expect(deal["Amount"] == 12.5)
            #expect(deal["Stage"] == "Proposal/Price Quote")
            #expect(deal["Segments"] == ["Public", "Retail"])
            #expect(deal["Owner"]?["email"] == "sales@sim.zoho.local")

            // Nothing differs now: not the instant in Zoho's offset, nor the tags in Zoho's order, nor the amount.
            let again = try await sync.push(PushRequest(model: "crm.lead", ids: [kiosk], operation: "write", source: "test"), job: job)
            #expect(again["updated"] == 0 && again["unchanged"] == 1, "\(again)")

            // Zoho → Odoo: a deal with every kind of value, and one in a stage the mapping's table lacks.
            let hospital = try #require(
                try await h.zoho.control(
                    "POST",
                    "crm/eu/Deals",
                    [
                        "Deal_Name": "Hospital wing", "Stage": "Closed Won", "Amount": 1999.99, "Closing_Date": "2027-01-15",
                        "Closed_Time": "2027-01-10T09:00:00-05:00", "Segments": ["Enterprise", "Public"], "Owner": ["id": .string(Self.zohoAdmin)],
                    ]
                )["id"]?.stringValue
            )
            let annex = try #require(
                try await h.zoho.control("POST", "crm/eu/Deals", ["Deal_Name": "Clinic annex", "Stage": "Negotiation/Review", "Amount": 10])["id"]?
                    .stringValue
            )
            let pulled = try await sync.pull(
                PullRequest(app: "crm", object: "Deals", ids: [hospital, annex], operation: "insert", source: "test"),
                job: job
            )
            #expect(pulled["created"] == 1, "\(pulled)")
            let leads = await standIn.all("crm.lead")
            #expect(!leads.contains { $0["name"] == "Clinic annex" }, "the deal in an unknown stage stays out of Odoo")
            let lead = try #require(leads.first { $0["name"] == "Hospital wing" })
            let wing = try #require(lead["id"]?.intValue)
            #expect(lead["type"] == "opportunity")
            #expect(lead["date_deadline"] == "2027-01-15")
            #expect(lead["date_closed"] == "2027-01-10 14:00:00", "Zoho's 09:00 at -05:00, in Odoo's UTC")
            #expect(lead["expected_revenue"] == 1999.99)
            #expect(lead["stage_id"]?[0] == 4)
            #expect(lead["tag_ids"] == [.int(publicSector), .int(enterprise)])
            #expect(lead["user_id"]?[0] == .int(ada), "Zoho's admin is the Odoo user with that email, whatever its letter case")

            // Each unconvertible record: a zoho.log entry naming mapping, record, field and value, and a rejected record.
            let logs = try await h.s.execute("zoho.log", "search_read", [[["level", "=", "error"]]], ["fields": ["message"]]).arrayValue ?? []
            let messages = Set(logs.compactMap { $0["message"]?.stringValue })
            #expect(
                messages == [
                    "deals: Odoo crm.lead \(stray) is not synced: Odoo's user_id 'Odd Contractor <odd@example.com>' has no Zoho user with the same email: "
                        + "give the user the same email on both sides, or change it in Odoo",
                    "deals: Zoho Deals \(annex) is not synced: Zoho's Stage 'Negotiation/Review' is not in mapping deals' value table for stage_id: "
                        + "add it to the table, or change it in Zoho",
                ]
            )
            let rejected = try await RejectionTests.rejections(h)
            #expect(rejected.count == 2, "\(rejected)")
            let strayEntry = try #require(rejected.first { $0["odoo_id"] == .int(stray) })
            #expect(strayEntry["rejected_by"] == "mapping" && strayEntry["operation"] == "create" && strayEntry["zoho_field"] == "Owner")
            #expect(strayEntry["mapping"] == "deals" && strayEntry["code"] == false)
            let annexEntry = try #require(rejected.first { $0["zoho_id"] == .string(annex) })
            #expect(annexEntry["rejected_by"] == "mapping" && annexEntry["odoo_id"] == 0 && annexEntry["zoho_field"] == "Stage")
            let health = HealthCheckTests.items(try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]]))
            #expect(health["rejected deals"]?.message == "2 record(s) with values mapping deals cannot convert: open Rejected records")

            // Edited on both sides: each change crosses.
            _ = try await h.zoho.control("PUT", "crm/eu/Deals/\(hospital)", ["Amount": 2500, "Segments": ["Retail"], "Stage": "Qualification"])
            _ = try await sync.pull(PullRequest(app: "crm", object: "Deals", ids: [hospital], operation: "update", source: "test"), job: job)
            let edited = try #require(await standIn.record("crm.lead", wing))
            #expect(edited["expected_revenue"] == 2500.0)
            #expect(edited["tag_ids"] == [.int(retail)])
            #expect(edited["stage_id"]?[0] == 1)
            try await write(
                kiosk,
                ["date_deadline": "2027-03-01", "date_closed": "2026-12-08 00:30:00", "user_id": .int(ada), "tag_ids": [[6, 0, []]]]
            )
            _ = try await sync.push(PushRequest(model: "crm.lead", ids: [kiosk], operation: "write", source: "test"), job: job)
            let kioskDeal = try #require(try await h.zohoRecords("Deals").first { $0["Deal_Name"] == "Kiosk rollout" })
            #expect(kioskDeal["Closing_Date"] == "2027-03-01")
            #expect(kioskDeal["Closed_Time"] == "2026-12-08T06:00:00+05:30")
            #expect(kioskDeal["Owner"]?["id"] == .string(Self.zohoAdmin))
            #expect((kioskDeal["Segments"] ?? .null).isNull, "the tags removed in Odoo are removed in Zoho")

            // Fixed, each on its side: they cross, and leave the rejected records.
            _ = try await h.zoho.control("PUT", "crm/eu/Deals/\(annex)", ["Stage": "Qualification"])
            _ = try await sync.pull(PullRequest(app: "crm", object: "Deals", ids: [annex], operation: "update", source: "test"), job: job)
            try await write(stray, ["user_id": .int(sara)])
            _ = try await sync.push(PushRequest(model: "crm.lead", ids: [stray], operation: "write", source: "test"), job: job)
            #expect(await standIn.all("crm.lead").contains { $0["name"] == "Clinic annex" && $0["stage_id"]?[0] == 1 })
            #expect(try await h.zohoRecords("Deals").contains { $0["Deal_Name"] == "Stray lead" && $0["Stage"] == "Qualification" })
            #expect(try await RejectionTests.rejections(h).isEmpty)
        }
    }
}
