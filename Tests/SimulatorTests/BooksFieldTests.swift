import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: Zoho Books field settings and custom fields")
struct BooksFieldTests {
    static let org = "10234695"  // the US organization

    func fields(_ s: TestSim, _ at: String, _ query: String) async throws -> TestSim.Reply {
        try await s.request("GET", "/us/api/books/v3/settings/fields?organization_id=\(Self.org)&\(query)", token: at)
    }

    @Test("a custom field added through the control API is listed by settings/fields with its cf_ api name, alone when filtered")
    func listed() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let added = try await s.control(
                "POST",
                "books/us/\(Self.org)/fields",
                ["label": "Loyalty Tier", "data_type": "dropdown", "entity": "contact", "values": [["name": "Gold"], ["name": "Silver"]]]
            )
            #expect(added["api_name"] == "cf_loyalty_tier")
            let all = try await fields(s, at, "entity=contact")
            #expect(all.status == 200)
            #expect(all.json["code"] == 0)
            let list = try #require(all.json["fields"]?.arrayValue)
            #expect(list.contains { $0["api_name"] == "contact_name" && $0["is_custom_field"] == false && $0["is_mandatory"] == true })
            let tier = try #require(list.first { $0["api_name"] == "cf_loyalty_tier" })
            #expect(tier["is_custom_field"] == true)
            #expect(tier["customfield_id"] == added["field_id"])
            #expect(tier["data_type"] == "dropdown")
            #expect(tier["values"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Gold", "Silver"])
            let custom = try await fields(s, at, "entity=contact&filter_custom_fields=true").json["fields"]?.arrayValue ?? []
            #expect(custom.compactMap { $0["api_name"]?.stringValue } == ["cf_loyalty_tier"])
            let items = try await fields(s, at, "entity=item&filter_custom_fields=true").json["fields"]?.arrayValue
            #expect(items == [], "the field belongs to contacts")
        }
    }

    @Test("settings/fields needs an entity and a settings scope")
    func refusals() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            #expect(try await fields(s, at, "").json == ["code": 4, "message": "Invalid value passed for entity"])
            let (_, contactsOnly, _) = try await s.connect(scope: "ZohoBooks.contacts.ALL")
            let refused = try await fields(s, contactsOnly, "entity=contact")
            #expect(refused.status == 401)
            #expect(refused.json["code"] == 57)
            let (_, settings, _) = try await s.connect(scope: "ZohoBooks.settings.READ")
            #expect(try await fields(s, settings, "entity=contact").status == 200)
        }
    }

    @Test("contacts take custom_fields by api name or id, checked against the field's type, and read them back")
    func contactValues() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            _ = try await s.control("POST", "books/us/\(Self.org)/fields", ["label": "Tier", "data_type": "dropdown", "values": [["name": "Gold"]]])
            let seats = try await s.control("POST", "books/us/\(Self.org)/fields", ["label": "Seats", "data_type": "number"])
            let path = "/us/api/books/v3/contacts?organization_id=\(Self.org)"
            let created = try await s.request(
                "POST",
                path,
                body:
                    #"{"contact_name":"A","custom_fields":[{"api_name":"cf_tier","value":"Gold"},{"customfield_id":"\#(seats["field_id"]!.stringValue!)","value":3}]}"#,
                token: at
            )
            #expect(created.status == 201, "\(created.text)")
            let values = created.json["contact"]?["custom_fields"]?.arrayValue ?? []
            #expect(values.first { $0["api_name"] == "cf_tier" }?["value"] == "Gold")
            #expect(values.first { $0["api_name"] == "cf_seats" }?["value"] == 3)
            let wrongOption = try await s.request(
                "POST",
                path,
                body: #"{"contact_name":"B","custom_fields":[{"api_name":"cf_tier","value":"Bronze"}]}"#,
                token: at
            )
            #expect(wrongOption.json == ["code": 4, "message": "Invalid value passed for Tier"])
            let wrongType = try await s.request(
                "POST",
                path,
                body: #"{"contact_name":"C","custom_fields":[{"api_name":"cf_seats","value":"3"}]}"#,
                token: at
            )
            #expect(wrongType.json["code"] == 4)
            let unknown = try await s.request(
                "POST",
                path,
                body: #"{"contact_name":"D","custom_fields":[{"api_name":"cf_nope","value":"x"}]}"#,
                token: at
            )
            #expect(unknown.json == ["code": 4, "message": "Invalid value passed for custom_fields"])
        }
    }

    @Test("the control API refuses an unknown data type, a dropdown without values and a label taken")
    func controlRefusals() async throws {
        try await TestSim.with { s in
            func error(_ body: JSONValue) async throws -> String {
                try await s.control("POST", "books/us/\(Self.org)/fields", body)["error"]?.stringValue ?? ""
            }
            #expect(try await error(["label": "X", "data_type": "blob"]).contains("data_type is one of string, number"))
            #expect(try await error(["label": "X", "data_type": "dropdown"]).contains("a dropdown needs values"))
            _ = try await s.control("POST", "books/us/\(Self.org)/fields", ["label": "Tier", "data_type": "string"])
            #expect(try await error(["label": "tier", "data_type": "string"]).contains("already has a custom field"))
        }
    }
}
