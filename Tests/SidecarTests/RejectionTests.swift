import Core
import Foundation
import Store
import Testing

@testable import Sync

/// Records Zoho refuses have a home: listed per instance and mapping with an error a person can act
/// on, tried again when either side changes or on demand, and gone once they cross.
@Suite("Rejected records")
struct RejectionTests {
    static let fields: JSONValue = [
        "mapping", "odoo_model", "odoo_id", "zoho_id", "rejected_by", "operation", "code", "zoho_field", "message", "blocking_zoho_id",
        "attempts", "first_seen", "last_seen",
    ]

    static func rejections(_ h: SyncHarness, _ domain: JSONValue = []) async throws -> [JSONValue] {
        try await h.s.execute("zoho.sync.rejection", "search_read", [domain], ["fields": fields]).arrayValue ?? []
    }

    static func account(_ h: SyncHarness, named name: String) async throws -> JSONValue? {
        try await h.zohoRecords("Accounts").first { $0["Account_Name"]?.stringValue == name }
    }

    @Test(
        "an account name Zoho already has (in other letters' case) is listed as refused, leaves the other link alone, and crosses once the Zoho record holding the name is renamed",
        arguments: TestStores.engines
    )
    func duplicateAccountName(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let first = try await h.odoo.userCreate(["name": "Acme Trading", "is_company": true])
            try await h.settle()
            let held = try #require(try await Self.account(h, named: "Acme Trading")?["id"]?.stringValue)
            let second = try await h.odoo.userCreate(["name": "ACME TRADING", "is_company": true])
            try await h.settle()

            let listed = try await Self.rejections(h, [["mapping", "=", "crm_accounts"]])
            #expect(listed.count == 1, "\(listed)")
            let entry = try #require(listed.first)
            #expect(entry["odoo_id"] == .int(second) && entry["zoho_id"] == false)
            #expect(entry["rejected_by"] == "zoho" && entry["operation"] == "create" && entry["code"] == "DUPLICATE_DATA")
            #expect(entry["blocking_zoho_id"] == .string(held))
            let message = entry["message"]?.stringValue ?? ""
            #expect(message.contains("Zoho already has another record in Accounts with this name (Account_Name in Zoho)"), "\(message)")
            #expect(!message.contains("{") && !message.contains("json_path"), "no raw Zoho body: \(message)")
            #expect(try await h.bindings().map { $0["odoo_id"] } == [.int(first)], "the first partner keeps its link")

            let health = try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]])
            let item = health["items"]?.arrayValue?.first { $0["name"] == "rejected crm_accounts" }
            #expect(item?["message"] == "1 record(s) Zoho refused for mapping crm_accounts: open Rejected records", "\(health)")
            #expect(item?["status"] == "warning")

            // The user renames the other account in Zoho: its notification retries the refused record.
            _ = try await h.zoho.control("PUT", "crm/eu/Accounts/\(held)", ["Account_Name": "Acme Trading Holdings"])
            try await h.settle()
            #expect(try await Self.account(h, named: "ACME TRADING") != nil, "the refused record crossed")
            #expect(Set(try await h.bindings().map { $0["odoo_id"] }) == [.int(first), .int(second)])
            #expect(try await Self.rejections(h).isEmpty, "success clears the entry")
            #expect(try await h.s.sidecar.store.scalar(SQL("SELECT count(*) FROM sync_cursors")).int == 0, "no reconciliation ran")
        }
    }

    @Test(
        "an email Zoho has in other letters' case and an invalid email are listed; a repeat updates the entry; fixed in Odoo they cross",
        arguments: TestStores.engines
    )
    func emailCaseAndInvalidEmail(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            let one = try await h.odoo.userCreate(["name": "Bob One", "email": "bob@example.com"])
            try await h.settle()
            let two = try await h.odoo.userCreate(["name": "Bob Two", "email": "Bob@Example.com"])
            let three = try await h.odoo.userCreate(["name": "Carl Three", "email": "carl@example"])
            try await h.settle()

            let listed = try await Self.rejections(h, [["mapping", "=", "crm_contacts"]])
            let byRecord = Dictionary(uniqueKeysWithValues: listed.compactMap { r in r["odoo_id"]?.intValue.map { ($0, r) } })
            #expect(byRecord.keys.sorted() == [two, three], "\(listed)")
            #expect(byRecord[two]?["code"] == "DUPLICATE_DATA" && byRecord[two]?["zoho_field"] == "Email")
            #expect(byRecord[two]?["message"]?.stringValue?.contains("with this email (Email in Zoho)") == true)
            #expect(byRecord[three]?["code"] == "INVALID_DATA")
            #expect(
                byRecord[three]?["message"]?.stringValue?.hasPrefix(
                    "Zoho refuses the value of email (Email in Zoho): it expects a valid email address, such as name@example.com"
                ) == true,
                "\(byRecord[three] ?? .null)"
            )
            #expect(try await h.bindings().map { $0["odoo_id"] } == [.int(one)], "Bob One keeps his link")

            // Edited but still invalid: the same entry, one more attempt.
            try await h.odoo.userWrite(three, ["phone": "+1 555 0100"])
            try await h.settle()
            let again = try await Self.rejections(h, [["odoo_id", "=", .int(three)]])
            #expect(again.count == 1 && again.first?["attempts"] == 2, "\(again)")
            #expect(again.first?["first_seen"] == byRecord[three]?["first_seen"])

            try await h.odoo.userWrite(three, ["email": "carl@example.com"])
            try await h.odoo.userWrite(two, ["email": "bob.two@example.com"])
            try await h.settle()
            let emails = Set(try await h.zohoRecords("Contacts").compactMap { $0["Email"]?.stringValue })
            #expect(emails == ["bob@example.com", "bob.two@example.com", "carl@example.com"])
            #expect(try await Self.rejections(h).isEmpty)
        }
    }

    @Test(
        "a refused record whose blocking Zoho record changes is retried by reconciliation although the Odoo cursor passed it; retry on demand sends a fixed record",
        arguments: TestStores.engines
    )
    func reconciliationAndRetryOnDemand(engine: Engine) async throws {
        try await SyncHarness.with(engine) { h in
            _ = try await h.odoo.userCreate(["name": "Delta Ltd", "is_company": true])
            try await h.settle()
            let held = try #require(try await Self.account(h, named: "Delta Ltd")?["id"]?.stringValue)
            let second = try await h.odoo.userCreate(["name": "delta ltd", "is_company": true])
            try await Task.sleep(for: .milliseconds(1100))  // write_date has second precision: the cursor ends after it
            let invalid = try await h.odoo.userCreate(["name": "Eve Four", "email": "eve at example.com"])
            try await h.settle()
            #expect(try await Self.rejections(h).count == 2)
            // Reconciliation passes both records: its Odoo cursor is now beyond them.
            _ = try await h.s.execute("zoho.instance", "action_sync_now", [[.int(h.instance)]])
            try await h.settle()
            #expect(try await Self.rejections(h, [["odoo_id", "=", .int(second)]]).first?["attempts"]?.intValue ?? 0 >= 2)

            // Zoho stops notifying; the user renames the account there: only reconciliation sees it.
            try await h.s.sidecar.zoho.channels.unsubscribe(h.instance)
            try await Task.sleep(for: .milliseconds(1100))  // Modified_Time has second precision
            _ = try await h.zoho.control("PUT", "crm/eu/Accounts/\(held)", ["Account_Name": "Delta Holdings"])
            _ = try await h.s.execute("zoho.instance", "action_sync_now", [[.int(h.instance)]])
            try await h.settle()
            #expect(try await Self.account(h, named: "delta ltd") != nil, "retried with the change of the account holding the name")
            #expect(try await Self.rejections(h, [["odoo_id", "=", .int(second)]]).isEmpty)

            // Fixed in Odoo while the forward was lost: a person asks for a retry.
            _ = try await h.odoo.odoo.execute(
                "res.partner",
                "write",
                [[.int(invalid)], ["email": "eve@example.com"]],
                ["context": ["zoho_skip_push": true]]
            )
            let entry = try #require(try await Self.rejections(h, [["odoo_id", "=", .int(invalid)]]).first?["id"])
            #expect(try await h.s.execute("zoho.sync.rejection", "action_retry", [[entry]]) == 1)
            try await h.settle()
            #expect(try await h.zohoRecords("Contacts").contains { $0["Email"] == "eve@example.com" })
            #expect(try await Self.rejections(h).isEmpty)
            #expect(try await h.failedJobs().isEmpty)
            let health = try await h.s.execute("zoho.instance", "action_health_check", [[.int(h.instance)]])
            #expect(health["items"]?.arrayValue?.contains { $0["name"] == "rejected records" && $0["status"] == "ok" } == true)
        }
    }

    @Test("Zoho's refusals read as what to change, with Zoho's code and no raw body")
    func refusalWords() {
        let contacts = BuiltinMappings.all.first { $0.name == "crm_contacts" }!
        let duplicate = Refusal.crm(
            [
                "code": "DUPLICATE_DATA", "status": "error", "message": "duplicate data",
                "details": [
                    "api_name": "Email", "json_path": "$.data[0].Email", "duplicate_record": ["id": "42", "module": ["api_name": "Contacts"]],
                ],
            ],
            contacts
        )
        #expect(duplicate.duplicateID == "42")
        #expect(
            duplicate.message
                == "Zoho already has another record in Contacts with this email (Email in Zoho) (Zoho record 42), and compares it ignoring letter case: change the value in Odoo, or change or merge the other record in Zoho (Zoho: DUPLICATE_DATA)"
        )
        let missing = Refusal.crm(["code": "MANDATORY_NOT_FOUND", "details": ["api_name": "Last_Name"], "status": "error"], contacts)
        #expect(missing.message == "Zoho requires name (Last_Name in Zoho), which is empty: fill it in (Zoho: MANDATORY_NOT_FOUND)")
        let long = Refusal.crm(
            ["code": "INVALID_DATA", "message": "invalid data", "details": ["api_name": "First_Name", "maximum_length": 40], "status": "error"],
            contacts
        )
        #expect(
            long.message
                == "Zoho refuses the value of name (First_Name in Zoho): it is longer than the field takes in Zoho (40 characters, digits for a number). Shorten it in Odoo, or lengthen the field in Zoho (Zoho: INVALID_DATA)"
        )
        let other = Refusal.crm(["code": "RECORD_LOCKED", "message": "record is locked", "status": "error"], contacts)
        #expect(other.message == "Zoho refused the record: record is locked (Zoho: RECORD_LOCKED)")
    }
}
