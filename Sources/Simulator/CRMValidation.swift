import Core
import Foundation

/// What is wrong with one value written to a CRM field, in the shape of Zoho's INVALID_DATA details.
enum FieldProblem: Equatable {
    /// `expected_data_type` (crm-oas v8.0 createRecords: response-400-invaliddatatype).
    case type(expected: String)
    /// `maximum_length` (crm-oas v8.0 createRecords: response-400-invaliddatalength).
    case tooLong(maximum: Int)
    /// A picklist value the field does not list [?]: Zoho documents no body for it.
    case notAnOption
    /// A field that is not the module's (crm-oas v8.0 createRecords: response-207-mixedresults).
    case unknownField
    /// A field only Zoho writes [?]: Zoho documents no body for it.
    case readOnly

    var message: String {
        switch self {
        case .unknownField: "the field api name given seems to be invalid"
        case .readOnly: "the field is read only"
        default: "invalid data"
        }
    }

    func details(apiName: String, jsonPath: JSONValue) -> JSONValue {
        var o: [String: JSONValue] = ["api_name": .string(apiName), "json_path": jsonPath]
        switch self {
        case .type(let expected): o["expected_data_type"] = .string(expected)
        case .tooLong(let maximum): o["maximum_length"] = .int(Int64(maximum))
        default: break
        }
        return .object(o)
    }
}

/// Record values checked against field metadata, per data type, as Zoho checks them.
extension SimState {
    /// Keys a record may carry besides its module's fields: the id, and Zoho's `$`-prefixed properties.
    static func isRecordProperty(_ key: String) -> Bool {
        key == "id" || key.hasPrefix("$") || key == "Layout" || key == "Tag"
    }

    /// The first key of `input` that the module does not have, or that only Zoho may write; keys are
    /// taken in sorted order so the same record always gets the same answer.
    func forbiddenKey(_ input: [String: JSONValue], _ fields: [String: CRMField]) -> (key: String, problem: FieldProblem)? {
        for key in input.keys.sorted() where !Self.isRecordProperty(key) {
            guard let field = fields[key] else {
                if config.rejectUnknownFields { return (key, .unknownField) }
                continue
            }
            if field.readOnly && config.rejectReadOnlyFields { return (key, .readOnly) }
        }
        return nil
    }

    /// nil when the value fits the field.
    func validate(_ field: CRMField, _ value: JSONValue, org: CRMOrg) -> FieldProblem? {
        let expected = FieldProblem.type(expected: field.dataType.rawValue)
        switch field.dataType {
        case .text, .textarea, .phone, .website:
            guard let s = value.stringValue else { return expected }
            return s.count > field.length ? .tooLong(maximum: field.length) : nil
        case .email:
            guard let s = value.stringValue, Self.looksLikeEmail(s) else { return expected }
            return s.count > field.length ? .tooLong(maximum: field.length) : nil
        case .picklist:
            guard let s = value.stringValue else { return expected }
            return isOption(s, of: field) ? nil : .notAnOption
        case .multiselectpicklist:
            guard let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else { return expected }
            return list.allSatisfy { isOption($0.stringValue!, of: field) } ? nil : .notAnOption
        case .date:
            guard let s = value.stringValue, Self.isDate(s) else { return expected }
        case .datetime:
            guard let s = value.stringValue, Self.isZohoDateTime(s) else { return expected }
        case .integer:
            // A JSON integer: Zoho's json_type is integer, so "12" and 1.5 are not one.
            guard case .int(let n) = value, n >= Int64(Int32.min), n <= Int64(Int32.max) else { return expected }
            return String(n.magnitude).count > field.length ? .tooLong(maximum: field.length) : nil
        case .double, .currency, .percent:
            guard let d = value.doubleValue, value.stringValue == nil else { return expected }
            // The length counts the digits before the decimal point.
            let digits = d.magnitude < 1 ? 1 : Int(log10(d.magnitude).rounded(.down)) + 1
            return digits > field.length ? .tooLong(maximum: field.length) : nil
        case .boolean:
            guard value.boolValue != nil else { return expected }
        case .lookup:
            guard let id = value["id"]?.stringValue ?? value.stringValue, org.records[field.lookupModule!]?[id] != nil else { return expected }
        case .ownerlookup:
            guard CRMCatalogue.user(value) != nil else { return expected }
        }
        return nil
    }

    /// Picklists take their listed display values, unless the configuration lets any text through.
    func isOption(_ value: String, of field: CRMField) -> Bool {
        guard config.restrictPicklistValues, !field.picklist.isEmpty else { return value.count <= field.length }
        return field.picklist.contains { $0.display == value }
    }

    static func looksLikeEmail(_ s: String) -> Bool {
        guard let at = s.firstIndex(of: "@"), !s.contains(" ") else { return false }
        return s[s.index(after: at)...].contains(".")
    }

    /// `2024-06-11`, a day that exists.
    static func isDate(_ s: String) -> Bool {
        s.wholeMatch(of: #/\d{4}-\d{2}-\d{2}/#) != nil && Clock.parseOdoo(s) != nil
    }

    /// `2024-06-11T10:15:00+05:30` (or `Z`): the form Zoho writes its own times in.
    static func isZohoDateTime(_ s: String) -> Bool {
        s.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)/#) != nil
    }

    /// Lookups are stored as {"id", "name"} and owners as {"id", "name", "email"}, whatever form they came
    /// in; a date and time in the organisation's time zone, whatever offset it was written with.
    func normalise(_ field: CRMField, _ value: JSONValue, org: CRMOrg) -> JSONValue {
        if field.dataType == .ownerlookup, let user = CRMCatalogue.user(value) {
            return ["id": user["id"] ?? .null, "name": user["full_name"] ?? .null, "email": user["email"] ?? .null]
        }
        if field.dataType == .datetime, let instant = value.stringValue.flatMap(Clock.parseOdoo) {
            return .string(zohoTime(instant))
        }
        guard field.dataType == .lookup, let module = field.lookupModule, let id = value["id"]?.stringValue ?? value.stringValue,
            let target = org.records[module]?[id]
        else { return value }
        let nameField = CRMCatalogue.module(module)?.nameField ?? "Name"
        return ["id": .string(id), "name": target.fields[nameField] ?? .null]
    }
}
