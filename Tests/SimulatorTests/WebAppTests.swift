import Core
import Foundation
import Simulator
import Testing

/// The web apps' record pages that Odoo's links open (`crm/tab/<Tab>/<id>`, `app/<organization>`).
@Suite("Simulator: web app pages")
struct WebAppTests {
    @Test("a CRM record opens at crm/tab/<Module>/<id>, a deal under the tab Potentials; a missing one is a 404 page")
    func crm() async throws {
        try await TestSim.with { s in
            let contact = try #require(
                try await s.control("POST", "crm/eu/Contacts", ["Last_Name": "Lovelace", "Email": "ada@example.com"])["id"]?.stringValue
            )
            let page = try await s.request("GET", "/eu/crm/tab/Contacts/\(contact)")
            #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Lovelace") && page.text.contains("ada@example.com"), "\(page.text)")

            let deal = try #require(
                try await s.control("POST", "crm/eu/Deals", ["Deal_Name": "Analytical Engine", "Stage": "Qualification"])["id"]?.stringValue
            )
            #expect(try await s.request("GET", "/eu/crm/tab/Potentials/\(deal)").text.contains("Analytical Engine"))

            let missing = try await s.request("GET", "/eu/crm/tab/Contacts/404404")
            #expect(missing.status == 404 && missing.text.contains("No record 404404 in Contacts"))
            #expect(try await s.request("GET", "/us/crm/tab/Contacts/\(contact)").status == 404, "another data centre's organisation")
        }
    }

    @Test("a Books organisation's page holds each contact and item under the anchor of Zoho's fragment")
    func books() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let org = "organization_id=10234695"  // the US organization
            let contact = try await s.request("POST", "/us/api/books/v3/contacts?\(org)", body: #"{"contact_name":"Babbage Ltd"}"#, token: at)
            let contactID = try #require(contact.json["contact"]?["contact_id"]?.stringValue)
            let item = try await s.request("POST", "/us/api/books/v3/items?\(org)", body: #"{"name":"Difference Engine","rate":10}"#, token: at)
            let itemID = try #require(item.json["item"]?["item_id"]?.stringValue)

            let page = try await s.request("GET", "/us/app/10234695")
            #expect(page.status == 200)
            #expect(page.text.contains("id=\"/contacts/\(contactID)\"") && page.text.contains("Babbage Ltd"), "\(page.text)")
            #expect(page.text.contains("id=\"/inventory/items/\(itemID)\"") && page.text.contains("Difference Engine"))
            #expect(try await s.request("GET", "/us/app/999").status == 404)
        }
    }
}
