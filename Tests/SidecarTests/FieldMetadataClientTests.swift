import Core
import Foundation
import Simulator
import Store
import Testing
import ZohoAPI

@Suite("Zoho field metadata through the client, over HTTP")
struct FieldMetadataClientTests {
    /// A connected instance with CRM and Books (the EU organization) on the simulator.
    static func withInstance<T>(
        _ engine: Engine,
        scopes: String = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,ZohoBooks.contacts.ALL,ZohoBooks.settings.READ",
        _ body: (TestSidecar, TestZoho, Int64) async throws -> T
    ) async throws -> T {
        try await TestZoho.with { zoho in
            try await OAuthTests.withConnectable(engine, zoho: zoho, settings: ["workers": "false"]) { s, id, _ in
                _ = try await s.execute(
                    "zoho.instance",
                    "write",
                    [[.int(id)], ["apps": ["crm", "books"], "books_organization_id": .string(BooksHarness.org), "scopes": .string(scopes)]]
                )
                _ = try await OAuthTests.authorize(s, id)
                return try await body(s, zoho, id)
            }
        }
    }

    @Test("crmModules and crmFields answer typed modules and fields: picklists, lookups, read-only and custom fields", arguments: TestStores.engines)
    func crm(engine: Engine) async throws {
        try await Self.withInstance(engine) { s, zoho, id in
            _ = try await zoho.control(
                "POST",
                "crm/eu/settings/fields?module=Leads",
                ["fields": [["field_label": "Region", "data_type": "picklist", "pick_list_values": [["display_value": "East"]]]]]
            )
            let client = s.sidecar.zoho.client
            let modules = try await client.crmModules(id)
            let products = try #require(modules.first { $0.apiName == "Products" })
            #expect(products.singularLabel == "Product")
            #expect(products.apiSupported && products.creatable && !products.custom)

            let leads = Dictionary(uniqueKeysWithValues: try await client.crmFields(id, module: "Leads").map { ($0.apiName, $0) })
            let status = try #require(leads["Lead_Status"])
            #expect(status.dataType == .picklist)
            #expect(status.picklist.contains(ZohoField.Option(displayValue: "Contacted", actualValue: "Contacted")))
            #expect(leads["Annual_Revenue"]?.dataType == .currency)
            #expect(leads["Annual_Revenue"]?.jsonType == "double")
            #expect(leads["No_of_Employees"]?.dataType == .integer)
            #expect(leads["Last_Name"]?.mandatory == true)
            #expect(leads["Last_Name"]?.length == 80)
            #expect(leads["Created_Time"]?.readOnly == true)
            #expect(leads["Owner"]?.readOnly == false, "Zoho marks Owner field_read_only, yet the API writes it")
            #expect(leads["Region"]?.custom == true)
            #expect(leads["Region"]?.label == "Region")
            #expect(leads["Company"]?.custom == false)

            let deals = try await client.crmFields(id, module: "Deals")
            #expect(deals.first { $0.apiName == "Account_Name" }?.lookupModule == "Accounts")
            #expect(deals.first { $0.apiName == "Stage" }?.picklist.first?.displayValue == "Qualification")
        }
    }

    @Test("an unknown module is refused in words that say what to change", arguments: TestStores.engines)
    func unknownModule(engine: Engine) async throws {
        try await Self.withInstance(engine) { s, _, id in
            let error = try await #require(throws: ZohoError.self) { try await s.sidecar.zoho.client.crmFields(id, module: "Lead") }
            #expect(error.kind == .rejected(code: "INVALID_MODULE"))
            #expect(error.message.contains("no module with the API name Lead"), "\(error.message)")
            #expect(error.message.contains("such as Leads or Contacts"))
        }
    }

    @Test("a scope the instance was not authorized for is named, with what to do", arguments: TestStores.engines)
    func missingScope(engine: Engine) async throws {
        let scopes = "ZohoCRM.modules.ALL,ZohoCRM.org.READ,ZohoCRM.settings.modules.READ,ZohoBooks.contacts.ALL"
        try await Self.withInstance(engine, scopes: scopes) { s, _, id in
            let client = s.sidecar.zoho.client
            #expect(try await client.crmModules(id).contains { $0.apiName == "Leads" }, "the modules scope is there")
            let crm = try await #require(throws: ZohoError.self) { try await client.crmFields(id, module: "Leads") }
            #expect(crm.kind == .rejected(code: "OAUTH_SCOPE_MISMATCH"))
            #expect(
                crm.message
                    == "Zoho refused to show the fields of CRM module Leads (OAUTH_SCOPE_MISMATCH): instance \(id) was not authorized for "
                    + "ZohoCRM.settings.fields.READ; add it (or ZohoCRM.settings.ALL) to the instance's scopes and authorize again"
            )
            let books = try await #require(throws: ZohoError.self) { try await client.booksFields(id, entity: "contact") }
            #expect(books.message.contains("not authorized for ZohoBooks.settings.READ"), "\(books.message)")
        }
    }

    @Test("metadata is kept for the cache's TTL: a field added meanwhile shows up once it has passed", arguments: TestStores.engines)
    func cached(engine: Engine) async throws {
        try await Self.withInstance(engine) { s, zoho, id in
            let client = ZohoClient(keeper: s.sidecar.zoho.keeper, http: ZohoHTTP(), metadata: MetadataCache(ttlSeconds: 1))
            func calls() async throws -> Int {
                try await zoho.control("GET", "requests?path_prefix=/api/crm/v8/settings/fields").arrayValue?.count ?? -1
            }
            let first = try await client.crmFields(id, module: "Contacts")
            _ = try await zoho.control(
                "POST",
                "crm/eu/settings/fields?module=Contacts",
                ["fields": [["field_label": "Shoe Size", "data_type": "integer"]]]
            )
            let again = try await client.crmFields(id, module: "Contacts")
            #expect(again == first, "within the TTL the kept answer is used")
            #expect(try await calls() == 1)
            _ = try await client.crmFields(id, module: "Accounts")
            #expect(try await calls() == 2, "each module is kept apart")
            try await Task.sleep(for: .milliseconds(1200))
            let later = try await client.crmFields(id, module: "Contacts")
            #expect(later.contains { $0.apiName == "Shoe_Size" && $0.custom && $0.dataType == .integer })
            #expect(try await calls() == 3)
        }
    }

    @Test("booksFields answers the documented standard fields and the organization's custom ones", arguments: TestStores.engines)
    func books(engine: Engine) async throws {
        try await Self.withInstance(engine) { s, zoho, id in
            _ = try await zoho.control(
                "POST",
                "books/eu/\(BooksHarness.org)/fields",
                ["label": "Loyalty Tier", "data_type": "dropdown", "values": [["name": "Gold"], ["name": "Silver"]]]
            )
            let contact = try await s.sidecar.zoho.client.booksFields(id, entity: "contact")
            #expect(contact.first { $0.apiName == "contact_name" }?.mandatory == true)
            #expect(contact.first { $0.apiName == "customer_sub_type" }?.picklist.map(\.displayValue) == ["business", "individual"])
            let tier = try #require(contact.first { $0.apiName == "cf_loyalty_tier" })
            #expect(tier.custom)
            #expect(tier.dataType == .picklist)
            #expect(tier.picklist.map(\.displayValue) == ["Gold", "Silver"])
            let item = try await s.sidecar.zoho.client.booksFields(id, entity: "item")
            #expect(item.first { $0.apiName == "rate" }?.dataType == .currency)
            #expect(!item.contains { $0.custom })
            let error = try await #require(throws: ZohoError.self) { try await s.sidecar.zoho.client.booksFields(id, entity: "invoicez") }
            #expect(error.message.contains("use contact or item"), "\(error.message)")
        }
    }
}
