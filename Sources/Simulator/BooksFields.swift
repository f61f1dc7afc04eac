import Core
import Foundation

/// A Books custom field. Books names them `cf_<label>` (observed in clients of the API, e.g.
/// cf_shopify_variant_id [O]) and records carry their values in `custom_fields`.
struct BooksCustomField: Codable, Sendable {
    var fieldID: String
    var apiName: String
    var label: String
    /// One of Books' data types (Custom Fields API: string, number, decimal, amount, date, dropdown,
    /// check_box, multiline, email, url, phone, percent, …).
    var dataType: String
    var entity: String
    var mandatory: Bool
    var values: [String]
}

/// Books' field settings: `GET /books/v3/settings/fields?entity=` (the Custom Fields API of
/// zoho.com/books/api/v3/custom-fields; the list's shape as clients of it read it [O]), custom fields
/// added through the control API, and their values on contacts and items.
extension SimState {
    /// The types a simulated custom field may have; lookups, formulas, files and auto-numbers are not simulated.
    static let booksFieldTypes = [
        "string", "number", "decimal", "amount", "date", "dropdown", "check_box", "multiline", "email", "url", "phone", "percent",
    ]
    static let booksEntities = BooksEntity.allCases.map(\.rawValue)

    /// The documented columns of each entity, as the settings list shows them when not filtered to
    /// custom fields [?]: name, type, mandatory, options.
    static let booksStandardFields: [String: [(String, String, Bool, [String])]] = [
        "contact": [
            ("contact_name", "string", true, []), ("company_name", "string", false, []),
            ("contact_type", "dropdown", false, ["customer", "vendor"]), ("customer_sub_type", "dropdown", false, ["business", "individual"]),
            ("email", "email", false, []), ("phone", "phone", false, []), ("mobile", "phone", false, []), ("website", "url", false, []),
            ("first_name", "string", false, []), ("last_name", "string", false, []), ("notes", "multiline", false, []),
        ],
        "item": [
            ("name", "string", true, []), ("rate", "amount", true, []), ("description", "multiline", false, []), ("sku", "string", false, []),
            ("product_type", "dropdown", false, ["goods", "service", "digital_service"]), ("unit", "string", false, []),
        ],
    ]

    func booksSettingsFields(_ r: SimRequest, _ orgID: String) -> SimResponse {
        guard let entity = r.query["entity"], Self.booksEntities.contains(entity) else {
            return BooksError.response(400, 4, "Invalid value passed for entity")
        }
        let custom = (books[booksKey(r.dc, orgID)]!.customFields ?? []).filter { $0.entity == entity }.map(booksFieldMetadata)
        var fields = custom
        if r.query["filter_custom_fields"] != "true" {
            let standard = (Self.booksStandardFields[entity] ?? []).enumerated().map { index, f in
                Self.booksStandardFieldMetadata(f, entity: entity, index: index)
            }
            fields = standard + custom
        }
        return .json(200, ["code": 0, "message": "success", "fields": .array(fields)])
    }

    func booksFieldMetadata(_ f: BooksCustomField) -> JSONValue {
        [
            "field_id": .string(f.fieldID), "customfield_id": .string(f.fieldID), "api_name": .string(f.apiName), "label": .string(f.label),
            "placeholder": .string(f.apiName), "data_type": .string(f.dataType), "entity": .string(f.entity), "is_custom_field": true,
            "is_mandatory": .bool(f.mandatory), "is_active": true, "values": Self.booksOptions(f.values),
        ]
    }

    static func booksStandardFieldMetadata(_ f: (String, String, Bool, [String]), entity: String, index: Int) -> JSONValue {
        [
            "field_id": .string("46000000000\(1000 + index)"), "api_name": .string(f.0), "field_name": .string(f.0),
            "label": .string(f.0.split(separator: "_").map(\.capitalized).joined(separator: " ")), "data_type": .string(f.1),
            "entity": .string(entity), "is_custom_field": false, "is_mandatory": .bool(f.2), "is_active": true, "values": booksOptions(f.3),
        ]
    }

    static func booksOptions(_ values: [String]) -> JSONValue {
        .array(values.enumerated().map { ["name": .string($0.element), "order": .int(Int64($0.offset + 1)), "is_active": true] })
    }

    /// `POST /_sim/books/<dc>/<org>/fields`: `{label, data_type, entity, is_mandatory, values: [{name}]}`,
    /// the Create a custom field arguments.
    func addBooksCustomField(dc: String, org orgID: String, body: JSONValue) -> SimResponse {
        let key = booksKey(dc, orgID)
        let bad = { (message: String) in SimResponse.json(400, ["error": .string(message)]) }
        guard let label = body["label"]?.stringValue?.trimmingCharacters(in: .whitespaces), !label.isEmpty else { return bad("label is required") }
        guard let type = body["data_type"]?.stringValue, Self.booksFieldTypes.contains(type) else {
            return bad("data_type is one of \(Self.booksFieldTypes.joined(separator: ", "))")
        }
        let entity = body["entity"]?.stringValue ?? "contact"
        guard Self.booksEntities.contains(entity) else { return bad("entity is one of \(Self.booksEntities.joined(separator: ", "))") }
        let values = body["values"]?.arrayValue?.compactMap { $0["name"]?.stringValue ?? $0.stringValue } ?? []
        guard type != "dropdown" || !values.isEmpty else { return bad("a dropdown needs values: [{\"name\": …}]") }
        var org = books[key]!
        let existing = (org.customFields ?? []).filter { $0.entity == entity }
        let apiName = "cf_" + label.lowercased().split { !($0.isLetter || $0.isNumber) }.joined(separator: "_")
        guard !existing.contains(where: { $0.label.lowercased() == label.lowercased() || $0.apiName == apiName }) else {
            return bad("the \(entity) entity already has a custom field labelled \(label)")
        }
        let field = BooksCustomField(
            fieldID: "4600000" + String(format: "%08lld", 90_000 + org.nextID),
            apiName: apiName,
            label: label,
            dataType: type,
            entity: entity,
            mandatory: body["is_mandatory"]?.boolValue ?? false,
            values: values
        )
        org.nextID += 1
        org.customFields = (org.customFields ?? []) + [field]
        books[key] = org
        return .json(201, ["field_id": .string(field.fieldID), "api_name": .string(field.apiName)])
    }

    /// A record's `custom_fields` after a write: entries name their field (of the record's entity) by
    /// `customfield_id`, `api_name` or `label`; each value is checked against the field's type. Books'
    /// answer to a bad entry is not documented [?]: code 4, as for its other invalid values.
    func booksCustomValues(
        _ input: JSONValue?,
        current: JSONValue?,
        org: BooksOrg,
        entity: BooksEntity,
        creating: Bool
    ) -> Result<JSONValue?, BooksRefusal> {
        let fields = (org.customFields ?? []).filter { $0.entity == entity.rawValue }
        var byID: [String: JSONValue] = [:]
        for entry in current?.arrayValue ?? [] { if let id = entry["customfield_id"]?.stringValue { byID[id] = entry } }
        for entry in input?.arrayValue ?? [] {
            let field = fields.first {
                $0.fieldID == entry["customfield_id"]?.stringValue || $0.apiName == entry["api_name"]?.stringValue
                    || $0.label == entry["label"]?.stringValue
            }
            guard let field else { return .failure(BooksRefusal(code: 4, message: "Invalid value passed for custom_fields")) }
            let value = entry["value"] ?? .null
            guard value.isNull || Self.booksValueFits(value, field) else {
                return .failure(BooksRefusal(code: 4, message: "Invalid value passed for \(field.label)"))
            }
            byID[field.fieldID] = [
                "customfield_id": .string(field.fieldID), "api_name": .string(field.apiName), "label": .string(field.label),
                "data_type": .string(field.dataType), "value": value,
            ]
        }
        if creating, let missing = fields.first(where: { $0.mandatory && (byID[$0.fieldID]?["value"] ?? .null).isNull }) {
            return .failure(BooksRefusal(code: 4, message: "Invalid value passed for \(missing.label)"))
        }
        guard !byID.isEmpty else { return .success(nil) }
        return .success(.array(byID.keys.sorted().map { byID[$0]! }))
    }

    struct BooksRefusal: Error {
        let code: Int
        let message: String
        /// 404 for a record that is not there, 400 for a write refused.
        var status = 400

        var response: SimResponse { BooksError.response(status, code, message) }
    }

    static func booksValueFits(_ value: JSONValue, _ field: BooksCustomField) -> Bool {
        switch field.dataType {
        case "number": if case .int = value { return true } else { return false }
        case "decimal", "amount", "percent": return value.doubleValue != nil && value.stringValue == nil
        case "check_box": return value.boolValue != nil
        case "date": return value.stringValue.map(isDate) ?? false
        case "dropdown": return value.stringValue.map { field.values.contains($0) } ?? false
        case "email": return value.stringValue.map(looksLikeEmail) ?? false
        default: return value.stringValue != nil
        }
    }
}
