import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: Zoho Books")
struct BooksTests {
    @Test("organizations list, and contacts in Books' {code:0} envelope with page_context")
    func contacts() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let orgs = try await s.request("GET", "/us/api/books/v3/organizations", token: at).json
            #expect(orgs["code"] == 0)
            let org = try #require(orgs["organizations"]?[0]?["organization_id"]?.stringValue)
            let created = try await s.request(
                "POST",
                "/us/api/books/v3/contacts?organization_id=\(org)",
                body: #"{"contact_name":"Bowman and Co","email":"b@x.com"}"#,
                token: at
            )
            #expect(created.status == 201)
            #expect(created.json["message"] == "The contact has been added.")
            let id = try #require(created.json["contact"]?["contact_id"]?.stringValue)
            #expect(created.json["contact"]?["last_modified_time"]?.stringValue?.hasSuffix("+0530") == true, "Books writes offsets without a colon")
            let list = try await s.request("GET", "/us/api/books/v3/contacts?organization_id=\(org)", token: at).json
            #expect(list["contacts"]?.arrayValue?.count == 1)
            #expect(list["page_context"]?["has_more_page"] == false)
            #expect(list["page_context"]?["per_page"] == 200)
            let upd = try await s.request("PUT", "/us/api/books/v3/contacts/\(id)?organization_id=\(org)", body: #"{"phone":"1"}"#, token: at)
            #expect(upd.json["contact"]?["phone"] == "1")
            #expect(
                try await s.request("DELETE", "/us/api/books/v3/contacts/\(id)?organization_id=\(org)", token: at).json
                    == ["code": 0, "message": "The contact has been deleted."]
            )
            #expect(
                try await s.request("GET", "/us/api/books/v3/contacts/\(id)?organization_id=\(org)", token: at).json
                    == ["code": 1002, "message": "Contact does not exist."]
            )
        }
    }

    @Test("contact_type is customer or vendor and customer_sub_type business or individual; anything else is code 4")
    func contactTypes() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let orgs = try await s.request("GET", "/us/api/books/v3/organizations", token: at).json
            let org = try #require(orgs["organizations"]?[0]?["organization_id"]?.stringValue)
            func create(_ body: String) async throws -> JSONValue {
                try await s.request("POST", "/us/api/books/v3/contacts?organization_id=\(org)", body: body, token: at).json
            }
            let wrongType = try await create(#"{"contact_name":"A","contact_type":"business"}"#)
            #expect(wrongType == ["code": 4, "message": "Invalid value passed for contact_type"])
            let wrongSubType = try await create(#"{"contact_name":"B","customer_sub_type":"company"}"#)
            #expect(wrongSubType == ["code": 4, "message": "Invalid value passed for customer_sub_type"])
            let right = try await create(#"{"contact_name":"C","contact_type":"vendor","customer_sub_type":"individual"}"#)
            #expect(right["contact"]?["contact_type"] == "vendor" && right["contact"]?["customer_sub_type"] == "individual")
        }
    }

    @Test("organization_id is required; form data where JSON is expected is code 1038; bad tokens are code 57")
    func errors() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let missing = try await s.request("GET", "/us/api/books/v3/contacts", token: at)
            #expect(missing.status == 400)
            #expect(missing.json["code"]?.intValue != 0)
            let form = try await s.request("POST", "/us/api/books/v3/contacts?organization_id=10234695", form: ["contact_name": "x"], token: at)
            #expect(form.json == ["code": 1038, "message": "JSON is not well formed"])
            let legacy = try await s.request(
                "POST",
                "/us/api/books/v3/contacts?organization_id=10234695",
                form: ["JSONString": #"{"contact_name":"Legacy"}"#],
                token: at
            )
            #expect(legacy.status == 201, "the legacy JSONString form field is accepted")
            let unauthorized = try await s.request("GET", "/us/api/books/v3/contacts?organization_id=10234695", token: "1000.bad.bad")
            #expect(unauthorized.status == 401)
            #expect(unauthorized.text == #"{"code":57,"message":"You are not authorized to perform this operation"}"#)
        }
    }

    @Test("100 requests per minute per organization, then 429")
    func rateLimit() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            for _ in 0..<100 { #expect(try await s.request("GET", "/us/api/books/v3/contacts?organization_id=10234695", token: at).status == 200) }
            let limited = try await s.request("GET", "/us/api/books/v3/contacts?organization_id=10234695", token: at)
            #expect(limited.status == 429)
            #expect(limited.json["code"] == 44)
            _ = try await s.control("POST", "clock", ["advance_seconds": 61])
            #expect(try await s.request("GET", "/us/api/books/v3/contacts?organization_id=10234695", token: at).status == 200)
        }
    }

    @Test("the per-window limit and its window are the config's, so tests can shorten Books' minute")
    func shortenedWindow() async throws {
        try await TestSim.with({
            // Longer than Books' minute, so that a slow machine cannot let the window pass between the calls.
            $0.booksRequestsPerWindow = 5
            $0.booksWindowSeconds = 600
        }) { s in
            let (_, at, _) = try await s.connect()
            let list = "/us/api/books/v3/contacts?organization_id=10234695"
            for _ in 0..<5 { #expect(try await s.request("GET", list, token: at).status == 200) }
            #expect(try await s.request("GET", list, token: at).status == 429)
            _ = try await s.control("POST", "clock", ["advance_seconds": 601])
            #expect(try await s.request("GET", list, token: at).status == 200)
        }
    }

    @Test("a daily quota per organization: once the day's calls are used every call is 429 code 44 until a day has passed")
    func dailyQuota() async throws {
        try await TestSim.with({ $0.booksDailyQuota = 3 }) { s in
            let (_, at, _) = try await s.connect()
            let list = "/us/api/books/v3/contacts?organization_id=10234695"
            for _ in 0..<3 { #expect(try await s.request("GET", list, token: at).status == 200) }
            let spent = try await s.request("GET", list, token: at)
            #expect(spent.status == 429)
            #expect(spent.json["code"] == 44)
            #expect(spent.json["message"]?.stringValue?.contains("for the day") == true, "\(spent.text)")
            _ = try await s.control("POST", "clock", ["advance_seconds": 61])
            #expect(try await s.request("GET", list, token: at).status == 429, "a minute later the day's quota is still spent")
            _ = try await s.control("POST", "clock", ["advance_seconds": 86_400])
            let (_, nextDay, _) = try await s.connect()  // the first token expired meanwhile
            #expect(try await s.request("GET", list, token: nextDay).status == 200)
        }
    }

    @Test("workflow webhooks post the default payload with custom headers, signed with X-Zoho-Webhook-Signature")
    func webhooks() async throws {
        try await Receiver.with { receiver, url in
            try await TestSim.with { s in
                _ = try await s.control(
                    "POST",
                    "books/us/10234695/webhooks",
                    [
                        "url": .string(url + "/books"), "events": ["create"],
                        "headers": ["X-Custom": "yes"], "query": ["auth_token": "q1"], "secret": "abcdefghijkl123",
                    ]
                )
                _ = try await s.control("POST", "books/us/10234695/contacts", ["contact_name": "Hooked"])
                let hit = try #require(await receiver.wait(for: 1).first)
                #expect(hit.headers["x-custom"] == "yes")
                #expect(hit.query == "auth_token=q1")
                #expect(try JSONValue.parse(hit.body)["contact"]?["contact_name"] == "Hooked")
                let expected = SimState.booksSignature(secret: "abcdefghijkl123", query: ["auth_token": "q1"], body: hit.body)
                #expect(hit.headers["x-zoho-webhook-signature"] == expected)
            }
        }
    }
}
