import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: Zoho Books items")
struct BooksItemTests {
    static let items = "/us/api/books/v3/items"
    static let org = "organization_id=10234695"  // the US organization

    func create(_ s: TestSim, _ at: String, _ body: String) async throws -> TestSim.Reply {
        try await s.request("POST", "\(Self.items)?\(Self.org)", body: body, token: at)
    }

    @Test("items in Books' {code:0} envelope: created, read, updated and deleted; a missing one is 2006")
    func lifecycle() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let created = try await create(s, at, #"{"name":"Hard Drive","rate":120,"sku":"s12345","product_type":"goods"}"#)
            #expect(created.status == 201)
            #expect(created.json["message"] == "The item has been added.")
            let item = try #require(created.json["item"])
            let id = try #require(item["item_id"]?.stringValue)
            #expect(item["rate"] == 120 && item["sku"] == "s12345" && item["status"] == "active" && item["item_type"] == "sales")
            #expect(item["description"] == "", "an unset column is answered as \"\"")
            let read = try await s.request("GET", "\(Self.items)/\(id)?\(Self.org)", token: at).json
            #expect(read["code"] == 0 && read["item"]?["name"] == "Hard Drive")
            let updated = try await s.request("PUT", "\(Self.items)/\(id)?\(Self.org)", body: #"{"rate":99.5}"#, token: at)
            #expect(updated.json["item"]?["rate"] == 99.5 && updated.json["item"]?["name"] == "Hard Drive")
            let deleted = try await s.request("DELETE", "\(Self.items)/\(id)?\(Self.org)", token: at).json
            #expect(deleted == ["code": 0, "message": "The item has been deleted."])
            let missing = try await s.request("GET", "\(Self.items)/\(id)?\(Self.org)", token: at)
            #expect(missing.status == 404)
            #expect(missing.json == ["code": 2006, "message": "Item does not exist."])
        }
    }

    @Test("name and rate are required, rate is a number, the name at most 100 characters and one item's alone; anything else is refused")
    func refusals() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let noRate = try await create(s, at, #"{"name":"Cable"}"#)
            #expect(noRate.status == 400)
            #expect(noRate.json == ["code": 4, "message": "Invalid value passed for rate"])
            #expect(try await create(s, at, #"{"rate":5}"#).json == ["code": 4, "message": "Invalid value passed for name"])
            #expect(try await create(s, at, #"{"name":" ","rate":5}"#).json == ["code": 4, "message": "Invalid value passed for name"])
            #expect(try await create(s, at, #"{"name":"Cable","rate":"5"}"#).json == ["code": 4, "message": "Invalid value passed for rate"])
            let long = String(repeating: "x", count: 101)
            #expect(try await create(s, at, #"{"name":"\#(long)","rate":5}"#).json["code"] == 4)
            let wrongType = try await create(s, at, #"{"name":"Cable","rate":5,"product_type":"thing"}"#)
            #expect(wrongType.json == ["code": 4, "message": "Invalid value passed for product_type"])
            let first = try await create(s, at, #"{"name":"Cable","rate":5}"#)
            #expect(first.status == 201)
            let again = try await create(s, at, #"{"name":"Cable","rate":6}"#)
            #expect(again.status == 400)
            #expect(again.json == ["code": 1000, "message": "The item name already exist"])
            let id = try #require(first.json["item"]?["item_id"]?.stringValue)
            let blanked = try await s.request("PUT", "\(Self.items)/\(id)?\(Self.org)", body: #"{"rate":null}"#, token: at)
            #expect(blanked.json == ["code": 4, "message": "Invalid value passed for rate"], "a required column stays set")
            let list = try await s.request("GET", "\(Self.items)?\(Self.org)", token: at).json["items"]?.arrayValue ?? []
            #expect(list.count == 1, "a refused write keeps nothing")
        }
    }

    @Test("items list 200 a page at most with has_more_page, the active ones unless filter_by says otherwise, and by name")
    func paging() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            for i in 0..<205 {
                _ = try await s.control("POST", "books/us/10234695/items", ["name": .string(String(format: "Item %03ld", i)), "rate": 1])
            }
            let first = try await s.request("GET", "\(Self.items)?\(Self.org)&per_page=500", token: at).json
            #expect(first["items"]?.arrayValue?.count == 200)
            #expect(first["page_context"]?["per_page"] == 200 && first["page_context"]?["has_more_page"] == true)
            #expect(first["items"]?[0]?["name"] == "Item 000", "sorted by name")
            let second = try await s.request("GET", "\(Self.items)?\(Self.org)&page=2", token: at).json
            #expect(second["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == (200..<205).map { String(format: "Item %03ld", $0) })
            #expect(second["page_context"]?["has_more_page"] == false)

            let id = try #require(first["items"]?[0]?["item_id"]?.stringValue)
            let marked = try await s.request("POST", "\(Self.items)/\(id)/inactive?\(Self.org)", token: at).json
            #expect(marked == ["code": 0, "message": "The item has been marked as inactive."])
            let active = try await s.request("GET", "\(Self.items)?\(Self.org)&page=2", token: at).json
            #expect(active["items"]?.arrayValue?.count == 4, "an inactive item is left out of the default list")
            #expect(active["page_context"]?["applied_filter"] == "Status.Active")
            let inactive = try await s.request("GET", "\(Self.items)?\(Self.org)&filter_by=Status.Inactive", token: at).json
            #expect(inactive["items"]?.arrayValue?.compactMap { $0["item_id"]?.stringValue } == [id])
            let byName = try await s.request("GET", "\(Self.items)?\(Self.org)&name=Item%20007&filter_by=Status.All", token: at).json
            #expect(byName["items"]?.arrayValue?.count == 1)
        }
    }

    @Test("items are settings in Books' scopes: a contacts scope is refused with code 57, settings.READ reads but does not write")
    func scopes() async throws {
        try await TestSim.with { s in
            let (_, contactsOnly, _) = try await s.connect(scope: "ZohoBooks.contacts.ALL")
            let refused = try await s.request("GET", "\(Self.items)?\(Self.org)", token: contactsOnly)
            #expect(refused.status == 401)
            #expect(refused.json["code"] == 57)
            let (_, reader, _) = try await s.connect(scope: "ZohoBooks.settings.READ")
            #expect(try await s.request("GET", "\(Self.items)?\(Self.org)", token: reader).status == 200)
            #expect(try await create(s, reader, #"{"name":"Cable","rate":5}"#).status == 401)
            let (_, settings, _) = try await s.connect(scope: "ZohoBooks.settings.ALL")
            #expect(try await create(s, settings, #"{"name":"Cable","rate":5}"#).status == 201)
        }
    }

    @Test("an item edited as a user would fires the items webhooks with the {\"item\":…} payload, not the contacts ones")
    func webhooks() async throws {
        try await Receiver.with { receiver, url in
            try await TestSim.with { s in
                let hooks = "books/us/10234695/webhooks"
                _ = try await s.control("POST", hooks, ["url": .string(url + "/contacts"), "events": ["create"]])
                _ = try await s.control("POST", hooks, ["url": .string(url + "/items"), "entity": "item", "events": ["create"]])
                let created = try await s.control("POST", "books/us/10234695/items", ["name": "Hooked", "rate": 3.5])
                _ = try await s.control("POST", "books/us/10234695/contacts", ["contact_name": "Hooked"])
                // Deliveries go out in order, the contacts webhook first: had the item fired it, it would lead.
                let hits = await receiver.wait(for: 2)
                #expect(hits.map(\.path) == ["/items", "/contacts"])
                let item = try #require(hits.first)
                #expect(try JSONValue.parse(item.body)["item"]?["item_id"] == created["item"]?["item_id"])
                let listed = try await s.control("GET", "books/us/10234695/items")
                #expect(listed.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Hooked"])
            }
        }
    }
}
