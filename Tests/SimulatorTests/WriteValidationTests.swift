import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: CRM writes validated against the field metadata")
struct WriteValidationTests {
    /// One record written to `module`; its result entry.
    func write(_ s: TestSim, _ at: String, _ module: String, _ record: String) async throws -> JSONValue {
        let reply = try await s.request("POST", "/us/api/crm/v8/\(module)", body: #"{"data":[\#(record)]}"#, token: at)
        return reply.json["data"]?[0] ?? reply.json
    }

    @Test("a field the module does not have is INVALID_DATA 'the field api name given seems to be invalid'; the config can ignore it")
    func unknownFields() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let refused = try await write(s, at, "Contacts", #"{"Last_Name":"A","Shoe_Size":44}"#)
            #expect(
                refused == [
                    "code": "INVALID_DATA", "details": ["api_name": "Shoe_Size", "json_path": "$.data[0].Shoe_Size"],
                    "message": "the field api name given seems to be invalid", "status": "error",
                ]
            )
            #expect(
                try await write(s, at, "Contacts", #"{"Last_Name":"B","$approval":{"delegate":false}}"#)["code"] == "SUCCESS",
                "$ properties are not fields"
            )
            _ = try await s.control("POST", "config", ["rejectUnknownFields": false])
            let ignored = try await write(s, at, "Contacts", #"{"Last_Name":"C","Shoe_Size":44}"#)
            #expect(ignored["code"] == "SUCCESS")
            let id = try #require(ignored["details"]?["id"]?.stringValue)
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts/\(id)", token: at).json["data"]?[0]?["Shoe_Size"] == nil, "and not kept")
        }
    }

    @Test("a field only Zoho writes (times, creators, Expected_Revenue) is refused; the config can ignore it")
    func readOnlyFields() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let times = try await write(s, at, "Contacts", #"{"Last_Name":"A","Modified_Time":"2024-06-11T10:15:00+05:30"}"#)
            #expect(times["code"] == "INVALID_DATA")
            #expect(times["details"]?["api_name"] == "Modified_Time")
            let revenue = try await write(s, at, "Deals", #"{"Deal_Name":"D","Stage":"Qualification","Expected_Revenue":5}"#)
            #expect(revenue["details"]?["api_name"] == "Expected_Revenue")
            _ = try await s.control("POST", "config", ["rejectReadOnlyFields": false])
            let ignored = try await write(s, at, "Deals", #"{"Deal_Name":"E","Stage":"Qualification","Expected_Revenue":5}"#)
            #expect(ignored["code"] == "SUCCESS")
        }
    }

    @Test(
        "each data type takes only its JSON type: integers are JSON integers, amounts numbers, booleans booleans, dates yyyy-MM-dd",
        arguments: [
            ("Leads", "No_of_Employees", #""12""#, "integer"), ("Leads", "No_of_Employees", "1.5", "integer"),
            ("Leads", "Annual_Revenue", #""100""#, "currency"), ("Products", "Qty_in_Stock", "true", "double"),
            ("Leads", "Email_Opt_Out", #""true""#, "boolean"), ("Deals", "Closing_Date", #""2024/01/31""#, "date"),
            ("Contacts", "Date_of_Birth", #""2024-01-31T10:00:00+05:30""#, "date"), ("Leads", "Company", "42", "text"),
            ("Leads", "Email", #""not-an-email""#, "email"), ("Contacts", "Owner", #"{"id":"42"}"#, "ownerlookup"),
        ]
    )
    func types(module: String, field: String, value: String, expected: String) async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let mandatory = ["Leads": #""Last_Name":"L""#, "Contacts": #""Last_Name":"C""#, "Deals": #""Deal_Name":"D","Stage":"Qualification""#]
            let base = mandatory[module] ?? #""Product_Name":"P""#
            let result = try await write(s, at, module, "{\(base),\"\(field)\":\(value)}")
            #expect(result["code"] == "INVALID_DATA", "\(result)")
            #expect(result["details"]?["api_name"] == .string(field))
            #expect(result["details"]?["expected_data_type"] == .string(expected))
        }
    }

    @Test("values of the right type are taken: integers, amounts, booleans, dates, datetimes, multi-select lists, the owner")
    func rightTypes() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let lead = try await write(
                s,
                at,
                "Leads",
                #"{"Last_Name":"L","No_of_Employees":12,"Annual_Revenue":1000.5,"Email_Opt_Out":true,"Lead_Status":"Contacted","Owner":{"id":"5725767000000100001"}}"#
            )
            #expect(lead["code"] == "SUCCESS", "\(lead)")
            let deal = try await write(s, at, "Deals", #"{"Deal_Name":"D","Stage":"Closed Won","Closing_Date":"2024-01-31","Amount":5}"#)
            #expect(deal["code"] == "SUCCESS", "\(deal)")
            let id = try #require(lead["details"]?["id"]?.stringValue)
            let read = try await s.request("GET", "/us/api/crm/v8/Leads/\(id)", token: at).json["data"]?[0]
            #expect(read?["No_of_Employees"] == 12)
            #expect(read?["Email_Opt_Out"] == true)
        }
    }

    @Test("texts and numbers longer than the field's length are INVALID_DATA with maximum_length")
    func lengths() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let long = String(repeating: "x", count: 41)
            let name = try await write(s, at, "Contacts", #"{"Last_Name":"A","First_Name":"\#(long)"}"#)
            #expect(name["details"] == ["api_name": "First_Name", "json_path": "$.data[0].First_Name", "maximum_length": 40])
            let probability = try await write(s, at, "Deals", #"{"Deal_Name":"D","Stage":"Qualification","Probability":1000}"#)
            #expect(probability["details"]?["maximum_length"] == 3)
            #expect(try await write(s, at, "Deals", #"{"Deal_Name":"D","Stage":"Qualification","Probability":100}"#)["code"] == "SUCCESS")
        }
    }

    @Test("picklists take their listed values only; the config lets other text through")
    func picklists() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let stage = try await write(s, at, "Deals", #"{"Deal_Name":"D","Stage":"Won it"}"#)
            #expect(stage["code"] == "INVALID_DATA")
            #expect(stage["details"]?["api_name"] == "Stage")
            let status = try await write(s, at, "Leads", #"{"Last_Name":"L","Lead_Status":"contacted"}"#)
            #expect(status["details"]?["api_name"] == "Lead_Status", "values are compared as listed, case included")
            #expect(try await write(s, at, "Leads", #"{"Last_Name":"L","Lead_Status":"Contacted"}"#)["code"] == "SUCCESS")
            _ = try await s.control("POST", "config", ["restrictPicklistValues": false])
            #expect(try await write(s, at, "Deals", #"{"Deal_Name":"D","Stage":"Won it"}"#)["code"] == "SUCCESS")
        }
    }
}
