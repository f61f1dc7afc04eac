import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: CRM custom fields through the control API")
struct CustomFieldTests {
    func add(_ s: TestSim, _ module: String, _ fields: [JSONValue], dc: String = "us") async throws -> TestSim.Reply {
        try await s.request(
            "POST",
            "/_sim/crm/\(dc)/settings/fields?module=\(module)",
            body: JSONValue.object(["fields": .array(fields)]).serialized()
        )
    }

    func metadata(_ s: TestSim, _ at: String, _ module: String, dc: String = "us") async throws -> [JSONValue] {
        try await s.request("GET", "/\(dc)/api/crm/v8/settings/fields?module=\(module)", token: at).json["fields"]?.arrayValue ?? []
    }

    @Test("a custom field gets a Zoho api name made from its label, custom_field true, and is served in the fields metadata")
    func addedAndServed() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let reply = try await add(
                s,
                "Leads",
                [
                    [
                        "field_label": "Region", "data_type": "picklist",
                        "pick_list_values": [["display_value": "East", "actual_value": "IN_East"], ["display_value": "West"]],
                    ],
                    ["field_label": "Custom Field 1", "data_type": "text", "length": 50],
                ]
            )
            #expect(reply.status == 201, "\(reply.text)")
            #expect(reply.json["fields"]?.arrayValue?.map { $0["details"]?["api_name"] } == ["Region", "Custom_Field_1"])
            #expect(reply.json["fields"]?[0]?["message"] == "field created")
            let fields = try await metadata(s, at, "Leads")
            let region = try #require(fields.first { $0["api_name"] == "Region" })
            #expect(region["custom_field"] == true)
            #expect(region["field_label"] == "Region")
            #expect(region["data_type"] == "picklist")
            #expect(region["pick_list_values"]?[0]?["actual_value"] == "IN_East")
            #expect(region["pick_list_values"]?[1]?["actual_value"] == "West", "the actual value defaults to the display value")
            let text = try #require(fields.first { $0["api_name"] == "Custom_Field_1" })
            #expect(text["length"] == 50)
            #expect(text["custom_field"] == true)
            #expect(try await metadata(s, at, "Contacts").allSatisfy { $0["custom_field"] == false }, "only the module asked for has it")
            #expect(try await metadata(s, at, "Leads", dc: "eu").allSatisfy { $0["custom_field"] == false }, "each data centre is its own org")
        }
    }

    @Test("a custom field takes writes of its type, and only of its type")
    func writable() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let accounts = try await s.request("POST", "/us/api/crm/v8/Accounts", body: #"{"data":[{"Account_Name":"Acme"}]}"#, token: at)
            let account = try #require(accounts.json["data"]?[0]?["details"]?["id"]?.stringValue)
            let added = try await add(
                s,
                "Leads",
                [
                    ["field_label": "Region", "data_type": "picklist", "pick_list_values": [["display_value": "East"]]],
                    ["field_label": "Seats", "data_type": "integer"],
                    ["field_label": "Partner", "data_type": "lookup", "lookup": ["module": ["api_name": "Accounts"]]],
                ]
            )
            #expect(added.status == 201, "\(added.text)")
            let good = try await s.request(
                "POST",
                "/us/api/crm/v8/Leads",
                body: #"{"data":[{"Last_Name":"A","Region":"East","Seats":12,"Partner":{"id":"\#(account)"}}]}"#,
                token: at
            )
            #expect(good.status == 201, "\(good.text)")
            let id = try #require(good.json["data"]?[0]?["details"]?["id"]?.stringValue)
            let read = try await s.request("GET", "/us/api/crm/v8/Leads/\(id)", token: at).json["data"]?[0]
            #expect(read?["Region"] == "East")
            #expect(read?["Seats"] == 12)
            #expect(read?["Partner"] == ["id": .string(account), "name": "Acme"])
            let bad = try await s.request(
                "POST",
                "/us/api/crm/v8/Leads",
                body: #"{"data":[{"Last_Name":"B","Region":"North"},{"Last_Name":"C","Seats":"12"}]}"#,
                token: at
            )
            #expect(bad.json["data"]?[0]?["code"] == "INVALID_DATA")
            #expect(bad.json["data"]?[0]?["details"]?["api_name"] == "Region")
            #expect(bad.json["data"]?[1]?["details"]?["expected_data_type"] == "integer")
        }
    }

    @Test("refused: a __c suffix, a label or api name taken, an unknown type, a length outside the type's limits, more than 5 at once")
    func refusals() async throws {
        try await TestSim.with { s in
            func refusal(_ field: JSONValue, module: String = "Leads") async throws -> String {
                let reply = try await add(s, module, [field])
                #expect(reply.status == 400, "\(reply.text)")
                return reply.json["error"]?.stringValue ?? ""
            }
            #expect(try await refusal(["field_label": "Region", "api_name": "Region__c", "data_type": "text"]).contains("__c suffix is not Zoho's"))
            #expect(try await refusal(["field_label": "Last Name", "data_type": "text"]).contains("already has a field labelled"))
            #expect(
                try await refusal(["field_label": "Surname", "api_name": "Last_Name", "data_type": "text"]).contains("already has a field named")
            )
            #expect(try await refusal(["field_label": "Blob", "data_type": "blob"]).contains("data_type is one of text, textarea"))
            #expect(try await refusal(["field_label": "Code", "data_type": "text", "length": 300]).contains("1 to 255"))
            #expect(try await refusal(["field_label": "Notes", "data_type": "textarea", "length": 5000]).contains("2000, 32000 or 50000"))
            #expect(try await refusal(["field_label": "Kind", "data_type": "picklist"]).contains("pick_list_values is required"))
            #expect(try await refusal(["field_label": "Parent", "data_type": "lookup"]).contains("a lookup names its module"))
            let six = (1...6).map { JSONValue.object(["field_label": .string("F\($0)"), "data_type": "text"]) }
            #expect(try await add(s, "Leads", six).json["error"]?.stringValue?.contains("at most 5") == true)
            let halfBad = try await add(s, "Leads", [["field_label": "Fine", "data_type": "text"], ["field_label": "Bad", "data_type": "blob"]])
            #expect(halfBad.status == 400)
            #expect(try await s.request("POST", "/_sim/crm/us/settings/fields?module=Nope", body: #"{"fields":[]}"#).status == 400)
            let (_, at, _) = try await s.connect()
            #expect(try await metadata(s, at, "Leads").allSatisfy { $0["custom_field"] == false }, "a refused call creates nothing")
        }
    }

    @Test("an edition allows so many custom fields per module: Standard 10")
    func editionLimit() async throws {
        try await TestSim.with { s in
            _ = try await s.control("POST", "crm/us/edition", ["edition": "standard"])
            for batch in 0..<2 {
                let fields = (0..<5).map { JSONValue.object(["field_label": .string("Field \(batch * 5 + $0)"), "data_type": "text"]) }
                #expect(try await add(s, "Deals", fields).status == 201)
            }
            let eleventh = try await add(s, "Deals", [["field_label": "One more", "data_type": "text"]])
            #expect(eleventh.status == 400)
            #expect(eleventh.json["error"]?.stringValue?.contains("10 custom fields") == true)
            #expect(try await add(s, "Leads", [["field_label": "Elsewhere", "data_type": "text"]]).status == 201, "the limit is per module")
        }
    }

    @Test("custom fields are kept in the state file across a restart")
    func persisted() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let at = try await TestSim.with(stateFile: file) { s in
            let (_, at, _) = try await s.connect()
            #expect(try await add(s, "Contacts", [["field_label": "Shoe Size", "data_type": "integer"]]).status == 201)
            try await s.sim.state.save(to: file)
            return at
        }
        try await TestSim.with(stateFile: file) { s in
            let fields = try await metadata(s, at, "Contacts")
            #expect(fields.contains { $0["api_name"] == "Shoe_Size" && $0["custom_field"] == true })
            let write = try await s.request("POST", "/us/api/crm/v8/Contacts", body: #"{"data":[{"Last_Name":"Kept","Shoe_Size":44}]}"#, token: at)
            #expect(write.status == 201, "\(write.text)")
        }
    }
}
