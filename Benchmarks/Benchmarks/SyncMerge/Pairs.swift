import Core
import Sync

/// A bound contact edited on both sides since the pair last agreed: Odoo changed
/// the phone and the city, Zoho the title and the mobile, and both the e-mail (Zoho later, so Zoho's wins).
struct Pair {
    let odoo: JSONValue
    let zoho: JSONValue
    let binding: Binding

    static let accountZohoID = "5725767000000100007"

    /// Countries and the account binding that the lookup and country pairs resolve through.
    static let lookups = Lookups(
        countryName: [21: "Belgium", 75: "France"],
        countryID: ["belgium": 21, "france": 75],
        zohoIDs: ["crm_accounts": [7: accountZohoID]],
        odooIDs: ["crm_accounts": [accountZohoID: 7]]
    )

    /// Pairs that differ in ids and names, as in a sync batch.
    static func batch(_ count: Int) -> [Pair] {
        (1...count).map(Pair.init(n:))
    }

    init(n: Int) {
        let odooID = Int64(2000 + n)
        let zohoID = "57257670000004\(10_000 + n)"
        let agreed: [String: JSONValue] = [
            "name": .string("Anna Peeters \(n)"), "email": .string("anna\(n)@example.com"), "phone": "+32 4 100 00 00",
            "mobile": "+32 470 00 00 00", "function": "Buyer", "parent_id": 7, "street": .string("Rue Haute \(n)"),
            "city": "Gent", "zip": "9000", "country_id": 21,
        ]
        odoo = [
            "id": .int(odooID), "name": .string("Anna Peeters \(n)"), "email": .string("a.peeters\(n)@example.com"),
            "phone": "+32 4 222 22 22", "mobile": "+32 470 00 00 00", "function": "Buyer", "parent_id": [7, "Acme"],
            "street": .string("Rue Haute \(n)"), "city": "Li\u{e8}ge", "zip": "9000", "country_id": [21, "Belgium"],
            "write_date": "2026-12-06 10:15:00", "active": true,
        ]
        zoho = [
            "id": .string(zohoID), "First_Name": "Anna", "Last_Name": .string("Peeters \(n)"),
            "Email": .string("anna.peeters\(n)@example.com"), "Phone": "+32 4 100 00 00", "Mobile": "+32 470 99 99 99",
            "Title": "Head of Purchasing", "Account_Name": ["id": .string(Self.accountZohoID), "name": "Acme"],
            "Mailing_Street": .string("Rue Haute \(n)"), "Mailing_City": "Gent", "Mailing_Zip": "9000",
            "Mailing_Country": "Belgium", "Modified_Time": "2026-12-06T10:20:00+00:00",
        ]
        binding = Binding(
            id: Int64(n),
            instanceID: 1,
            odooModel: "res.partner",
            odooID: odooID,
            app: "crm",
            object: "Contacts",
            zohoID: zohoID,
            syncHash: nil,
            syncValues: agreed,
            zohoModifiedTime: "2026-12-06T09:00:00+00:00",
            odooWriteDate: "2026-12-06 09:00:00"
        )
    }
}
