import Core
import Foundation
import Queue
import Store
import Sync
import Testing
import ZohoAPI

/// What Odoo shows beside a synced record (`zoho.binding.record_status`): its Zoho records with a link
/// that opens them in Zoho's web app, the last sync, and the job or refusal still in the way.
@Suite("Record status")
struct RecordStatusTests {
    static func status(_ h: SyncHarness, _ model: String, _ ids: [Int64]) async throws -> JSONValue {
        try await h.s.execute("zoho.binding", "record_status", [.string(model), .array(ids.map { .int($0) })])
    }

    @Test("a synced partner lists its Zoho contact with a link the simulator opens; an unknown one is not in Zoho", arguments: TestStores.engines)
    func linkedAndUnknown(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let id = try await h.odoo.userCreate(["name": "Ada Lovelace", "email": "ada@example.com"])
            try await h.settle()
            let zohoID = try #require(try await h.zohoRecords("Contacts").first?["id"]?.stringValue)

            let answer = try await Self.status(h, "res.partner", [id, 987_654])
            let mine = try #require(answer["\(id)"])
            #expect(mine["state"] == "synced", "\(mine)")
            #expect(mine["last_direction"] == "push" && mine["last_sync_date"]?.stringValue?.count == 19)
            #expect(mine["job"] == false && mine["rejection"] == false)
            let link = try #require(mine["bindings"]?.arrayValue?.first)
            #expect(link["zoho_app"] == "crm" && link["zoho_object"] == "Contacts" && link["zoho_id"] == .string(zohoID))
            #expect(link["instance_id"]?[1] == "Acme")
            let url = try #require(link["url"]?.stringValue)
            #expect(url == h.zoho.base + "/eu/crm/tab/Contacts/" + zohoID)
            let page = try await Browser.get(url)
            #expect(page.status == 200 && page.body.contains("Ada") && page.body.contains("ada@example.com"), "\(page.body)")

            let unknown = try #require(answer["987654"])
            #expect(unknown["state"] == "not_in_zoho" && unknown["bindings"] == [])
        }
    }

    @Test("a form's lookup finds its model's bindings through an index, not by reading every binding", arguments: TestStores.engines)
    func lookupByIndex(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            let lookup = "SELECT b.id FROM bindings b WHERE b.odoo_model = 'res.partner' AND b.odoo_id IN (1, 2)"
            let plan = try await s.sidecar.store.transaction { tx in
                // PostgreSQL reads a table this small whole whatever its indexes; asked not to, it names the index it would use.
                if engine == .postgres { try await tx.execute(SQL("SET LOCAL enable_seqscan = off")) }
                let rows = try await tx.query(SQL((engine == .postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + lookup))
                return rows.compactMap { $0["QUERY PLAN"].text ?? $0["detail"].text }.joined(separator: "\n")
            }
            #expect(plan.contains("bindings_odoo_record"), "\(plan)")
        }
    }

    @Test("a record Zoho refused shows the refusal's message and is among the failed records", arguments: TestStores.engines)
    func refused(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let good = try await h.odoo.userCreate(["name": "Good Person", "email": "good@example.com"])
            let bad = try await h.odoo.userCreate(["name": "Carl Three", "email": "carl@example"])
            try await h.settle()
            let answer = try await Self.status(h, "res.partner", [good, bad])
            #expect(answer["\(good)"]?["state"] == "synced")
            let refused = try #require(answer["\(bad)"])
            #expect(refused["state"] == "failed", "\(refused)")
            #expect(refused["rejection"]?["message"]?.stringValue?.isEmpty == false, "\(refused)")
            let failed = try await h.s.execute("zoho.binding", "failed_records", [.string("res.partner")])
            #expect(failed == [.int(bad)])
        }
    }

    @Test("a push waiting for Odoo shows as pending; a failure shows its error until a later sync makes it good", arguments: TestStores.engines)
    func pendingThenFailed(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let id = try await h.odoo.userCreate(["name": "Grace Hopper", "email": "grace@example.com"])
            try await h.settle()
            await h.odoo.odoo.setDown(true)
            let jobs = try await h.s.execute("zoho.job", "enqueue_push", [.string("res.partner"), [.int(id)], "write", [], [:]])
            let job = try #require(jobs.arrayValue?.first?.intValue)
            var mine = try #require(try await Self.status(h, "res.partner", [id])["\(id)"])
            #expect(mine["state"] == "pending" && mine["job"]?["id"] == .int(job), "\(mine)")

            // The job gives up (as after its last attempt) after the record's last sync: the form says why.
            let store = h.s.sidecar.store
            let later = Clock.now() + 1_000_000
            try await store.execute(
                SQL(
                    "UPDATE jobs SET state = 'failed', last_error = ?, failed_at = ? WHERE id = ?",
                    [.text("Odoo is unreachable"), .int(later), .int(job)]
                )
            )
            mine = try #require(try await Self.status(h, "res.partner", [id])["\(id)"])
            #expect(mine["state"] == "failed" && mine["job"]?["error"] == "Odoo is unreachable", "\(mine)")
            #expect(try await h.s.execute("zoho.binding", "failed_records", [.string("res.partner")]) == [.int(id)])

            // A failure older than the last sync was made good by it.
            try await store.execute(SQL("UPDATE jobs SET failed_at = ? WHERE id = ?", [.int(later - 3_600_000_000), .int(job)]))
            mine = try #require(try await Self.status(h, "res.partner", [id])["\(id)"])
            #expect(mine["state"] == "synced" && mine["job"] == false, "\(mine)")
            #expect(try await h.s.execute("zoho.binding", "failed_records", [.string("res.partner")]) == [])
            await h.odoo.odoo.setDown(false)
        }
    }

    @Test(
        "a pull of the partner's Zoho contact waiting for Odoo shows the partner as pending; the other partner stays synced",
        arguments: TestStores.engines
    )
    func pendingPull(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let id = try await h.odoo.userCreate(["name": "Alan Turing", "email": "alan@example.com"])
            let other = try await h.odoo.userCreate(["name": "Kurt Goedel", "email": "kurt@example.com"])
            try await h.settle()
            let contacts = try await h.zohoRecords("Contacts")
            let zohoID = try #require(contacts.first { $0["Email"] == "alan@example.com" }?["id"]?.stringValue)
            await h.odoo.odoo.setDown(true)
            let pull = PullRequest(app: "crm", object: "Contacts", ids: [zohoID], operation: "update", source: "webhook")
            let job = try await h.s.sidecar.queue.enqueue(
                NewJob(kind: SyncJobs.pull, payload: pull.json, companyID: 1, instanceID: h.instance)
            )
            let answer = try await Self.status(h, "res.partner", [id, other])
            #expect(answer["\(id)"]?["state"] == "pending" && answer["\(id)"]?["job"]?["id"] == .int(job), "\(answer)")
            #expect(answer["\(other)"]?["state"] == "synced", "\(answer)")
            await h.odoo.odoo.setDown(false)
        }
    }

    @Test("record_status refuses a call without the model or ids, in words")
    func badArguments() async throws {
        try await TestSidecar.with(.sqlite) { s in
            let error = await #expect(throws: Error.self) {
                try await s.execute("zoho.binding", "record_status", [.string("res.partner")])
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("needs the Odoo model and a list of its record ids"), "\(String(describing: error))")
        }
    }
}

/// The links into Zoho's web apps for each data centre (facts §1: the accounts server's domain).
@Suite("Zoho web links")
struct ZohoWebLinksTests {
    let real = ZohoWebLinks(endpoints: ZohoEndpoints())

    @Test("CRM records open on crm.zoho.<domain>, Deals under the tab Potentials")
    func crm() {
        #expect(
            real.recordURL(dataCenter: "eu", app: "crm", module: "Contacts", id: "42", booksOrganization: nil)
                == "https://crm.zoho.eu/crm/tab/Contacts/42"
        )
        #expect(
            real.recordURL(dataCenter: "us", app: "crm", module: "Deals", id: "7", booksOrganization: nil)
                == "https://crm.zoho.com/crm/tab/Potentials/7"
        )
        #expect(
            real.recordURL(dataCenter: "ca", app: "crm", module: "Accounts", id: "1", booksOrganization: nil)
                == "https://crm.zohocloud.ca/crm/tab/Accounts/1"
        )
        #expect(
            real.recordURL(dataCenter: "au", app: "crm", module: "Leads", id: "1", booksOrganization: nil)
                == "https://crm.zoho.com.au/crm/tab/Leads/1"
        )
        #expect(
            real.recordURL(dataCenter: "eu", app: "crm", module: "Contacts", id: "1/../x", booksOrganization: nil)
                == "https://crm.zoho.eu/crm/tab/Contacts/1%2F%2E%2E%2Fx"
        )
    }

    @Test("Books records open under their organization; without one there is no link")
    func books() {
        #expect(
            real.recordURL(dataCenter: "in", app: "books", module: "contact", id: "9", booksOrganization: "600")
                == "https://books.zoho.in/app/600#/contacts/9"
        )
        #expect(
            real.recordURL(dataCenter: "jp", app: "books", module: "item", id: "3", booksOrganization: "600")
                == "https://books.zoho.jp/app/600#/inventory/items/3"
        )
        #expect(real.recordURL(dataCenter: "in", app: "books", module: "contact", id: "9", booksOrganization: nil) == nil)
        #expect(real.recordURL(dataCenter: "in", app: "desk", module: "tickets", id: "9", booksOrganization: nil) == nil)
    }

    @Test("with a URL template the links go to it")
    func template() {
        let sim = ZohoWebLinks(endpoints: ZohoEndpoints(template: "http://127.0.0.1:9100/{dc}"))
        #expect(
            sim.recordURL(dataCenter: "eu", app: "crm", module: "Accounts", id: "5", booksOrganization: nil)
                == "http://127.0.0.1:9100/eu/crm/tab/Accounts/5"
        )
        #expect(
            sim.recordURL(dataCenter: "eu", app: "books", module: "contact", id: "5", booksOrganization: "77")
                == "http://127.0.0.1:9100/eu/app/77#/contacts/5"
        )
    }
}
