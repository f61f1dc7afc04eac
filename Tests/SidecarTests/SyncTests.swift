import Core
import Foundation
import OdooStandIn
import Queue
import Simulator
import Store
import Synchronization
import Testing
import ZohoAPI

@testable import Sync

/// A connected instance between the simulated Zoho and the Odoo stand-in, with notification channels
/// pointing at the sidecar and Odoo forwarding its users' writes, as the addon does.
struct SyncHarness {
    let s: TestSidecar
    let zoho: TestZoho
    let odoo: TestOdoo
    let instance: Int64

    static func with<T>(
        _ engine: Engine,
        settings: [String: String] = [:],
        odooSeries: Int = 17,
        _ configure: @escaping (inout SimConfig) -> Void = { _ in },
        _ body: (SyncHarness) async throws -> T
    ) async throws -> T {
        try await TestZoho.with(configure) { zoho in
            try await TestOdoo.with(series: odooSeries) { odoo in
                try await OAuthTests.withConnectable(engine, zoho: zoho, settings: odoo.settings.merging(settings) { _, b in b }) { s, id, _ in
                    _ = try await OAuthTests.authorize(s, id)
                    let channels = NotificationChannels(
                        store: s.sidecar.store,
                        instances: s.sidecar.zoho.instances,
                        client: s.sidecar.zoho.client,
                        publicURL: s.baseURL,
                        logger: s.sidecar.logger
                    )
                    try await channels.subscribe(id)
                    await odoo.odoo.setForward { model, ids, operation, values in
                        _ = try? await s.execute(
                            "zoho.job",
                            "enqueue_push",
                            [.string(model), .array(ids.map { .int($0) }), .string(operation), [], .object(values)]
                        )
                    }
                    let h = SyncHarness(s: s, zoho: zoho, odoo: odoo, instance: id)
                    try await h.settle()
                    return try await body(h)
                }
            }
        }
    }

    /// Waits until no job is pending or running and none appeared for a moment (callbacks and forwards are asynchronous).
    func settle(timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var quiet = 0
        while quiet < 4 {
            guard Date() < deadline else {
                Issue.record("jobs did not settle within \(timeout) s")
                return
            }
            let busy = try await s.execute("zoho.job", "search_count", [[["state", "in", ["pending", "running"]]]]).intValue ?? 0
            quiet = busy == 0 ? quiet + 1 : 0
            try await Task.sleep(for: .milliseconds(busy == 0 ? 100 : 50))
        }
    }

    func zohoRecords(_ module: String) async throws -> [JSONValue] {
        try await zoho.control("GET", "crm/eu/\(module)").arrayValue ?? []
    }

    func bindings(_ domain: JSONValue = []) async throws -> [JSONValue] {
        try await s.execute(
            "zoho.binding",
            "search_read",
            [domain],
            ["fields": ["odoo_id", "zoho_id", "zoho_object", "sync_hash", "last_direction"]]
        ).arrayValue ?? []
    }

    /// A partner Odoo had before: created without being forwarded, so only a reconciliation finds it.
    @discardableResult
    func odooOnly(_ values: [String: JSONValue]) async throws -> Int64 {
        try #require(try await odoo.odoo.execute("res.partner", "create", [.object(values)], ["context": ["zoho_skip_push": true]]).intValue)
    }

    func failedJobs() async throws -> [JSONValue] {
        try await s.execute("zoho.job", "search_read", [[["state", "=", "failed"]]], ["fields": ["kind", "last_error"]]).arrayValue ?? []
    }
}

@Suite("Two-way sync")
struct SyncTests {
    @Test("while Odoo is down the instance's jobs wait without spending attempts, and sync once it is back", arguments: TestStores.engines)
    func odooDown(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            _ = try await h.zoho.control("POST", "crm/eu/Contacts", ["Last_Name": "Outage", "Email": "outage@example.com"])
            await h.odoo.odoo.setDown(true)
            try await eventually("the pull job meets Odoo down") {
                let rows =
                    try await h.s.execute(
                        "zoho.job",
                        "search_read",
                        [[["kind", "=", "zoho.pull"]]],
                        ["fields": ["state", "attempts", "last_error"]]
                    ).arrayValue ?? []
                return rows.contains { $0["last_error"]?.stringValue?.contains("Odoo is unreachable") == true }
            }
            let waiting =
                try await h.s.execute("zoho.job", "search_read", [[["kind", "=", "zoho.pull"]]], ["fields": ["state", "attempts"]]).arrayValue ?? []
            #expect(waiting.allSatisfy { $0["state"] == "pending" && $0["attempts"] == 0 }, "\(waiting)")
            await h.odoo.odoo.setDown(false)
            try await h.settle(timeout: 60)
            #expect(await h.odoo.odoo.all("res.partner").contains { $0["email"] == "outage@example.com" })
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("an Odoo person created, edited and deleted reaches Zoho Contacts; nothing echoes back", arguments: TestStores.engines)
    func odooToZohoContacts(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let id = try await h.odoo.userCreate(["name": "Ada King Lovelace", "email": "ada@example.com", "phone": "+44 20 1"])
            try await h.settle()
            var contacts = try await h.zohoRecords("Contacts")
            #expect(contacts.count == 1)
            #expect(contacts.first?["First_Name"] == "Ada King")
            #expect(contacts.first?["Last_Name"] == "Lovelace")
            #expect(contacts.first?["Email"] == "ada@example.com")
            let bound = try await h.bindings()
            #expect(bound.count == 1 && bound.first?["odoo_id"] == .int(id) && bound.first?["zoho_id"] == contacts.first?["id"])
            #expect(bound.first?["sync_hash"]?.stringValue?.count == 64)

            try await h.odoo.userWrite(id, ["phone": "+44 20 2", "function": "Analyst"])
            try await h.settle()
            contacts = try await h.zohoRecords("Contacts")
            #expect(contacts.first?["Phone"] == "+44 20 2")
            #expect(contacts.first?["Title"] == "Analyst")

            try await h.odoo.userUnlink(id)
            try await h.settle()
            #expect(try await h.zohoRecords("Contacts").isEmpty, "deleted in Zoho too")
            #expect(try await h.bindings().isEmpty, "the binding went with the record")

            let sidecarWrites = await h.odoo.odoo.writes.filter { $0.skipPush }
            #expect(sidecarWrites.isEmpty, "Zoho's callbacks for the sidecar's own writes changed nothing in Odoo: \(sidecarWrites.map(\.values))")
            #expect(try await h.zoho.control("GET", "stats")["noop_updates"] == nil, "no Zoho write that changes nothing")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("names with leading, trailing or repeated spaces reach Zoho with a last name, and nothing is written back", arguments: TestStores.engines)
    func namesWithOddSpaces(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            _ = try await h.odoo.userCreate(["name": "Ann Trailing ", "email": "ann@example.com"])
            _ = try await h.odoo.userCreate(["name": "  Bea   Double\tSpace", "email": "bea@example.com"])
            _ = try await h.odoo.userCreate(["name": "Cher ", "email": "cher@example.com"])
            try await h.settle()
            let names = try await h.zohoRecords("Contacts").map { [$0["First_Name"] ?? .null, $0["Last_Name"] ?? .null] }
            #expect(Set(names) == [["Ann", "Trailing"], ["Bea Double", "Space"], [.null, "Cher"]], "\(names)")
            #expect(try await h.failedJobs().isEmpty)
            #expect(try await h.s.execute("zoho.log", "search_count", [[["level", "=", "error"]]]) == 0, "no record refused by Zoho")
            #expect(await h.odoo.odoo.writes.filter(\.skipPush).isEmpty, "Odoo's names are left as typed")
            #expect(try await h.zoho.control("GET", "stats")["noop_updates"] == nil)
        }
    }

    @Test("partners reach Books as customers, business or individual by is_company, as Books' contacts API takes them", arguments: TestStores.engines)
    func booksContactTypes(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let org = "10234696"  // the simulator's Books organization in the EU
            let scopes = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,ZohoCRM.notifications.ALL,ZohoBooks.contacts.ALL"
            _ = try await h.s.execute(
                "zoho.instance",
                "write",
                [[.int(h.instance)], ["apps": ["crm", "books"], "books_organization_id": .string(org), "scopes": .string(scopes)]]
            )
            _ = try await OAuthTests.authorize(h.s, h.instance)
            _ = try await h.odoo.userCreate(["name": "Analytical Engines", "is_company": true])
            _ = try await h.odoo.userCreate(["name": "Ada Lovelace", "email": "ada@example.com"])
            try await h.settle()
            let contacts = try await h.zoho.control("GET", "books/eu/\(org)/contacts").arrayValue ?? []
            let types = Dictionary(uniqueKeysWithValues: contacts.map { ($0["contact_name"]?.stringValue ?? "", $0["customer_sub_type"]) })
            #expect(types == ["Analytical Engines": "business", "Ada Lovelace": "individual"], "\(contacts)")
            #expect(contacts.allSatisfy { $0["contact_type"] == "customer" })
            #expect(try await h.failedJobs().isEmpty)
            #expect(try await h.s.execute("zoho.log", "search_count", [[["level", "=", "error"]]]) == 0, "no record refused by Books")
        }
    }

    @Test("at debug level the sync's trace says which field went where and why, never a person's values")
    func traceWithoutPersonalData() async throws {
        try await SyncHarness.with(.sqlite) { h in
            let id = try await h.odoo.userCreate(["name": "Ada King Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"])
            try await h.settle()
            try await h.odoo.userWrite(id, ["phone": "+44 20 7946 0001"])
            try await h.settle()
            let trace = h.s.logLines.all.filter { $0.contains("crm_contacts odoo ") }
            #expect(trace.contains { $0.contains("phone: to Zoho #") }, "the trace is there: \(trace.prefix(3))")
            for value in ["Lovelace", "ada@example.com", "7946"] {
                #expect(!h.s.logLines.all.contains { $0.contains(value) }, "\(value) in a log line")
            }
        }
    }

    @Test("a Zoho contact created, edited and deleted reaches Odoo with zoho_skip_push; a deletion archives", arguments: TestStores.engines)
    func zohoToOdooContacts(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let zid = try #require(
                try await h.zoho.control(
                    "POST",
                    "crm/eu/Contacts",
                    [
                        "First_Name": "Grace", "Last_Name": "Hopper", "Email": "grace@example.com",
                        "Mailing_Country": "United States",
                    ]
                )["id"]?.stringValue
            )
            try await h.settle()
            var partners = await h.odoo.odoo.all("res.partner")
            #expect(partners.count == 1)
            let pid = try #require(partners.first?["id"]?.intValue)
            #expect(partners.first?["name"] == "Grace Hopper")
            #expect(partners.first?["email"] == "grace@example.com")
            #expect(partners.first?["is_company"] == false)
            #expect(partners.first?["country_id"]?[0] == 6, "the country by name")

            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Phone": "555-0100", "Last_Name": "Hopper-Murray"])
            try await h.settle()
            partners = await h.odoo.odoo.all("res.partner")
            #expect(partners.first?["phone"] == "555-0100")
            #expect(partners.first?["name"] == "Grace Hopper-Murray")

            _ = try await h.zoho.control("DELETE", "crm/eu/Contacts/\(zid)")
            try await h.settle()
            #expect(await h.odoo.odoo.record("res.partner", pid)?["active"] == false, "archived, not deleted")
            #expect(try await h.bindings().isEmpty)

            let writes = await h.odoo.odoo.writes
            #expect(writes.allSatisfy { $0.skipPush }, "every write the sidecar made carried zoho_skip_push")
            #expect(try await h.zoho.control("GET", "stats")["updates"] == nil, "nothing was pushed back to Zoho")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test(
        "a person's Odoo edit landing between the sync's last read and its write is put back on both sides, not lost",
        arguments: TestStores.engines
    )
    func odooEditDuringTheSyncsWrite(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let pid = try await h.odoo.userCreate(["name": "Grace Hopper", "email": "grace@example.com"])
            try await h.settle()
            let zid = try #require(try await h.zohoRecords("Contacts").first?["id"]?.stringValue)
            // Once, just before the sidecar writes this partner's title into Odoo, a person sets it in Odoo.
            let once = Mutex(true)
            let odoo = h.odoo
            await h.odoo.odoo.setBeforeSidecarWrite { ids, values in
                guard ids == [pid], values["function"] != nil,
                    once.withLock({
                        let first = $0
                        $0 = false
                        return first
                    })
                else { return }
                try? await odoo.userWrite(pid, ["function": "Rear Admiral"])
            }
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Title": "Commodore"])
            try await h.settle()
            #expect(once.withLock { !$0 }, "the person's edit landed inside the sync's write")
            #expect(await h.odoo.odoo.record("res.partner", pid)?["function"] == "Rear Admiral", "the later edit, Odoo's, stands")
            #expect(try await h.zohoRecords("Contacts").first?["Title"] == "Rear Admiral")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test(
        "a Zoho edit whose callback has not come, in a record edited again since, is dated by its timeline: a later Odoo edit of the field wins at once",
        arguments: TestStores.engines
    )
    func lateCallbackDatedByTimeline(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let pid = try await h.odoo.userCreate(["name": "Ada Lovelace", "email": "ada@example.com"])
            try await h.settle()
            let zid = try #require(try await h.zohoRecords("Contacts").first?["id"]?.stringValue)
            // Zoho's callbacks come after the test is over, as if lost.
            _ = try await h.zoho.control("POST", "config", ["delayDeliveryMilliseconds": 300_000])
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Phone": "zoho-edit"])
            try await Task.sleep(for: .milliseconds(1100))
            // Another sync of the mapping holds it while a person edits the phone in Odoo, a second later the
            // title in Zoho: when the Odoo edit's sync runs, Zoho's Modified_Time is later than the Odoo edit.
            let lock = "sync:\(h.instance):crm_contacts"
            #expect(try await h.s.sidecar.zoho.instances.tryLock(lock, holder: "test", seconds: 30))
            try await h.odoo.userWrite(pid, ["phone": "odoo-edit"])
            try await Task.sleep(for: .milliseconds(1100))
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Title": "Engineer"])
            let since = Clock.now()
            await h.s.sidecar.zoho.instances.unlock(lock, holder: "test")
            try await h.settle()
            let partner = await h.odoo.odoo.record("res.partner", pid)
            let contact = try #require(try await h.zohoRecords("Contacts").first)
            #expect(partner?["phone"] == "odoo-edit", "the later edit, Odoo's, stands")
            #expect(contact["Phone"] == "odoo-edit")
            #expect(partner?["function"] == "Engineer" && contact["Title"] == "Engineer")
            let asked = try await h.zoho.control("GET", "requests?path_prefix=/api/crm/v8/Contacts/\(zid)/__timeline&since=\(since)")
            #expect(asked.arrayValue?.count == 1, "one look at the record's timeline")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test(
        "a Zoho edit the sync saw but could not apply loses to a later Odoo edit, even after the sync's own Zoho write moved Modified_Time past both",
        arguments: TestStores.engines
    )
    func seenZohoEditStaysOlder(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let pid = try await h.odoo.userCreate(["name": "Ada Lovelace", "email": "ada@example.com"])
            try await h.settle()
            let zid = try #require(try await h.zohoRecords("Contacts").first?["id"]?.stringValue)
            // Zoho's callbacks come late, so the sidecar learns of the Zoho edit only by reading the record.
            _ = try await h.zoho.control("POST", "config", ["delayDeliveryMilliseconds": 4000])
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Mobile": "zoho-edit"])
            try await Task.sleep(for: .milliseconds(1100))
            // A sync for an Odoo phone edit reads both records (the Zoho edit included); just after its Odoo read a
            // person sets the mobile in Odoo, and the sync's phone write reaches Zoho more than a second later.
            let odoo = h.odoo
            await h.odoo.odoo.setAfterSearchRead { model, domain in
                // The Contacts mapping's read of its records by id (the Accounts mapping's and the reconciliation's pass by).
                guard model == "res.partner", domain[0]?[0] == "id", domain.serialized().contains(#"["is_company","=",false]"#) else { return false }
                try? await odoo.userWrite(pid, ["mobile": "odoo-edit"])
                try? await Task.sleep(for: .milliseconds(1100))
                return true
            }
            try await h.odoo.userWrite(pid, ["phone": "phone-edit"])
            try await Task.sleep(for: .milliseconds(4500))
            try await h.settle()
            let partner = await h.odoo.odoo.record("res.partner", pid)
            let contact = try await h.zohoRecords("Contacts").first
            #expect(partner?["phone"] == "phone-edit")
            #expect(contact?["Phone"] == "phone-edit")
            #expect(partner?["mobile"] == "odoo-edit", "the later edit, Odoo's, stands")
            #expect(contact?["Mobile"] == "odoo-edit")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("a company and its person: the contact's Account_Name follows the partner's parent through the bindings", arguments: TestStores.engines)
    func accountsAndLookups(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let company = try await h.odoo.userCreate([
                "name": "Analytical Engines Ltd", "is_company": true, "city": "London", "country_id": 4,
                "comment": "<p>Punched cards &amp; gears<br>since 1834</p><p>Ask for Ada</p>",
            ])
            try await h.settle()
            let accounts = try await h.zohoRecords("Accounts")
            #expect(accounts.count == 1)
            #expect(accounts.first?["Account_Name"] == "Analytical Engines Ltd")
            #expect(accounts.first?["Billing_Country"] == "United Kingdom")
            #expect(accounts.first?["Description"] == "Punched cards & gears\nsince 1834\nAsk for Ada", "Odoo's HTML note as text")
            let person = try await h.odoo.userCreate(["name": "Charles Babbage", "email": "cb@example.com", "parent_id": .int(company)])
            try await h.settle()
            let contact = try #require(try await h.zohoRecords("Contacts").first)
            #expect(contact["Account_Name"]?["id"] == accounts.first?["id"])
            // And back: moving the contact to another account in Zoho moves the partner.
            let other = try #require(try await h.zoho.control("POST", "crm/eu/Accounts", ["Account_Name": "Difference Engines"])["id"]?.stringValue)
            try await h.settle()
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(contact["id"]!.stringValue!)", ["Account_Name": ["id": .string(other)]])
            try await h.settle()
            let moved = try #require(await h.odoo.odoo.record("res.partner", person))
            let newCompany = try #require(await h.odoo.odoo.all("res.partner").first { $0["name"] == "Difference Engines" })
            #expect(moved["parent_id"]?[0] == newCompany["id"])
            #expect(newCompany["is_company"] == true)
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("a contact whose company is not linked yet brings its company along, both ways, in the same job", arguments: TestStores.engines)
    func companyComesFirst(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            // Odoo → Zoho: the company's own forward is lost; the person's arrives.
            let company = try #require(
                try await h.odoo.odoo.execute(
                    "res.partner",
                    "create",
                    [["name": "Jacquard Looms", "is_company": true]],
                    ["context": ["zoho_skip_push": true]]
                )
                .intValue
            )
            let since = Clock.now()
            _ = try await h.odoo.userCreate(["name": "Joseph Jacquard", "email": "jj@example.com", "parent_id": .int(company)])
            try await h.settle()
            let account = try #require(try await h.zohoRecords("Accounts").first { $0["Account_Name"] == "Jacquard Looms" })
            let contact = try #require(try await h.zohoRecords("Contacts").first { $0["Email"] == "jj@example.com" })
            #expect(contact["Account_Name"]?["id"] == account["id"], "created with its account")
            let writes = try await h.zoho.control("GET", "requests?path_prefix=/api/crm/v8/Contacts&since=\(since)").arrayValue ?? []
            #expect(writes.filter { $0["method"] != "GET" }.count == 1, "one create, no later fix-up: \(writes.map { $0["method"] ?? .null })")

            // Zoho → Odoo: the contact's notification comes before its account's.
            _ = try await h.zoho.control("POST", "config", ["delayDeliveryMilliseconds": 5000])
            let zAccount = try #require(try await h.zoho.control("POST", "crm/eu/Accounts", ["Account_Name": "Babbage Works"])["id"]?.stringValue)
            let zContact = try #require(
                try await h.zoho.control(
                    "POST",
                    "crm/eu/Contacts",
                    ["Last_Name": "Clement", "Email": "clement@example.com", "Account_Name": ["id": .string(zAccount)]]
                )["id"]?.stringValue
            )
            let pull = PullRequest(app: "crm", object: "Contacts", ids: [zContact], operation: "insert", source: "webhook")
            _ = try await h.s.sidecar.queue.enqueue(NewJob(kind: SyncJobs.pull, payload: pull.json, companyID: 1, instanceID: h.instance))
            try await eventually("the person is in Odoo") { await h.odoo.odoo.all("res.partner").contains { $0["email"] == "clement@example.com" } }
            let partners = await h.odoo.odoo.all("res.partner")
            let works = try #require(partners.first { $0["name"] == "Babbage Works" }, "the company came with its person")
            #expect(partners.first { $0["email"] == "clement@example.com" }?["parent_id"]?[0] == works["id"])
            _ = try await h.zoho.control("POST", "config", ["delayDeliveryMilliseconds": 0])
            try await Task.sleep(for: .seconds(5))
            try await h.settle()
            #expect(await h.odoo.odoo.all("res.partner").filter { $0["name"] == "Babbage Works" }.count == 1, "the late notification adds nothing")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test(
        "a company's contact has the company's address in Odoo: that address is the company's, so it never overwrites the Zoho contact's own, nor the other way",
        arguments: TestStores.engines
    )
    func addressFollowsTheCompany(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let company = try await h.odoo.userCreate(["name": "Lovelace Analytics", "is_company": true, "street": "1 Old Road", "city": "London"])
            let ada = try await h.odoo.userCreate(["name": "Ada Byron", "email": "ada@example.com", "parent_id": .int(company)])
            #expect(await h.odoo.odoo.record("res.partner", ada)?["street"] == "1 Old Road", "Odoo gives a company's contact its address")
            try await h.settle()
            let contact = try #require(try await h.zohoRecords("Contacts").first { $0["Email"] == "ada@example.com" })
            #expect((contact["Mailing_Street"] ?? .null).isNull, "the company's address is the account's, not the contact's mailing address")
            let zid = try #require(contact["id"]?.stringValue)

            // A Zoho user gives the contact a mailing address of its own: it stays in Zoho.
            _ = try await h.zoho.control("PUT", "crm/eu/Contacts/\(zid)", ["Mailing_Street": "12 St James's Square", "Mailing_City": "London"])
            try await h.settle()
            #expect(await h.odoo.odoo.record("res.partner", ada)?["street"] == "1 Old Road", "not written where Odoo shows the company's address")

            // The company moves; Odoo moves its contacts along without telling anyone, and reconciliation sees them.
            try await Task.sleep(for: .milliseconds(1100))  // write_date has second precision
            try await h.odoo.userWrite(company, ["street": "2 New Road"])
            try await h.settle()
            #expect(await h.odoo.odoo.record("res.partner", ada)?["street"] == "2 New Road")
            _ = try await h.s.execute("zoho.instance", "action_sync_now", [[.int(h.instance)]])
            try await h.settle()
            let account = try #require(try await h.zohoRecords("Accounts").first { $0["Account_Name"] == "Lovelace Analytics" })
            #expect(account["Billing_Street"] == "2 New Road")
            let after = try #require(try await h.zohoRecords("Contacts").first { $0["id"] == .string(zid) })
            #expect(after["Mailing_Street"] == "12 St James's Square", "the Zoho contact's own address survives the company's move")
            #expect(after["Mailing_City"] == "London")
            let items = HealthCheckTests.items(try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]]))
            let contacts = items["mapping crm_contacts"]?.message ?? ""
            #expect(contacts.contains("a company's contacts have the company's street, city, zip, country_id in Odoo"), "\(contacts)")

            // A person without a company owns their address: it crosses as before.
            _ = try await h.odoo.userCreate(["name": "Mary Somerville", "email": "mary@example.com", "street": "3 Own Street"])
            try await h.settle()
            #expect(try await h.zohoRecords("Contacts").first { $0["Email"] == "mary@example.com" }?["Mailing_Street"] == "3 Own Street")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("250 records go to Zoho in 3 write calls; a bad record fails alone and is logged", arguments: TestStores.engines)
    func batchesAndRecordErrors(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            var ids: [Int64] = []
            for n in 0..<250 {
                // Written as the sidecar would (no forward): the push below is the only one.
                let values: [String: JSONValue] = [
                    "name": .string("Batch Person \(n)"), "email": n == 137 ? "not-an-email" : .string("p\(n)@example.com"),
                ]
                ids.append(try await h.odoo.odoo.execute("res.partner", "create", [.object(values)], ["context": ["zoho_skip_push": true]]).intValue!)
            }
            let since = Clock.now()
            let jobs = try await h.s.execute("zoho.job", "enqueue_push", ["res.partner", .array(ids.map { .int($0) }), "create"])
            #expect(jobs.arrayValue?.count == 3, "one job per 100 records")
            try await h.settle()
            let writes = try await h.zoho.control("GET", "requests?path_prefix=/api/crm/v8/Contacts&since=\(since)").arrayValue ?? []
            #expect(writes.filter { $0["method"] == "POST" }.count == 3, "three batch creates for 250 records")
            #expect(try await h.zohoRecords("Contacts").count == 249)
            #expect(try await h.bindings().count == 249)
            let logs = try await h.s.execute("zoho.log", "search_read", [[["level", "=", "error"]]], ["fields": ["message"]]).arrayValue ?? []
            #expect(logs.count == 1)
            #expect(logs.first?["message"]?.stringValue?.contains("res.partner \(ids[137])") == true, "\(logs)")
        }
    }

    @Test("a record that exists on both sides is linked by its match key, not duplicated", arguments: TestStores.engines)
    func linksByMatchKey(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            // In Odoo already (not forwarded), then created in Zoho with the same email.
            let pid = try await h.odoo.odoo.execute(
                "res.partner",
                "create",
                [["name": "Same Person", "email": "same@example.com"]],
                ["context": ["zoho_skip_push": true]]
            ).intValue
            _ = try await h.zoho.control(
                "POST",
                "crm/eu/Contacts",
                ["First_Name": "Same", "Last_Name": "Person", "Email": "same@example.com", "Phone": "42"]
            )
            try await h.settle()
            let partners = await h.odoo.odoo.all("res.partner")
            #expect(partners.count == 1, "linked, not created again")
            #expect(partners.first?["phone"] == "42", "then synced")
            #expect(try await h.bindings().map { $0["odoo_id"] } == [pid.map { .int($0) } ?? .null])
            #expect(try await h.zohoRecords("Contacts").count == 1)
        }
    }

    @Test("connecting sends nothing: scheduled reconciliation waits for the initial sync, which a person starts", arguments: TestStores.engines)
    func nothingCrossesUnasked(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            // Partners Odoo had before connecting: never forwarded, only a reconciliation would find them.
            for name in ["Administrator", "My Company"] { try await h.odooOnly(["name": .string(name)]) }
            let since = Clock.now()
            _ = try await h.s.sidecar.queue.enqueue(
                try await SyncJobs.reconcileJobs(h.s.sidecar.store, book: h.s.sidecar.sync.book, full: false, scheduled: true)
            )
            try await h.settle()
            let contacts = try await h.zohoRecords("Contacts")
            let accounts = try await h.zohoRecords("Accounts")
            #expect(contacts.isEmpty && accounts.isEmpty, "nothing crossed unasked")
            let calls = try await h.zoho.control("GET", "requests?path_prefix=/api/crm&since=\(since)").arrayValue ?? []
            #expect(calls.isEmpty, "not even a read of Zoho: \(calls.count)")

            _ = try await h.s.execute("zoho.instance", "action_initial_sync", [[.int(h.instance)]])
            try await h.settle()
            #expect(try await h.zohoRecords("Contacts").count == 2, "the initial sync, asked for, copies them")
            // From then on the schedule catches up what no one forwarded.
            try await h.odooOnly(["name": "Late Arrival"])
            _ = try await h.s.sidecar.queue.enqueue(
                try await SyncJobs.reconcileJobs(h.s.sidecar.store, book: h.s.sidecar.sync.book, full: false, scheduled: true)
            )
            try await h.settle()
            #expect(try await h.zohoRecords("Contacts").contains { $0["Last_Name"] == "Arrival" })
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("missed webhooks and lost forwards are caught by reconciliation from the cursors", arguments: TestStores.engines)
    func reconciliationCatchesUp(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let first = try await h.odoo.userCreate(["name": "First Person", "email": "first@example.com"])
            try await h.settle()
            _ = try await h.s.execute("zoho.instance", "action_sync_now", [[.int(h.instance)]])
            try await h.settle()
            // Zoho stops notifying (the channel lapsed) and Odoo's forward is lost (the sidecar was down).
            try await h.s.sidecar.zoho.channels.unsubscribe(h.instance)
            let zid = try #require(
                try await h.zoho.control("POST", "crm/eu/Contacts", ["Last_Name": "Missed", "Email": "missed@example.com"])["id"]?.stringValue
            )
            _ = try await h.odoo.odoo.execute(
                "res.partner",
                "write",
                [[.int(first)], ["phone": "+1 555 0199"]],
                ["context": ["zoho_skip_push": true]]
            )
            try await Task.sleep(for: .milliseconds(1100))  // write_date and Modified_Time have second precision
            try await h.settle()
            #expect(await h.odoo.odoo.all("res.partner").count == 1, "nothing arrived by itself")
            _ = try await h.s.execute("zoho.instance", "action_sync_now", [[.int(h.instance)]])
            try await h.settle()
            let partners = await h.odoo.odoo.all("res.partner")
            #expect(partners.contains { $0["email"] == "missed@example.com" }, "the missed Zoho contact reached Odoo")
            let contact = try await h.zohoRecords("Contacts").first { $0["Email"] == "first@example.com" }
            #expect(contact?["Phone"] == "+1 555 0199", "the lost Odoo edit reached Zoho")
            #expect(try await h.bindings().contains { $0["zoho_id"] == .string(zid) })
            let progress = try await h.s.execute("zoho.instance", "read", [[.int(h.instance)], ["sync_progress"]])[0]?["sync_progress"]
            #expect(progress?["crm_contacts"]?["state"] == "done")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    /// Counts the stand-in's searches that look partners up by email, the contacts' match field.
    final class MatchSearches: Sendable {
        let count = Mutex(0)

        func note(_ model: String, _ domain: JSONValue) {
            guard model == "res.partner", domain.arrayValue?.contains(where: { $0.arrayValue?.first == "email" }) == true else { return }
            count.withLock { $0 += 1 }
        }
    }

    @Test(
        "the initial sync pages through both sides, links equal records and reports progress, matching a slice in one Odoo search and searching Zoho for none of what it has just listed",
        arguments: TestStores.engines
    )
    func initialSync(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            try await h.s.sidecar.zoho.channels.unsubscribe(h.instance)
            for n in 0..<30 {
                try await h.odooOnly(["name": .string("Odoo Only \(n)"), "email": .string("o\(n)@example.com")])
                _ = try await h.zoho.control(
                    "POST",
                    "crm/eu/Contacts",
                    ["Last_Name": .string("Zoho Only \(n)"), "Email": .string("z\(n)@example.com")]
                )
            }
            for n in 0..<5 {
                try await h.odooOnly(["name": .string("Both \(n)"), "email": .string("b\(n)@example.com")])
                _ = try await h.zoho.control(
                    "POST",
                    "crm/eu/Contacts",
                    ["First_Name": "Both", "Last_Name": .string("\(n)"), "Email": .string("b\(n)@example.com")]
                )
            }
            let matchSearches = MatchSearches()
            await h.odoo.odoo.setAfterSearchRead { model, domain in
                matchSearches.note(model, domain)
                return false
            }
            let since = Clock.now()
            _ = try await h.s.execute("zoho.instance", "action_initial_sync", [[.int(h.instance)]])
            try await h.settle()
            #expect(await h.odoo.odoo.all("res.partner").count == 65)
            #expect(try await h.zohoRecords("Contacts").count == 65)
            #expect(try await h.bindings().count == 65)
            #expect(matchSearches.count.withLock { $0 } == 1, "the 35 Zoho contacts, one slice, are looked up in Odoo with one search")
            let searches = try await h.zoho.control("GET", "requests?path_prefix=/api/crm/v8/Contacts/search&since=\(since)").arrayValue ?? []
            #expect(searches.isEmpty, "every Zoho contact was listed and bound first: the 30 Odoo-only partners are not searched for")
            let progress = try await h.s.execute("zoho.instance", "read", [[.int(h.instance)], ["sync_progress"]])[0]?["sync_progress"]
            #expect(progress?["crm_contacts"]?["state"] == "done")
            #expect(progress?["crm_contacts"]?["done"] == progress?["crm_contacts"]?["total"])
        }
    }

    @Test(
        "an initial sync whose Zoho create is carried out but its answer lost binds those records on the retry instead of creating them twice",
        arguments: TestStores.engines
    )
    func lostCreateReply(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            try await h.s.sidecar.zoho.channels.unsubscribe(h.instance)
            for n in 0..<5 { try await h.odooOnly(["name": .string("Odoo Only \(n)"), "email": .string("o\(n)@example.com")]) }
            _ = try await h.zoho.control("POST", "faults", ["target": "crm", "kind": "lost_reply", "method": "POST", "count": 1])
            _ = try await h.s.execute("zoho.instance", "action_initial_sync", [[.int(h.instance)]])
            try await h.settle()
            let emails = try await h.zohoRecords("Contacts").compactMap { $0["Email"]?.stringValue }
            #expect(emails.sorted() == (0..<5).map { "o\($0)@example.com" }, "each partner once in Zoho")
            #expect(try await h.bindings().count == 5)
            #expect(try await h.failedJobs().isEmpty)
            let creates = try await h.zoho.control("GET", "requests?path_prefix=/api/crm/v8/Contacts").arrayValue?.filter { $0["method"] == "POST" }
            #expect(creates?.count == 1, "the retry found the created contacts by email: \(creates ?? [])")
        }
    }

    final class Gate: Sendable {
        let open = Mutex(false)
    }

    @Test(
        "edits whose jobs wait for the mapping's pass share the next one: eleven edits while a pass runs cost two or three Zoho writes, not eleven",
        arguments: TestStores.engines
    )
    func sharedPasses(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            var ids: [Int64] = []
            for n in 0..<11 {
                ids.append(try await h.odoo.userCreate(["name": .string("Shared \(n)"), "email": .string("shared\(n)@example.com")]))
            }
            try await h.settle()
            let since = Clock.now()
            // The first pass reads Odoo and stops there, holding the mapping, until the others wait for it.
            let gate = Gate()
            await h.odoo.odoo.setAfterSearchRead { _, _ in
                while !gate.open.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
                return true
            }
            for (n, id) in ids.enumerated() { try await h.odoo.userWrite(id, ["phone": .string("+1 555 01\(n)")]) }
            try await eventually("eleven pushes running", timeout: .seconds(30)) {
                try await h.s.execute("zoho.job", "search_count", [[["kind", "=", "zoho.push"], ["state", "=", "running"]]]) == 11
            }
            // Claimed jobs reach the mapping's pass in milliseconds: after a second all ten wait in one.
            // (One that came later still would share a third pass with any others as late.)
            try await Task.sleep(for: .seconds(1))
            gate.open.withLock { $0 = true }
            try await h.settle()
            let phones = try await h.zohoRecords("Contacts").compactMap { $0["Phone"]?.stringValue }
            #expect(Set(phones) == Set((0..<11).map { "+1 555 01\($0)" }))
            let writes = try await h.zoho.control("GET", "requests?path_prefix=/api/crm/v8/Contacts&since=\(since)").arrayValue?.filter {
                $0["method"] == "PUT"
            }
            #expect((2...3).contains(writes?.count ?? 0), "the blocked pass, then one for the ten that waited: \(writes?.count ?? 0)")
            #expect(try await h.failedJobs().isEmpty)
        }
    }

    @Test("records of another company are not synced by this company's instance", arguments: TestStores.engines)
    func companyIsolation(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let mine = try await h.odoo.userCreate(["name": "Mine Person", "email": "mine@example.com"])
            let theirs = try await h.odoo.userCreate(["name": "Their Person", "email": "theirs@example.com", "company_id": 2])
            try await h.settle()
            let names = try await h.zohoRecords("Contacts").compactMap { $0["Last_Name"]?.stringValue }
            #expect(names == ["Person"])
            #expect(try await h.bindings().map { $0["odoo_id"] } == [.int(mine)])
            _ = theirs
        }
    }
}

@Suite("Sync decisions")
struct ReconcilerTests {
    static let contacts = BuiltinMappings.named("crm_contacts")!

    static func policy(_ p: String) throws -> Mapping {
        var json = try JSONValue.parse(BuiltinMappings.json).arrayValue![1]
        if case .object(var o) = json {
            o["conflict"] = .string(p)
            json = .object(o)
        }
        return try Mapping(json: json)
    }

    static let odoo: JSONValue = ["id": 7, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "1", "write_date": "2026-01-01 10:00:00"]
    static let zoho: JSONValue = [
        "id": "z1", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "2",
        "Modified_Time": "2026-01-01T12:00:00+02:00",
    ]

    @Test("jobs share a pass unless both bring a callback's change of one Zoho record, or together exceed 100 records a side")
    func sharedPassRoom() {
        let change = ZohoChange(time: 1, values: ["Phone": "1"])
        let a = SharedPasses.Work(odooIDs: [1, 2], zohoIDs: ["z1"], zohoChanges: ["z1": change])
        let b = SharedPasses.Work(odooIDs: [2, 3], zohoIDs: ["z2"], zohoChanges: ["z2": change])
        let both = a.adding(b)
        #expect(both?.odooIDs == [1, 2, 3] && both?.zohoIDs == ["z1", "z2"] && both?.zohoChanges.count == 2)
        #expect(a.adding(SharedPasses.Work(zohoIDs: ["z1"], zohoChanges: ["z1": change])) == nil, "two changes of z1: two passes")
        #expect(a.adding(SharedPasses.Work(zohoIDs: ["z1"])) != nil, "a pull of z1 without a change joins")
        #expect(a.adding(SharedPasses.Work(odooIDs: Array(3...101))) == nil, "101 Odoo records")
    }

    @Test("Odoo's HTML reads as text (paragraphs and breaks as lines, entities decoded) and text goes back as paragraphs")
    func htmlText() {
        #expect(HTMLText.plain("<p>Company note 0</p>") == "Company note 0")
        #expect(HTMLText.plain("<p>a &amp; b<br/>c</p><p><strong>d</strong> &lt;e&gt;</p>") == "a & b\nc\nd <e>")
        #expect(HTMLText.plain("<p>&amp;lt; stays</p>") == "&lt; stays")
        #expect(HTMLText.html("a & b\n<c>") == "<p>a &amp; b</p><p>&lt;c&gt;</p>")
        #expect(HTMLText.plain(HTMLText.html("one\ntwo & three")) == "one\ntwo & three")
    }

    @Test("equal sides write nothing")
    func agreement() throws {
        var z = Self.zoho
        if case .object(var o) = z {
            o["Phone"] = "1"
            z = .object(o)
        }
        let d = try Reconciler.decide(Self.contacts, odoo: Self.odoo, zoho: z, binding: nil, lookups: Lookups())
        #expect(d.zoho.isEmpty && d.odoo.isEmpty)
    }

    @Test("both changed: newest wins by write time; odoo and zoho policies override")
    func policies() throws {
        // Zoho's 12:00+02:00 is 10:00 UTC, the same second as Odoo's: a tie goes to Odoo under "newest".
        let newest = try Reconciler.decide(try Self.policy("newest"), odoo: Self.odoo, zoho: Self.zoho, binding: nil, lookups: Lookups())
        #expect(newest.zoho == ["Phone": "1"] && newest.odoo.isEmpty)
        var later = Self.zoho
        if case .object(var o) = later {
            o["Modified_Time"] = "2026-01-01T12:00:01+02:00"
            later = .object(o)
        }
        let zohoNewer = try Reconciler.decide(try Self.policy("newest"), odoo: Self.odoo, zoho: later, binding: nil, lookups: Lookups())
        #expect(zohoNewer.odoo == ["phone": "2"] && zohoNewer.zoho.isEmpty)
        let odooWins = try Reconciler.decide(try Self.policy("odoo"), odoo: Self.odoo, zoho: later, binding: nil, lookups: Lookups())
        #expect(odooWins.zoho == ["Phone": "1"])
        let zohoWins = try Reconciler.decide(try Self.policy("zoho"), odoo: Self.odoo, zoho: Self.zoho, binding: nil, lookups: Lookups())
        #expect(zohoWins.odoo == ["phone": "2"])
    }

    @Test("a conflict whose newer side is dated only by a bound waits for that change's report; one dated by reports is decided")
    func unsettledWinnerWaits() throws {
        let m = try Self.policy("newest")
        var times = Reconciler.FieldTimes(odoo: ["phone": 1_000_000], zoho: ["Phone": 2_000_000])
        times.unsettledZoho = ["Phone"]
        let waiting = try Reconciler.decide(m, odoo: Self.odoo, zoho: Self.zoho, binding: nil, lookups: Lookups(), times: times)
        #expect(waiting.deferred == ["phone"] && waiting.odoo.isEmpty && waiting.zoho.isEmpty, "Zoho would win only by its bound")
        times.unsettledZoho = []
        times.unsettledOdoo = ["phone"]
        let decided = try Reconciler.decide(m, odoo: Self.odoo, zoho: Self.zoho, binding: nil, lookups: Lookups(), times: times)
        #expect(decided.deferred.isEmpty && decided.odoo == ["phone": "2"], "the loser's bound cannot make it newer than the winner's report")
    }

    @Test("a field changed on one side only takes that side's value whatever the clocks and the policy say")
    func changedSideWins() throws {
        // Agreed: phone "2" on both. Odoo then changed phone to "1" (older clock); Zoho changed nothing.
        var agreed = Self.odoo
        if case .object(var o) = agreed {
            o["phone"] = "2"
            agreed = .object(o)
        }
        let base = try Reconciler.decide(Self.contacts, odoo: agreed, zoho: Self.zoho, binding: nil, lookups: Lookups())
        #expect(base.zoho.isEmpty && base.odoo.isEmpty)
        let d = try Reconciler.decide(try Self.policy("zoho"), odoo: Self.odoo, zoho: Self.zoho, binding: Self.binding(base), lookups: Lookups())
        #expect(d.zoho == ["Phone": "1"], "Odoo changed, Zoho did not: Odoo's value goes to Zoho even under the zoho policy")
    }

    @Test("edits to different fields on the two sides both survive (no lost update)")
    func fieldLevelMerge() throws {
        let base = try Reconciler.decide(
            Self.contacts,
            odoo: Self.odoo,
            zoho: ["id": "z1", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "1"],
            binding: nil,
            lookups: Lookups()
        )
        // Odoo changes the phone; Zoho, later, the title.
        let odoo: JSONValue = ["id": 7, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "9", "write_date": "2026-01-01 10:00:00"]
        let zoho: JSONValue = [
            "id": "z1", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "1", "Title": "Countess",
            "Modified_Time": "2026-01-01T11:00:00+00:00",
        ]
        let d = try Reconciler.decide(Self.contacts, odoo: odoo, zoho: zoho, binding: Self.binding(base), lookups: Lookups())
        #expect(d.zoho == ["Phone": "9"])
        #expect(d.odoo == ["function": "Countess"])
    }

    @Test("a field edited on both sides goes to the side that edited that field last, not the side whose record changed last")
    func fieldTimesDecide() throws {
        let base = try Reconciler.decide(
            Self.contacts,
            odoo: Self.odoo,
            zoho: ["id": "z1", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "1"],
            binding: nil,
            lookups: Lookups()
        )
        // Odoo set the phone to "8" at 10:00:00 and its title at 10:00:05 (write_date moves); Zoho set the phone to "9" at 10:00:02.
        let odoo: JSONValue = [
            "id": 7, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "8", "function": "Countess", "write_date": "2026-01-01 10:00:05",
        ]
        let zoho: JSONValue = [
            "id": "z1", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "9", "Title": "Countess",
            "Modified_Time": "2026-01-01T10:00:02+00:00",
        ]
        let at = { (s: String) in Clock.parseOdoo(s)! }
        let byRecord = try Reconciler.decide(Self.contacts, odoo: odoo, zoho: zoho, binding: Self.binding(base), lookups: Lookups())
        #expect(byRecord.zoho["Phone"] == "8", "without field times the record's later write_date wins")
        let times = Reconciler.FieldTimes(
            odoo: ["phone": at("2026-01-01 10:00:00"), "function": at("2026-01-01 10:00:05")],
            zoho: ["Phone": at("2026-01-01 10:00:02")]
        )
        let byField = try Reconciler.decide(Self.contacts, odoo: odoo, zoho: zoho, binding: Self.binding(base), lookups: Lookups(), times: times)
        #expect(byField.odoo == ["phone": "9"], "Zoho's phone is the later edit of that field")
        #expect(byField.zoho.isEmpty)
    }

    @Test("name split and join round-trip; one-way fields flow one way only")
    func transforms() throws {
        let pair = Self.contacts.fields[0]
        #expect(try Values.toZoho(pair, "Mary Ann Smith", Lookups()) == ["First_Name": "Mary Ann", "Last_Name": "Smith"])
        #expect(try Values.toZoho(pair, "Cher", Lookups()) == ["First_Name": .null, "Last_Name": "Cher"])
        #expect(try Values.zohoSide(pair, ["First_Name": "Jane", "Last_Name": "van Dyke"], Lookups()) == "Jane van Dyke")
        let accounts = BuiltinMappings.named("crm_accounts")!
        let d = try Reconciler.decide(
            accounts,
            odoo: ["id": 1, "name": "A", "comment": "internal", "write_date": "2026-01-01 00:00:00"],
            zoho: ["id": "z", "Account_Name": "A", "Description": "edited in Zoho", "Modified_Time": "2027-01-01T00:00:00+00:00"],
            binding: nil,
            lookups: Lookups()
        )
        #expect(d.zoho == ["Description": "internal"] && d.odoo.isEmpty, "comment is to_zoho: Zoho's edit never comes back")
    }

    @Test("a person's Zoho edit overwritten by the sync's own write of that field is recognised from the callback and put back")
    func overwrittenEdit() throws {
        // The sync read Zoho at 10:00:00 (Modified_Time), pushed Odoo's phone edit of 09:59:58 and wrote at 10:00:05;
        // Zoho's callback says a person set Phone at 10:00:03, between the read and the write: the write overwrote it.
        let b = Binding(
            id: 1,
            instanceID: 1,
            odooModel: "res.partner",
            odooID: 7,
            app: "crm",
            object: "Contacts",
            zohoID: "z1",
            syncHash: nil,
            syncValues: ["name": "Ada Lovelace", "email": "ada@example.com", "phone": "2", "mobile": .null],
            zohoModifiedTime: "2026-01-01T10:00:05+00:00",
            odooWriteDate: "2026-01-01 09:59:58"
        )
        let zoho: JSONValue = [
            "id": "z1", "First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com", "Phone": "2", "Mobile": .null,
            "Modified_Time": "2026-01-01T15:30:05+05:30",
        ]
        let at = { (s: String) in Clock.parseOdoo(s)! }
        let change = ZohoChange(time: at("2026-01-01 10:00:03") / 1000, values: ["Phone": "555"])
        let window = Reconciler.FieldTimes.Window(read: at("2026-01-01 10:00:00"), written: at("2026-01-01 10:00:05"))
        let known = Reconciler.FieldTimes(
            odoo: ["phone": at("2026-01-01 09:59:58")],
            zoho: ["Phone": at("2026-01-01 10:00:03")],
            zohoWrites: ["Phone": window]
        )
        let restore = try Reconciler.overwritten(Self.contacts, zoho: zoho, change: change, binding: b, lookups: Lookups(), latest: known)
        #expect(restore == ["Phone": "555"])
        var asLeft = zoho
        if case .object(var o) = asLeft {
            o["Phone"] = "555"
            asLeft = .object(o)
        }
        let odoo: JSONValue = ["id": 7, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "2", "write_date": "2026-01-01 09:59:58"]
        let d = try Reconciler.decide(Self.contacts, odoo: odoo, zoho: asLeft, binding: b, lookups: Lookups())
        #expect(d.odoo == ["phone": "555"], "Odoo gets the person's value")

        // Not when a person changed the field again after the write, nor when the change is older than Odoo's
        // edit of the field, nor when the write was decided after the change, nor for the echo of an earlier
        // write, nor when the sync did not write that field (Zoho then shows the person's value).
        let changedAgain = Reconciler.FieldTimes(odoo: known.odoo, zoho: ["Phone": at("2026-01-01 10:00:09")], zohoWrites: known.zohoWrites)
        #expect(try Reconciler.overwritten(Self.contacts, zoho: zoho, change: change, binding: b, lookups: Lookups(), latest: changedAgain).isEmpty)
        let odooLater = Reconciler.FieldTimes(odoo: ["phone": at("2026-01-01 10:00:04")], zoho: known.zoho, zohoWrites: known.zohoWrites)
        #expect(try Reconciler.overwritten(Self.contacts, zoho: zoho, change: change, binding: b, lookups: Lookups(), latest: odooLater).isEmpty)
        let readAfter = Reconciler.FieldTimes(
            odoo: known.odoo,
            zoho: known.zoho,
            zohoWrites: ["Phone": .init(read: at("2026-01-01 10:00:04"), written: at("2026-01-01 10:00:05"))]
        )
        #expect(
            try Reconciler.overwritten(Self.contacts, zoho: zoho, change: change, binding: b, lookups: Lookups(), latest: readAfter).isEmpty,
            "the write was decided on a read that already saw the person's edit"
        )
        let echo = Reconciler.FieldTimes(
            odoo: known.odoo,
            zoho: known.zoho,
            zohoWrites: ["Phone": .init(read: window.read, written: window.written, readFingerprint: FieldClock.fingerprint("555"))]
        )
        #expect(
            try Reconciler.overwritten(Self.contacts, zoho: zoho, change: change, binding: b, lookups: Lookups(), latest: echo).isEmpty,
            "the change shows the value Zoho had when the write read it: the echo of an earlier write, not a person's edit"
        )
        let ownEcho = Reconciler.FieldTimes(
            odoo: known.odoo,
            zoho: known.zoho,
            zohoWrites: ["Phone": .init(read: window.read, written: window.written, writtenFingerprint: FieldClock.fingerprint("555"))]
        )
        #expect(
            try Reconciler.overwritten(Self.contacts, zoho: zoho, change: change, binding: b, lookups: Lookups(), latest: ownEcho).isEmpty,
            "the change shows the value the write wrote: its own echo"
        )
        let mobile = ZohoChange(time: change.time, values: ["Mobile": "777"])
        var kept = zoho
        if case .object(var o) = kept {
            o["Mobile"] = "777"
            kept = .object(o)
        }
        #expect(try Reconciler.overwritten(Self.contacts, zoho: kept, change: mobile, binding: b, lookups: Lookups(), latest: known).isEmpty)
    }

    static func binding(_ agreed: Decision) -> Binding {
        Binding(
            id: 1,
            instanceID: 1,
            odooModel: "res.partner",
            odooID: 7,
            app: "crm",
            object: "Contacts",
            zohoID: "z1",
            syncHash: agreed.hash,
            syncValues: agreed.agreed
        )
    }
}
