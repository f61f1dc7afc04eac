import Core
import Foundation
import Simulator
import Testing

@Suite("Simulator: CRM modules and fields metadata")
struct FieldMetadataTests {
    func fields(_ s: TestSim, _ at: String, _ module: String) async throws -> [String: JSONValue] {
        let reply = try await s.request("GET", "/us/api/crm/v8/settings/fields?module=\(module)", token: at)
        #expect(reply.status == 200, "\(reply.text)")
        let list = try #require(reply.json["fields"]?.arrayValue)
        return Dictionary(list.map { ($0["api_name"]!.stringValue!, $0) }) { first, _ in first }
    }

    @Test("the modules list names the API modules with their labels, as Zoho's Modules Metadata API does")
    func modules() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let reply = try await s.request("GET", "/us/api/crm/v8/settings/modules", token: at)
            #expect(reply.status == 200)
            let modules = try #require(reply.json["modules"]?.arrayValue)
            #expect(Set(modules.compactMap { $0["api_name"]?.stringValue }) == ["Leads", "Contacts", "Accounts", "Deals", "Products"])
            let products = try #require(modules.first { $0["api_name"] == "Products" })
            #expect(products["singular_label"] == "Product")
            #expect(products["plural_label"] == "Products")
            #expect(products["api_supported"] == true)
            #expect(products["generated_type"] == "default")
            #expect(products["id"]?.stringValue?.isEmpty == false)
            let one = try await s.request("GET", "/us/api/crm/v8/settings/modules/Deals", token: at)
            #expect(one.json["modules"]?[0]?["api_name"] == "Deals")
            let unknown = try await s.request("GET", "/us/api/crm/v8/settings/modules/Dealz", token: at)
            #expect(unknown.status == 400)
            #expect(unknown.json["code"] == "INVALID_MODULE")
        }
    }

    @Test(
        "every field carries api_name, field_label, data_type, json_type, custom_field, read_only, system_mandatory, length, pick_list_values, lookup"
    )
    func fieldShape() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            for module in ["Leads", "Contacts", "Accounts", "Deals", "Products"] {
                for (name, field) in try await fields(s, at, module) {
                    for key in ["field_label", "data_type", "json_type", "custom_field", "read_only", "system_mandatory", "length", "id"] {
                        #expect(field[key] != nil && field[key] != .null, "\(module).\(name) lacks \(key)")
                    }
                    #expect(field["pick_list_values"]?.arrayValue != nil, "\(module).\(name): pick_list_values is a list")
                    #expect(field["lookup"]?.objectValue != nil, "\(module).\(name): lookup is an object")
                    #expect(field["custom_field"] == false, "a fresh org has no custom fields")
                }
            }
        }
    }

    @Test("Products: Product_Name is mandatory, Unit_Price a currency, Qty_in_Stock a double, Product_Active a boolean")
    func products() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let f = try await fields(s, at, "Products")
            #expect(f["Product_Name"]?["system_mandatory"] == true)
            #expect(f["Product_Name"]?["data_type"] == "text")
            #expect(f["Product_Code"]?["data_type"] == "text")
            #expect(f["Unit_Price"]?["data_type"] == "currency")
            #expect(f["Unit_Price"]?["json_type"] == "double")
            #expect(f["Qty_in_Stock"]?["data_type"] == "double")
            #expect(f["Product_Active"]?["data_type"] == "boolean")
            #expect(f["Product_Active"]?["json_type"] == "boolean")
            #expect(f["Description"]?["data_type"] == "textarea")
            let created = try await s.request(
                "POST",
                "/us/api/crm/v8/Products",
                body: #"{"data":[{"Product_Name":"Widget","Unit_Price":9.5,"Qty_in_Stock":3,"Product_Active":true}]}"#,
                token: at
            )
            #expect(created.status == 201, "\(created.text)")
        }
    }

    @Test("Leads and Deals carry the picklists, amounts and dates a mapping needs, with Zoho's default values")
    func leadsAndDeals() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let leads = try await fields(s, at, "Leads")
            let status = leads["Lead_Status"]?["pick_list_values"]?.arrayValue ?? []
            #expect(status.contains { $0["display_value"] == "Contacted" && $0["actual_value"] == "Contacted" })
            #expect(leads["Lead_Source"]?["data_type"] == "picklist")
            #expect(leads["Industry"]?["data_type"] == "picklist")
            #expect(leads["Annual_Revenue"]?["data_type"] == "currency")
            #expect(leads["No_of_Employees"]?["data_type"] == "integer")
            #expect(leads["No_of_Employees"]?["json_type"] == "integer")
            #expect(leads["Description"]?["data_type"] == "textarea")
            #expect(leads["Last_Name"]?["system_mandatory"] == true)
            let deals = try await fields(s, at, "Deals")
            let stages = (deals["Stage"]?["pick_list_values"]?.arrayValue ?? []).compactMap { $0["display_value"]?.stringValue }
            #expect(stages.first == "Qualification")
            #expect(stages.contains("Closed Won") && stages.contains("Closed Lost"))
            #expect(deals["Stage"]?["system_mandatory"] == true)
            #expect(deals["Closing_Date"]?["data_type"] == "date")
            #expect(deals["Amount"]?["data_type"] == "currency")
            #expect(deals["Probability"]?["data_type"] == "integer")
            #expect(deals["Type"]?["data_type"] == "picklist")
            #expect(deals["Account_Name"]?["lookup"]?["module"]?["api_name"] == "Accounts")
            #expect(deals["Account_Name"]?["json_type"] == "jsonobject")
        }
    }

    @Test("system fields: Owner is an ownerlookup the API writes; creators and times are read-only")
    func systemFields() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let f = try await fields(s, at, "Contacts")
            #expect(f["Owner"]?["data_type"] == "ownerlookup")
            #expect(f["Owner"]?["read_only"] == false)
            #expect(f["Owner"]?["field_label"] == "Contact Owner")
            for name in ["Created_Time", "Modified_Time", "Created_By", "Modified_By", "Full_Name"] {
                #expect(f[name]?["read_only"] == true, "\(name)")
                #expect(f[name]?["operation_type"]?["api_update"] == false, "\(name)")
            }
            #expect(f["Created_Time"]?["data_type"] == "datetime")
        }
    }

    @Test("the fields list needs a known module, and each metadata API its own scope")
    func errorsAndScopes() async throws {
        try await TestSim.with { s in
            let (_, at, _) = try await s.connect()
            let missing = try await s.request("GET", "/us/api/crm/v8/settings/fields", token: at)
            #expect(missing.status == 400)
            #expect(missing.json["code"] == "REQUIRED_PARAM_MISSING")
            #expect(missing.json["details"]?["param"] == "module")
            let unknown = try await s.request("GET", "/us/api/crm/v8/settings/fields?module=Leadz", token: at)
            #expect(unknown.json["code"] == "INVALID_MODULE")

            let (_, modulesOnly, _) = try await s.connect(scope: "ZohoCRM.settings.modules.READ")
            #expect(try await s.request("GET", "/us/api/crm/v8/settings/modules", token: modulesOnly).status == 200)
            let refused = try await s.request("GET", "/us/api/crm/v8/settings/fields?module=Leads", token: modulesOnly)
            #expect(refused.status == 401)
            #expect(refused.json["code"] == "OAUTH_SCOPE_MISMATCH")
            let (_, fieldsOnly, _) = try await s.connect(scope: "ZohoCRM.settings.fields.READ")
            #expect(try await s.request("GET", "/us/api/crm/v8/settings/fields?module=Leads", token: fieldsOnly).status == 200)
            #expect(try await s.request("GET", "/us/api/crm/v8/settings/modules", token: fieldsOnly).status == 401)
        }
    }
}
