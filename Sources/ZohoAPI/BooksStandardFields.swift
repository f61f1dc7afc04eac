/// The standard fields of Books contacts and items, as the Books API v3 documents their attributes
/// (zoho.com/books/api/v3/contacts, zoho.com/books/api/v3/items). Books' field settings API is
/// documented for custom fields; whether it lists these too is not [?], so validation takes them
/// from here and the custom ones from Books.
public enum BooksStandardFields {
    public static func fields(_ entity: String) -> [ZohoField] {
        switch entity {
        case "contact": contact
        case "item": item
        default: []
        }
    }

    public static let contact: [ZohoField] = [
        ZohoField(apiName: "contact_id", label: "Contact ID", dataType: .text, readOnly: true),
        ZohoField(apiName: "contact_name", label: "Display Name", dataType: .text, mandatory: true, length: 200),
        ZohoField(apiName: "company_name", label: "Company Name", dataType: .text, length: 200),
        ZohoField(apiName: "contact_type", label: "Contact Type", dataType: .picklist, picklist: options("customer", "vendor")),
        ZohoField(apiName: "customer_sub_type", label: "Customer Type", dataType: .picklist, picklist: options("business", "individual")),
        ZohoField(apiName: "first_name", label: "First Name", dataType: .text),
        ZohoField(apiName: "last_name", label: "Last Name", dataType: .text),
        ZohoField(apiName: "email", label: "Email", dataType: .email),
        ZohoField(apiName: "phone", label: "Phone", dataType: .phone),
        ZohoField(apiName: "mobile", label: "Mobile", dataType: .phone),
        ZohoField(apiName: "website", label: "Website", dataType: .website),
        ZohoField(apiName: "notes", label: "Notes", dataType: .textarea),
        ZohoField(apiName: "credit_limit", label: "Credit Limit", dataType: .currency),
        ZohoField(apiName: "payment_terms", label: "Payment Terms", dataType: .integer),
        ZohoField(apiName: "currency_id", label: "Currency", dataType: .text),
        ZohoField(
            apiName: "language_code",
            label: "Portal Language",
            dataType: .picklist,
            picklist: options("de", "en", "es", "fr", "it", "ja", "nl", "pt", "pt_br", "sv", "zh", "en_gb")
        ),
        ZohoField(apiName: "is_portal_enabled", label: "Portal Enabled", dataType: .boolean),
        ZohoField(apiName: "billing_address", label: "Billing Address", dataType: .other("address")),
        ZohoField(apiName: "shipping_address", label: "Shipping Address", dataType: .other("address")),
        ZohoField(apiName: "status", label: "Status", dataType: .picklist, readOnly: true, picklist: options("active", "inactive")),
        ZohoField(apiName: "created_time", label: "Created Time", dataType: .datetime, readOnly: true),
        ZohoField(apiName: "last_modified_time", label: "Last Modified Time", dataType: .datetime, readOnly: true),
    ]

    public static let item: [ZohoField] = [
        ZohoField(apiName: "item_id", label: "Item ID", dataType: .text, readOnly: true),
        ZohoField(apiName: "name", label: "Name", dataType: .text, mandatory: true, length: 100),
        ZohoField(apiName: "rate", label: "Rate", dataType: .currency, mandatory: true),
        ZohoField(apiName: "description", label: "Description", dataType: .textarea, length: 2000),
        ZohoField(apiName: "sku", label: "SKU", dataType: .text),
        ZohoField(apiName: "unit", label: "Unit", dataType: .text),
        ZohoField(apiName: "product_type", label: "Product Type", dataType: .picklist, picklist: options("goods", "service", "digital_service")),
        ZohoField(
            apiName: "item_type",
            label: "Item Type",
            dataType: .picklist,
            picklist: options("sales", "purchases", "sales_and_purchases", "inventory")
        ),
        ZohoField(apiName: "is_taxable", label: "Taxable", dataType: .boolean),
        ZohoField(apiName: "tax_id", label: "Tax", dataType: .text),
        ZohoField(apiName: "account_id", label: "Sales Account", dataType: .text),
        ZohoField(apiName: "purchase_rate", label: "Purchase Rate", dataType: .currency),
        ZohoField(apiName: "purchase_description", label: "Purchase Description", dataType: .textarea),
        ZohoField(apiName: "status", label: "Status", dataType: .picklist, readOnly: true, picklist: options("active", "inactive")),
        ZohoField(apiName: "created_time", label: "Created Time", dataType: .datetime, readOnly: true),
        ZohoField(apiName: "last_modified_time", label: "Last Modified Time", dataType: .datetime, readOnly: true),
    ]

    static func options(_ values: String...) -> [ZohoField.Option] {
        values.map { ZohoField.Option(displayValue: $0, actualValue: $0) }
    }
}
