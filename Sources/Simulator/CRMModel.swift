import Core
import Foundation

/// One CRM field's metadata, as `/settings/fields` reports it and as writes are validated against.
struct CRMField: Sendable {
    enum Kind: String, Sendable {
        case text, textarea, email, phone, website, lookup, picklist, multiselectpicklist, date, datetime, currency, integer, ownerlookup
    }
    let apiName: String
    let kind: Kind
    let mandatory: Bool
    var lookupModule: String? = nil
    var maxLength = 255
}

enum CRMModules {
    static let fields: [String: [CRMField]] = [
        "Contacts": [
            CRMField(apiName: "Last_Name", kind: .text, mandatory: true, maxLength: 80),
            CRMField(apiName: "First_Name", kind: .text, mandatory: false, maxLength: 40),
            CRMField(apiName: "Email", kind: .email, mandatory: false, maxLength: 100),
            CRMField(apiName: "Phone", kind: .phone, mandatory: false, maxLength: 30),
            CRMField(apiName: "Mobile", kind: .phone, mandatory: false, maxLength: 30),
            CRMField(apiName: "Title", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Account_Name", kind: .lookup, mandatory: false, lookupModule: "Accounts"),
            CRMField(apiName: "Mailing_Street", kind: .text, mandatory: false, maxLength: 250),
            CRMField(apiName: "Mailing_City", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Mailing_State", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Mailing_Zip", kind: .text, mandatory: false, maxLength: 30),
            CRMField(apiName: "Mailing_Country", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Description", kind: .textarea, mandatory: false, maxLength: 32000),
        ],
        "Accounts": [
            CRMField(apiName: "Account_Name", kind: .text, mandatory: true, maxLength: 200),
            CRMField(apiName: "Phone", kind: .phone, mandatory: false, maxLength: 30),
            CRMField(apiName: "Website", kind: .website, mandatory: false, maxLength: 255),
            CRMField(apiName: "Billing_Street", kind: .text, mandatory: false, maxLength: 250),
            CRMField(apiName: "Billing_City", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Billing_State", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Billing_Code", kind: .text, mandatory: false, maxLength: 30),
            CRMField(apiName: "Billing_Country", kind: .text, mandatory: false, maxLength: 100),
            CRMField(apiName: "Description", kind: .textarea, mandatory: false, maxLength: 32000),
        ],
        "Leads": [
            CRMField(apiName: "Last_Name", kind: .text, mandatory: true, maxLength: 80),
            CRMField(apiName: "First_Name", kind: .text, mandatory: false, maxLength: 40),
            CRMField(apiName: "Company", kind: .text, mandatory: false, maxLength: 200),
            CRMField(apiName: "Email", kind: .email, mandatory: false, maxLength: 100),
            CRMField(apiName: "Phone", kind: .phone, mandatory: false, maxLength: 30),
            CRMField(apiName: "Lead_Status", kind: .picklist, mandatory: false),
        ],
        "Deals": [
            CRMField(apiName: "Deal_Name", kind: .text, mandatory: true, maxLength: 120),
            CRMField(apiName: "Stage", kind: .picklist, mandatory: true),
            CRMField(apiName: "Amount", kind: .currency, mandatory: false),
            CRMField(apiName: "Closing_Date", kind: .date, mandatory: false),
            CRMField(apiName: "Account_Name", kind: .lookup, mandatory: false, lookupModule: "Accounts"),
            CRMField(apiName: "Contact_Name", kind: .lookup, mandatory: false, lookupModule: "Contacts"),
            CRMField(apiName: "Owner", kind: .ownerlookup, mandatory: false),
            // Custom fields, as an organisation adds them: a date and time, and a multi-select picklist.
            CRMField(apiName: "Closed_Time", kind: .datetime, mandatory: false),
            CRMField(apiName: "Segments", kind: .multiselectpicklist, mandatory: false),
        ],
    ]

    /// The organisation's users: who records can be owned by. The first is the one the API is used as.
    static let users: [JSONValue] = [
        [
            "id": "5725767000000100001", "full_name": "Sim Admin", "email": "admin@sim.zoho.local",
            "role": ["name": "CEO", "id": "5725767000000100002"], "status": "active",
        ],
        [
            "id": "5725767000000100003", "full_name": "Sim Sales", "email": "sales@sim.zoho.local",
            "role": ["name": "Sales", "id": "5725767000000100004"], "status": "active",
        ],
    ]

    /// The field a lookup shows as the record's name, and the system duplicate check per module.
    static let nameField = ["Contacts": "Last_Name", "Accounts": "Account_Name", "Leads": "Last_Name", "Deals": "Deal_Name"]
    static let duplicateCheck = ["Contacts": ["Email"], "Leads": ["Email"], "Accounts": ["Account_Name"], "Deals": []]
    static let systemFields: Set<String> = ["id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner"]
}

struct CRMRecord: Codable, Sendable {
    var id: String
    var fields: [String: JSONValue]
    var created: Micros
    var modified: Micros
}

struct DeletedRecord: Codable, Sendable {
    var id: String
    var displayName: String
    var deleted: Micros
}

struct WatchChannel: Codable, Sendable {
    var channelID: String
    var events: [String]
    var notifyURL: String
    var token: String?
    var expiry: Micros
    var returnAffectedFieldValues: Bool
    var resourceIDs: [String: String]
}

/// One CRM organisation per data centre.
struct CRMOrg: Codable, Sendable {
    var dc: String
    var orgID: String
    var edition = Edition.enterprise
    var users = 10
    var records: [String: [String: CRMRecord]] = [:]
    var deleted: [String: [DeletedRecord]] = [:]
    var channels: [String: WatchChannel] = [:]
    var workflowWebhooks: [WorkflowWebhook] = []
    var nextID: Int64 = 1
    /// API credits spent per minute (epoch minute → count), summed over a rolling 24 h.
    var credits: [Int64: Int] = [:]
    var inFlight = 0
    var inFlightHeavy = 0

    init(dc: String) {
        self.dc = dc
        self.orgID = String(60_000_001 + (SimDataCenter.all.firstIndex(of: dc) ?? 0) * 1000)
        for m in CRMModules.fields.keys {
            records[m] = [:]
            deleted[m] = []
        }
    }

    mutating func newID() -> String {
        defer { nextID += 1 }
        return "5725767" + String(format: "%012lld", 411_000 + nextID)
    }

    func creditsUsed(now: Micros) -> Int {
        let minute = now / 60_000_000
        return credits.filter { minute - $0.key < 1440 }.values.reduce(0, +)
    }

    mutating func spend(now: Micros) {
        let minute = now / 60_000_000
        credits[minute, default: 0] += 1
        if credits.count > 1500 { credits = credits.filter { minute - $0.key < 1440 } }
    }
}

struct WorkflowWebhook: Codable, Sendable {
    var module: String
    var url: String
    var events: [String]
    var headers: [String: String]
    var form: Bool
}
