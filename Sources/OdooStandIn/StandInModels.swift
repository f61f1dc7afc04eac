import Core

extension OdooStandIn {
    /// The models of Odoo 17 the stand-in keeps, field name → type (`many2one:<comodel>`,
    /// `many2many:<comodel>`): partners and countries, what a mapping of CRM leads names (stages,
    /// tags, salespeople, and the xml ids of records), and products.
    static let fields17: [String: [String: String]] = [
        "res.partner": [
            "name": "char", "email": "char", "phone": "char", "mobile": "char", "function": "char", "website": "char",
            "street": "char", "city": "char", "zip": "char", "country_id": "many2one:res.country", "parent_id": "many2one:res.partner",
            "is_company": "boolean", "active": "boolean", "type": "selection", "company_id": "many2one:res.company", "comment": "text",
            "write_date": "datetime", "create_date": "datetime", "display_name": "char", "id": "integer",
        ],
        "res.country": ["name": "char", "code": "char", "id": "integer", "display_name": "char", "write_date": "datetime"],
        "crm.lead": [
            "name": "char", "type": "selection", "stage_id": "many2one:crm.stage", "tag_ids": "many2many:crm.tag",
            "date_deadline": "date", "date_closed": "datetime", "expected_revenue": "monetary", "priority": "selection",
            "user_id": "many2one:res.users", "active": "boolean", "company_id": "many2one:res.company",
            "email_from": "char", "phone": "char", "partner_name": "char", "contact_name": "char", "description": "html",
            "probability": "float", "write_date": "datetime", "create_date": "datetime", "display_name": "char", "id": "integer",
        ],
        "product.template": [
            "name": "char", "default_code": "char", "list_price": "float", "description_sale": "text", "sale_ok": "boolean",
            "active": "boolean", "company_id": "many2one:res.company", "write_date": "datetime", "create_date": "datetime",
            "display_name": "char", "id": "integer",
        ],
        "crm.stage": ["name": "char", "sequence": "integer", "id": "integer", "display_name": "char", "write_date": "datetime"],
        "crm.tag": ["name": "char", "id": "integer", "display_name": "char", "write_date": "datetime"],
        "res.users": [
            "name": "char", "login": "char", "email": "char", "active": "boolean", "id": "integer", "display_name": "char",
            "write_date": "datetime",
        ],
        "ir.model.data": ["module": "char", "name": "char", "model": "char", "res_id": "integer", "id": "integer", "write_date": "datetime"],
    ]

    /// What a new Odoo 17 database with CRM has: some countries, the administrator (uid 2), and CRM's
    /// four stages with their xml ids (`crm.stage_lead1` … `crm.stage_lead4`).
    static var seed: [String: [Int64: [String: JSONValue]]] {
        var tables = fields17.mapValues { _ in [Int64: [String: JSONValue]]() }
        let created: JSONValue = "2024-01-01 00:00:00"
        let countries = [("BE", "Belgium"), ("DE", "Germany"), ("FR", "France"), ("GB", "United Kingdom"), ("IN", "India"), ("US", "United States")]
        for (i, (code, name)) in countries.enumerated() {
            let id = Int64(i + 1)
            tables["res.country"]![id] = ["id": .int(id), "name": .string(name), "code": .string(code), "write_date": created]
        }
        tables["res.users"]![uid] = ["id": .int(uid), "name": "Administrator", "login": .string(login), "active": true, "write_date": created]
        for (i, name) in ["New", "Qualified", "Proposition", "Won"].enumerated() {
            let id = Int64(i + 1)
            tables["crm.stage"]![id] = ["id": .int(id), "name": .string(name), "sequence": .int(id), "write_date": created]
            tables["ir.model.data"]![id] = [
                "id": .int(id), "module": "crm", "name": .string("stage_lead\(id)"), "model": "crm.stage", "res_id": .int(id), "write_date": created,
            ]
        }
        return tables
    }
}
