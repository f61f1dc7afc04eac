import Core
import Foundation

/// The CRM modules a fresh simulated org has, with the standard fields of each (labels, types and
/// lengths from Zoho's "Standard Fields" help pages and the Fields Metadata API; picklist values as a
/// new Zoho CRM org ships them). Custom fields live in each org (`CRMOrg.customFields`).
enum CRMCatalogue {
    struct Module: Sendable {
        let apiName: String
        let singular: String
        let plural: String
        let id: String
        /// The field a lookup shows as the record's name.
        let nameField: String
        /// The system duplicate check on insert.
        let duplicateCheck: [String]
        let fields: [CRMField]
    }

    static let modules: [Module] = [
        module("Leads", "Lead", name: "Last_Name", duplicates: ["Email"], leads),
        module("Contacts", "Contact", name: "Last_Name", duplicates: ["Email"], contacts),
        module("Accounts", "Account", name: "Account_Name", duplicates: ["Account_Name"], accounts),
        module("Deals", "Deal", name: "Deal_Name", duplicates: [], deals),
        module("Products", "Product", name: "Product_Name", duplicates: [], products),
    ]

    static let names: Set<String> = Set(modules.map(\.apiName))

    static func module(_ apiName: String) -> Module? { modules.first { $0.apiName == apiName } }

    /// Fields Zoho answers for every record and sets itself.
    static let systemFields: Set<String> = ["id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner"]

    /// The id of the simulator's only user, the owner of every record.
    static let userID = "5725767000000100001"

    /// The organisation's users: who records can be owned by. The first is the one the API is used as.
    static let users: [JSONValue] = [
        [
            "id": .string(userID), "full_name": "Sim Admin", "email": "admin@sim.zoho.local",
            "role": ["name": "CEO", "id": "5725767000000100002"], "status": "active",
        ],
        [
            "id": "5725767000000100003", "full_name": "Sim Sales", "email": "sales@sim.zoho.local",
            "role": ["name": "Sales", "id": "5725767000000100004"], "status": "active",
        ],
    ]

    /// The user a write names as owner, by id (`{"id": …}` or the id alone).
    static func user(_ value: JSONValue) -> JSONValue? {
        let id = value["id"]?.stringValue ?? value.stringValue
        return users.first { $0["id"]?.stringValue == id }
    }

    // MARK: the standard fields

    static let leads: [CRMField] = [
        field("First_Name", "First Name", .text, 40),
        field("Last_Name", "Last Name", .text, 80, mandatory: true),
        field("Full_Name", "Lead Name", .text, 120, readOnly: true),
        field("Company", "Company", .text, 200),
        field("Designation", "Title", .text, 100),
        field("Email", "Email", .email),
        field("Phone", "Phone", .phone),
        field("Mobile", "Mobile", .phone),
        field("Website", "Website", .website),
        field("Lead_Source", "Lead Source", .picklist, picklist: leadSources),
        field("Lead_Status", "Lead Status", .picklist, picklist: leadStatuses),
        field("Industry", "Industry", .picklist, picklist: industries),
        field("Annual_Revenue", "Annual Revenue", .currency),
        field("No_of_Employees", "No. of Employees", .integer),
        field("Email_Opt_Out", "Email Opt Out", .boolean),
        field("Street", "Street", .text, 250),
        field("City", "City", .text, 100),
        field("State", "State", .text, 100),
        field("Zip_Code", "Zip Code", .text, 30),
        field("Country", "Country", .text, 100),
        field("Description", "Description", .textarea),
    ]

    static let contacts: [CRMField] = [
        field("First_Name", "First Name", .text, 40),
        field("Last_Name", "Last Name", .text, 80, mandatory: true),
        field("Full_Name", "Contact Name", .text, 120, readOnly: true),
        field("Email", "Email", .email),
        field("Phone", "Phone", .phone),
        field("Mobile", "Mobile", .phone),
        field("Title", "Title", .text, 100),
        field("Account_Name", "Account Name", .lookup, lookup: "Accounts"),
        field("Lead_Source", "Lead Source", .picklist, picklist: leadSources),
        field("Date_of_Birth", "Date of Birth", .date),
        field("Email_Opt_Out", "Email Opt Out", .boolean),
        field("Mailing_Street", "Mailing Street", .text, 250),
        field("Mailing_City", "Mailing City", .text, 100),
        field("Mailing_State", "Mailing State", .text, 100),
        field("Mailing_Zip", "Mailing Zip", .text, 30),
        field("Mailing_Country", "Mailing Country", .text, 100),
        field("Description", "Description", .textarea),
    ]

    static let accounts: [CRMField] = [
        field("Account_Name", "Account Name", .text, 200, mandatory: true),
        field("Phone", "Phone", .phone),
        field("Website", "Website", .website),
        field("Account_Type", "Account Type", .picklist, picklist: accountTypes),
        field("Industry", "Industry", .picklist, picklist: industries),
        field("Annual_Revenue", "Annual Revenue", .currency),
        field("Employees", "Employees", .integer),
        field("Billing_Street", "Billing Street", .text, 250),
        field("Billing_City", "Billing City", .text, 100),
        field("Billing_State", "Billing State", .text, 100),
        field("Billing_Code", "Billing Code", .text, 30),
        field("Billing_Country", "Billing Country", .text, 100),
        field("Description", "Description", .textarea),
    ]

    static let deals: [CRMField] = [
        field("Deal_Name", "Deal Name", .text, 120, mandatory: true),
        field("Stage", "Stage", .picklist, mandatory: true, picklist: dealStages),
        field("Amount", "Amount", .currency),
        field("Closing_Date", "Closing Date", .date),
        field("Probability", "Probability (%)", .integer, 3),
        field("Expected_Revenue", "Expected Revenue", .currency, readOnly: true),
        field("Type", "Type", .picklist, picklist: dealTypes),
        field("Lead_Source", "Lead Source", .picklist, picklist: leadSources),
        field("Account_Name", "Account Name", .lookup, lookup: "Accounts"),
        field("Contact_Name", "Contact Name", .lookup, lookup: "Contacts"),
        field("Description", "Description", .textarea),
    ]

    static let products: [CRMField] = [
        field("Product_Name", "Product Name", .text, 200, mandatory: true),
        field("Product_Code", "Product Code", .text, 40),
        field("Unit_Price", "Unit Price", .currency),
        field("Qty_in_Stock", "Qty in Stock", .double),
        field("Product_Active", "Product Active", .boolean),
        field("Description", "Description", .textarea),
    ]

    // MARK: picklist values of a new org

    static let leadSources = [
        "-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store", "Partner", "Public Relations",
        "Sales Email Alias", "Seminar Partner", "Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat",
    ]
    static let leadStatuses = [
        "-None-", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead", "Not Contacted", "Pre-Qualified",
        "Not Qualified",
    ]
    static let industries = [
        "-None-", "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)", "Government/Military",
        "Large Enterprise", "ManagementISV", "MSP (Management Service Provider)", "Network Equipment Enterprise", "Non-management ISV",
        "Optical Networking", "Service Provider", "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider",
        "Systems Integrator", "Wireless Industry",
    ]
    static let accountTypes = [
        "-None-", "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other", "Partner", "Press", "Prospect",
        "Reseller", "Supplier", "Vendor",
    ]
    static let dealStages = [
        "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
        "Negotiation/Review", "Closed Won", "Closed Lost", "Closed-Lost to Competition",
    ]
    static let dealTypes = ["-None-", "Existing Business", "New Business"]

    // MARK: building

    /// A standard field; its id is given when its module is built. Types without a length of their
    /// own take what the Fields Metadata API shows for them.
    static func field(
        _ apiName: String,
        _ label: String,
        _ type: CRMField.DataType,
        _ length: Int? = nil,
        mandatory: Bool = false,
        readOnly: Bool = false,
        picklist: [String] = [],
        lookup: String? = nil
    ) -> CRMField {
        CRMField(
            id: "",
            apiName: apiName,
            label: label,
            dataType: type,
            length: length ?? defaultLength(type),
            mandatory: mandatory,
            readOnly: readOnly,
            picklist: picklist.map { CRMField.PicklistValue(display: $0, actual: $0) },
            lookupModule: lookup
        )
    }

    static func defaultLength(_ type: CRMField.DataType) -> Int {
        if let lengths = type.lengths { return lengths.standard }
        switch type {
        case .multiselectpicklist: return 2000
        case .date: return 20
        case .boolean: return 5
        default: return 120
        }
    }

    /// Owner, creator and times come first in every module, as Zoho lists them.
    static func system(_ singular: String) -> [CRMField] {
        [
            field("Owner", "\(singular) Owner", .ownerlookup),
            field("Created_By", "Created By", .ownerlookup, readOnly: true),
            field("Modified_By", "Modified By", .ownerlookup, readOnly: true),
            field("Created_Time", "Created Time", .datetime, readOnly: true),
            field("Modified_Time", "Modified Time", .datetime, readOnly: true),
        ]
    }

    static func module(_ plural: String, _ singular: String, name: String, duplicates: [String], _ fields: [CRMField]) -> Module {
        let index = ["Leads", "Contacts", "Accounts", "Deals", "Products"].firstIndex(of: plural) ?? 9
        var numbered: [CRMField] = []
        for (i, f) in (system(singular) + fields).enumerated() {
            var f = f
            f.id = "5725767000001" + String(format: "%02ld%04ld", index, i)
            numbered.append(f)
        }
        return Module(
            apiName: plural,
            singular: singular,
            plural: plural,
            id: "572576700000000" + String(2175 + index * 2),
            nameField: name,
            duplicateCheck: duplicates,
            fields: numbered
        )
    }
}
