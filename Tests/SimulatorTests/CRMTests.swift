import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: Zoho CRM")
struct CRMTests {
    func post(
        _ s: TestSim,
        _ at: String,
        _ module: String,
        _ records: [JSONValue],
        path: String = "",
        version: String = "v8"
    ) async throws -> TestSim.Reply {
        try await s.request(
            "POST",
            "/us/api/crm/\(version)/\(module)\(path)",
            body: JSONValue.object(["data": .array(records)]).serialized(),
            token: at
        )
    }

    @Test("create answers 201 with per-record results in order; failures carry Zoho's codes and json_path")
    func createResults() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let r = try await post(
                s,
                at,
                "Contacts",
                [
                    ["Last_Name": "Boyle", "Email": "p@x.com"], ["First_Name": "NoLast"], ["Last_Name": "Bad", "Email": "not-an-email"],
                    ["Last_Name": "Dup", "Email": "P@X.com"],
                ]
            )
            #expect(r.status == 207)
            let data = try #require(r.json["data"]?.arrayValue)
            #expect(data[0]["code"] == "SUCCESS")
            #expect(data[0]["message"] == "record added")
            #expect(data[0]["details"]?["Modified_Time"]?.stringValue?.hasSuffix("+05:30") == true, "times carry the org's offset")
            #expect(
                data[1] == [
                    "code": "MANDATORY_NOT_FOUND", "details": ["api_name": "Last_Name", "json_path": "$.data[1].Last_Name"],
                    "message": "required field not found", "status": "error",
                ]
            )
            #expect(
                data[2] == [
                    "code": "INVALID_DATA", "details": ["api_name": "Email", "json_path": "$.data[2].Email", "expected_data_type": "email"],
                    "message": "invalid data", "status": "error",
                ]
            )
            #expect(data[3]["code"] == "DUPLICATE_DATA")
            #expect(data[3]["details"]?["duplicate_record"]?["id"] == data[0]["details"]?["id"])
            let allGood = try await post(s, at, "Contacts", [["Last_Name": "Solo"]])
            #expect(allGood.status == 201)
            let allBad = try await post(s, at, "Contacts", [["First_Name": "x"]])
            #expect(allBad.status == 400)
        }
    }

    @Test("a mandatory field given empty or blank is MANDATORY_NOT_FOUND, as when it is missing")
    func blankMandatory() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let r = try await post(s, at, "Contacts", [["First_Name": "Ann Trailing", "Last_Name": ""], ["Last_Name": "  "], ["Last_Name": "Ok"]])
            let data = try #require(r.json["data"]?.arrayValue)
            #expect(data.map { $0["code"] } == ["MANDATORY_NOT_FOUND", "MANDATORY_NOT_FOUND", "SUCCESS"])
            #expect(data[0]["details"]?["api_name"] == "Last_Name")
        }
    }

    @Test("more than 100 records in one write is LIMIT_EXCEEDED; no body is MANDATORY_NOT_FOUND; a bad module is INVALID_MODULE")
    func requestLevelErrors() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let many = (0..<101).map { JSONValue.object(["Last_Name": .string("n\($0)")]) }
            let limit = try await post(s, at, "Contacts", many)
            #expect(limit.status == 400)
            #expect(limit.json["code"] == "LIMIT_EXCEEDED")
            #expect(
                try await s.request("GET", "/us/api/crm/v8/Contactz?fields=Email", token: at).json
                    == [
                        "code": "INVALID_MODULE", "details": ["resource_path_index": 0], "message": "the module name given seems to be invalid",
                        "status": "error",
                    ]
            )
            #expect(
                try await s.request("GET", "/us/api/crm/v8/Contacts", token: at).text
                    == #"{"code":"REQUIRED_PARAM_MISSING","details":{"param":"fields"},"message":"One of the expected parameter is missing","status":"error"}"#
            )
            #expect(try await s.request("GET", "/us/api/crm/v2/Contacts", token: at).status == 204, "v2 did not require fields")
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email&per_page=201", token: at).status == 400)
            #expect(try await s.request("PATCH", "/us/api/crm/v8/Contacts", token: at).status == 405)
        }
    }

    @Test("authentication: missing, wrong and out-of-scope tokens")
    func auth() async throws {
        try await TestSim.with { s in
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email").json["code"] == "AUTHENTICATION_FAILURE")
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: "1000.abc.def").json["code"] == "INVALID_TOKEN")
            let (_, at, _) = try await s.connect(scope: "ZohoCRM.modules.Accounts.READ")
            #expect(try await s.request("GET", "/us/api/crm/v8/Accounts?fields=Account_Name", token: at).status == 204)
            let other = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at)
            #expect(other.status == 401)
            #expect(other.json["code"] == "OAUTH_SCOPE_MISMATCH")
            let bearer = try await s.request("GET", "/us/api/crm/v8/Accounts?fields=Account_Name", headers: [("Authorization", "Bearer \(at)")])
            #expect(bearer.status == 204, "Bearer is accepted too")
        }
    }

    @Test("update, upsert by duplicate_check_fields, delete and the deleted list")
    func writes() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let id = try #require(
                try await post(s, at, "Contacts", [["Last_Name": "A", "Email": "a@x.com"]]).json["data"]?[0]?["details"]?["id"]?.stringValue
            )
            let upd = try await s.request(
                "PUT",
                "/us/api/crm/v8/Contacts",
                body: #"{"data":[{"id":"\#(id)","Phone":"123"},{"id":"999","Phone":"1"}]}"#,
                token: at
            )
            #expect(upd.json["data"]?[0]?["message"] == "record updated")
            #expect(upd.json["data"]?[1]?["code"] == "INVALID_DATA")
            #expect(upd.json["data"]?[1]?["message"] == "the id given seems to be invalid")

            let ups = try await s.request(
                "POST",
                "/us/api/crm/v8/Contacts/upsert",
                body: #"{"data":[{"Last_Name":"A2","Email":"a@x.com"},{"Last_Name":"B","Email":"b@x.com"}],"duplicate_check_fields":["Email"]}"#,
                token: at
            )
            #expect(ups.json["data"]?[0]?["action"] == "update")
            #expect(ups.json["data"]?[0]?["duplicate_field"] == "Email")
            #expect(ups.json["data"]?[0]?["details"]?["id"] == .string(id))
            #expect(ups.json["data"]?[1]?["action"] == "insert")

            let one = try await s.request("GET", "/us/api/crm/v8/Contacts/\(id)", token: at)
            #expect(one.json["data"]?[0]?["Last_Name"] == "A2")
            #expect(one.json["data"]?[0]?["Phone"] == "123")

            let del = try await s.request("DELETE", "/us/api/crm/v8/Contacts?ids=\(id),424242", token: at)
            #expect(del.json["data"]?[0] == ["code": "SUCCESS", "details": ["id": .string(id)], "message": "record deleted", "status": "success"])
            #expect(del.json["data"]?[1]?["code"] == "INVALID_DATA")
            let deleted = try await s.request("GET", "/us/api/crm/v8/Contacts/deleted?type=all", token: at)
            #expect(deleted.json["data"]?[0]?["id"] == .string(id))
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts/actions/count", token: at).json == ["count": 1])
        }
    }

    @Test(
        "the duplicate check follows every write: a changed or deleted email is free again, a new one is taken, and an upsert finds its holder"
    )
    func duplicatesFollowWrites() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            func add(_ name: String, _ email: String) async throws -> JSONValue {
                try await post(s, at, "Contacts", [["Last_Name": .string(name), "Email": .string(email)]]).json["data"]?[0] ?? .null
            }
            let a = try #require(try await add("A", "first@x.com")["details"]?["id"]?.stringValue)
            #expect(try await add("Twin", "FIRST@x.com")["code"] == "DUPLICATE_DATA", "the check is asked once, and built")
            let move = #"{"data":[{"id":"\#(a)","Email":"second@x.com"}]}"#
            let moved = try await s.request("PUT", "/us/api/crm/v8/Contacts", body: move, token: at)
            #expect(moved.json["data"]?[0]?["code"] == "SUCCESS")
            #expect(try await add("B", "first@x.com")["code"] == "SUCCESS", "A left first@x.com")
            #expect(try await add("C", "second@x.com")["code"] == "DUPLICATE_DATA", "A took second@x.com")
            let ups = try await s.request(
                "POST",
                "/us/api/crm/v8/Contacts/upsert",
                body: #"{"data":[{"Last_Name":"A again","Email":"Second@x.com"}],"duplicate_check_fields":["Email"]}"#,
                token: at
            )
            #expect(ups.json["data"]?[0]?["action"] == "update")
            #expect(ups.json["data"]?[0]?["details"]?["id"] == .string(a))
            _ = try await s.request("DELETE", "/us/api/crm/v8/Contacts?ids=\(a)", token: at)
            #expect(try await add("D", "second@x.com")["code"] == "SUCCESS", "a deleted record holds no email")
        }
    }

    @Test("lookups must point at a real record and read back as {id, name}")
    func lookups() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let account = try #require(try await post(s, at, "Accounts", [["Account_Name": "Acme"]]).json["data"]?[0]?["details"]?["id"]?.stringValue)
            let bad = try await post(s, at, "Contacts", [["Last_Name": "X", "Account_Name": ["id": "1"]]])
            #expect(bad.json["data"]?[0]?["details"]?["expected_data_type"] == "lookup")
            let good = try await post(s, at, "Contacts", [["Last_Name": "Y", "Account_Name": ["id": .string(account)]]])
            let id = good.json["data"]![0]!["details"]!["id"]!.stringValue!
            let read = try await s.request("GET", "/us/api/crm/v8/Contacts/\(id)", token: at)
            #expect(read.json["data"]?[0]?["Account_Name"] == ["id": .string(account), "name": "Acme"])
        }
    }

    @Test("pages reach 2,000 records; page_token goes beyond; info tells when there is more")
    func pagination() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            for batch in 0..<21 {
                let records = (0..<100).map { JSONValue.object(["Last_Name": .string("P\(batch * 100 + $0)")]) }
                #expect(try await post(s, at, "Contacts", records).status == 201)
            }
            let first = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name&per_page=200&page=10", token: at)
            #expect(first.json["info"]?["more_records"] == true)
            #expect(first.json["data"]?.arrayValue?.count == 200)
            let beyond = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name&per_page=200&page=11", token: at)
            #expect(beyond.status == 400)
            #expect(beyond.json["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED")
            var token = try #require(first.json["info"]?["next_page_token"]?.stringValue)
            let last = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name&per_page=200&page_token=\(token)", token: at)
            #expect(last.json["data"]?.arrayValue?.count == 100)
            #expect(last.json["info"]?["more_records"] == false)
            #expect(last.json["info"]?["next_page_token"] == .null)
            token = "ptbogus"
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name&page_token=\(token)", token: at).status == 400)
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name&page=1&page_token=x", token: at).status == 400)
        }
    }

    @Test("If-Modified-Since returns only newer records, or 304; sort by Modified_Time")
    func ifModifiedSince() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            _ = try await post(s, at, "Contacts", [["Last_Name": "Old"]])
            _ = try await s.control("POST", "clock", ["advance_seconds": 60])
            let mark = try await s.control("POST", "clock", [:])["now"]!.stringValue!
            #expect(
                try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Last_Name", token: at, headers: [("If-Modified-Since", mark)]).status
                    == 304
            )
            _ = try await s.control("POST", "clock", ["advance_seconds": 60])
            _ = try await post(s, at, "Contacts", [["Last_Name": "New"]])
            let newer = try await s.request(
                "GET",
                "/us/api/crm/v8/Contacts?fields=Last_Name&sort_by=Modified_Time&sort_order=asc",
                token: at,
                headers: [("If-Modified-Since", mark)]
            )
            #expect(newer.json["data"]?.arrayValue?.map { $0["Last_Name"] } == ["New"])
        }
    }

    @Test("search by criteria, email and word; 204 when nothing matches")
    func search() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            _ = try await post(
                s,
                at,
                "Contacts",
                [["Last_Name": "Boyle", "Email": "b@x.com"], ["Last_Name": "Smith", "Email": "s@x.com"], ["Last_Name": "Bond"]]
            )
            func names(_ q: String) async throws -> [String] {
                try await s.request("GET", "/us/api/crm/v8/Contacts/search?\(q)", token: at).json["data"]?.arrayValue?.compactMap {
                    $0["Last_Name"]?.stringValue
                }.sorted() ?? []
            }
            #expect(try await names("criteria=(Email:equals:b@x.com)") == ["Boyle"])
            #expect(try await names("criteria=((Last_Name:starts_with:Bo)and(Email:equals:b@x.com))") == ["Boyle"])
            #expect(try await names("criteria=((Last_Name:equals:Smith)or(Last_Name:equals:Bond))") == ["Bond", "Smith"])
            #expect(try await names("email=s@x.com") == ["Smith"])
            #expect(try await names("word=bon") == ["Bond"])
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts/search?criteria=(Email:equals:none@x.com)", token: at).status == 204)
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts/search?criteria=broken", token: at).status == 400)
        }
    }

    @Test("field metadata names mandatory fields and lookups; org and current user answer")
    func metadata() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let fields = try await s.request("GET", "/us/api/crm/v8/settings/fields?module=Contacts", token: at).json["fields"]!.arrayValue!
            #expect(fields.first { $0["api_name"] == "Last_Name" }?["system_mandatory"] == true)
            #expect(fields.first { $0["api_name"] == "Account_Name" }?["lookup"]?["module"]?["api_name"] == "Accounts")
            #expect(try await s.request("GET", "/us/api/crm/v8/org", token: at).json["org"]?[0]?["id"] != nil)
            #expect(try await s.request("GET", "/us/api/crm/v8/users?type=CurrentUser", token: at).json["users"]?[0]?["email"] != nil)
        }
    }

    @Test("the daily credit limit answers 429 TOO_MANY_REQUESTS, with Retry-After when configured")
    func credits() async throws {
        try await TestSim.with({ $0.retryAfterSeconds = 30 }) { s in
            let (_, at, _) = try await s.connect()
            _ = try await s.control("POST", "crm/us/edition", ["edition": "free", "spent": 4_999])
            #expect(try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status == 204)
            let limited = try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at)
            #expect(limited.status == 429)
            #expect(
                limited.text
                    == #"{"code":"TOO_MANY_REQUESTS","details":{},"message":"too many requests. please try again after some time","status":"error"}"#
            )
            #expect(limited.headers["retry-after"] == "30")
            let usage = try await s.control("GET", "crm/us/edition")
            #expect(usage["edition"] == "free" && usage["daily_credits"] == 5_000)
            #expect(usage["credits_used"] == 5_000, "the 4,999 spent and the call that got 204; the refused one costs nothing")
        }
    }

    @Test("concurrency above the edition's limit, and heavy calls above 10, get 429")
    func concurrency() async throws {
        // Long enough that the requests overlap however busy the machine (400 ms once let one finish
        // before the last started, in a full parallel test run on two cores).
        try await TestSim.with({ $0.apiLatencyMilliseconds = 1_500 }) { s in
            let (_, at, _) = try await s.connect()
            _ = try await s.control("POST", "crm/us/edition", ["edition": "free"])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await s.request("GET", "/us/api/crm/v8/Contacts?fields=Email", token: at).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 429 }.count == 3)
            _ = try await s.control("POST", "crm/us/edition", ["edition": "ultimate"])
            let heavy = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 { group.addTask { try await s.request("GET", "/us/api/crm/v8/Contacts/search?word=x", token: at).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(heavy.filter { $0 == 429 }.count == 2, "sub-concurrency of 10 for search")
        }
    }
}
