/// Bodies as they arrive, built once per run.
enum Fixtures {
    /// Odoo's JSON-RPC answer to `search_read` of 80 res.partner records with the fields the sync reads.
    /// Odoo's `json.dumps` escapes every non-ASCII character (`\u00e9`), so names take the reader's slow path.
    static func searchReadAnswer(records: Int = 80) -> [UInt8] {
        let people = ["Ren\\u00e9e Dubois", "Zo\\u00eb M\\u00fcller", "Anna Peeters", "Jo\\u00e3o Silva", "Kenji Sato"]
        let cities = ["Li\\u00e8ge", "Gent", "M\\u00fcnchen", "Lyon", "Porto"]
        let rows = (1...records).map { n in
            let person = people[n % people.count]
            let company = n % 3 == 0 ? "false" : "[\(n % 7 + 1), \"Acme \\u2013 Branch \(n % 7 + 1)\"]"
            return """
                {"id": \(1000 + n), "name": "\(person) \(n)", "email": "contact\(n)@example.com", \
                "phone": "+32 4 \(100 + n) 55 \(10 + n % 90)", "mobile": \(n % 4 == 0 ? "false" : "\"+32 470 \(n) \(n)\""), \
                "function": "Purchasing \\"lead\\"", "parent_id": \(company), "street": "Rue de l'\\u00c9glise \(n)", \
                "city": "\(cities[n % cities.count])", "zip": "\(4000 + n)", "country_id": [21, "Belgium"], \
                "comment": "Met at the fair.\\nPrefers e-mail.", "active": true, "is_company": false, \
                "credit_limit": \(Double(n) * 125.5), "write_date": "2026-12-06 10:\(10 + n % 50):00"}
                """
        }
        return Array(#"{"jsonrpc": "2.0", "id": 42, "result": [\#(rows.joined(separator: ", "))]}"#.utf8)
    }

    /// A Zoho CRM notification callback with the changed values, as the sidecar's channels ask for them
    /// (`return_affected_field_values`).
    static let crmNotification = Array(
        """
        {"server_time":1765016400000,"query_params":{},"module":"Contacts",\
        "resource_uri":"https://www.zohoapis.eu/crm/v8/Contacts",\
        "ids":["5725767000000431001","5725767000000431002","5725767000000431003"],\
        "affected_fields":[{"5725767000000431001":["Phone","Mailing_City"]},{"5725767000000431002":["Title"]},\
        {"5725767000000431003":["Email"]}],\
        "affected_values":[{"record_id":"5725767000000431001","values":{"Phone":"+32 4 123 45 67","Mailing_City":"Li\\u00e8ge"}},\
        {"record_id":"5725767000000431002","values":{"Title":"Head of Purchasing"}},\
        {"record_id":"5725767000000431003","values":{"Email":"anna.peeters@example.com"}}],\
        "operation":"update","channel_id":"1000000068001","token":"a8f3e2c1d4b5a6978877665544332211"}
        """.utf8
    )
}
