import Core
import Foundation

/// `POST /_sim/crm/<dc>/settings/fields?module=<Module>`: an administrator adds custom fields, with
/// the input of Zoho's Create Custom Fields API (`{"fields":[{"field_label","data_type",…}]}`) and its
/// rules: at most five fields a call, labels unique in the module, lengths within the data type's
/// limits, and a number of custom fields per module that depends on the edition.
extension SimState {
    /// Custom fields per module by edition (create-custom-field, Notes); Free is not listed and is
    /// held to Standard's number [?].
    static func customFieldLimit(_ edition: Edition) -> Int {
        switch edition {
        case .free, .standard: 10
        case .professional: 155
        case .enterprise: 300
        case .ultimate: 500
        }
    }

    struct CustomFieldRefusal: Error {
        let message: String
    }

    func addCRMCustomFields(dc: String, module: String?, body: JSONValue) -> SimResponse {
        guard let module, CRMCatalogue.names.contains(module) else {
            let known = CRMCatalogue.modules.map(\.apiName).joined(separator: ", ")
            return .json(400, ["error": .string("give ?module= one of \(known)")])
        }
        guard let inputs = body["fields"]?.arrayValue, !inputs.isEmpty else {
            return .json(400, ["error": "expected {\"fields\": [{\"field_label\", \"data_type\", …}]}, as Zoho's Create Custom Fields API"])
        }
        guard inputs.count <= 5 else { return .json(400, ["error": "Zoho creates at most 5 fields in one call; send the others in another"]) }
        var org = orgs[dc]!
        var created: [JSONValue] = []
        for (index, input) in inputs.enumerated() {
            do {
                let field = try customField(input, module: module, org: &org)
                org.customFields = org.customFields ?? [:]
                org.customFields![module, default: []].append(field)
                created.append(
                    [
                        "code": "SUCCESS", "details": ["id": .string(field.id), "api_name": .string(field.apiName)], "message": "field created",
                        "status": "success",
                    ]
                )
            } catch let refusal as CustomFieldRefusal {
                return .json(400, ["error": .string("fields[\(index)]: \(refusal.message); no field was created")])
            } catch {
                return .json(500, ["error": .string("\(error)")])
            }
        }
        orgs[dc] = org
        return .json(201, ["fields": .array(created)])
    }

    /// One field from its Zoho input, checked against the module as it stands (fields added earlier in
    /// the same call included).
    func customField(_ input: JSONValue, module: String, org: inout CRMOrg) throws -> CRMField {
        let existing = org.fields(module)
        guard existing.filter(\.custom).count < Self.customFieldLimit(org.edition) else {
            throw CustomFieldRefusal(
                message: "\(module) already has \(Self.customFieldLimit(org.edition)) custom fields, the most the \(org.edition.rawValue) "
                    + "edition allows; set a larger edition with POST /_sim/crm/<dc>/edition"
            )
        }
        guard let label = input["field_label"]?.stringValue?.trimmingCharacters(in: .whitespaces), !label.isEmpty, label.count <= 100 else {
            throw CustomFieldRefusal(message: "field_label is required, 1 to 100 characters")
        }
        guard !existing.contains(where: { $0.label.lowercased() == label.lowercased() }) else {
            throw CustomFieldRefusal(message: "\(module) already has a field labelled \"\(label)\"; labels are unique in a module")
        }
        let creatable = CRMField.DataType.allCases.filter { $0 != .ownerlookup }
        guard let type = input["data_type"]?.stringValue.flatMap(CRMField.DataType.init(rawValue:)), creatable.contains(type) else {
            throw CustomFieldRefusal(message: "data_type is one of \(creatable.map(\.rawValue).joined(separator: ", "))")
        }
        let apiName = try customAPIName(input["api_name"]?.stringValue, label: label, taken: Set(existing.map(\.apiName)))
        let length = try customLength(input["length"], type)
        var field = CRMField(id: org.newID(), apiName: apiName, label: label, dataType: type, length: length, custom: true)
        if type == .picklist || type == .multiselectpicklist { field.picklist = try picklistValues(input["pick_list_values"]) }
        if type == .lookup { field.lookupModule = try lookupModule(input["lookup"]) }
        return field
    }

    /// The api name asked for, or one made from the label as Zoho's UI makes it ("Select Region" →
    /// Select_Region). Zoho's pattern is `^[A-Za-z][A-Za-z0-9_]*$`, 50 characters at most
    /// (crm-oas v8.0 FieldSchema), without consecutive or trailing underscores (as for module names).
    func customAPIName(_ asked: String?, label: String, taken: Set<String>) throws -> String {
        if let asked {
            guard asked.wholeMatch(of: #/[A-Za-z][A-Za-z0-9_]{0,49}/#) != nil, !asked.contains("__"), !asked.hasSuffix("_") else {
                throw CustomFieldRefusal(
                    message: "api_name \(asked) is not a Zoho CRM api name: a letter, then letters, digits and single underscores, "
                        + "50 characters at most (Zoho names custom fields like their labels, e.g. Region or Custom_Field_1; "
                        + "Salesforce's __c suffix is not Zoho's)"
                )
            }
            guard !taken.contains(asked) else { throw CustomFieldRefusal(message: "the module already has a field named \(asked)") }
            return asked
        }
        let base = Self.apiName(fromLabel: label)
        var name = base
        var n = 1
        while taken.contains(name) {
            name = "\(base)_\(n)"
            n += 1
        }
        return name
    }

    static func apiName(fromLabel label: String) -> String {
        var words: [String] = []
        var word = ""
        for ch in label {
            if ch.isASCII && (ch.isLetter || ch.isNumber) {
                word.append(ch)
            } else if !word.isEmpty {
                words.append(word)
                word = ""
            }
        }
        if !word.isEmpty { words.append(word) }
        var name = words.joined(separator: "_")
        // An api name starts with a letter: labels made of digits or symbols get a prefix [?].
        if name.first?.isLetter != true { name = "Custom_Field" + (name.isEmpty ? "" : "_" + name) }
        return String(name.prefix(50))
    }

    func customLength(_ asked: JSONValue?, _ type: CRMField.DataType) throws -> Int {
        guard let lengths = type.lengths else { return CRMCatalogue.defaultLength(type) }
        guard let asked, !asked.isNull else { return lengths.standard }
        guard let length = asked.intValue.map(Int.init), lengths.allowed.contains(length),
            type != .textarea || [2000, 32000, 50000].contains(length)
        else {
            let allowed = type == .textarea ? "2000, 32000 or 50000" : "\(lengths.allowed.lowerBound) to \(lengths.allowed.upperBound)"
            throw CustomFieldRefusal(message: "length of a \(type.rawValue) field is \(allowed)")
        }
        return length
    }

    func picklistValues(_ input: JSONValue?) throws -> [CRMField.PicklistValue] {
        let values = (input?.arrayValue ?? []).compactMap { option -> CRMField.PicklistValue? in
            guard let display = option["display_value"]?.stringValue, !display.isEmpty, display.count <= 120 else { return nil }
            return CRMField.PicklistValue(display: display, actual: option["actual_value"]?.stringValue ?? display)
        }
        guard !values.isEmpty, values.count == input?.arrayValue?.count else {
            throw CustomFieldRefusal(
                message: "pick_list_values is required: [{\"display_value\": …, \"actual_value\": …}], each display value 1 to 120 characters"
            )
        }
        guard Set(values.map(\.display)).count == values.count else {
            throw CustomFieldRefusal(message: "pick_list_values repeats a display_value; each option is unique")
        }
        return values
    }

    func lookupModule(_ input: JSONValue?) throws -> String {
        let module = input?["module"]?["api_name"]?.stringValue ?? input?["module"]?.stringValue
        guard let module, CRMCatalogue.names.contains(module) else {
            let known = CRMCatalogue.modules.map(\.apiName).joined(separator: ", ")
            throw CustomFieldRefusal(message: "a lookup names its module: \"lookup\": {\"module\": {\"api_name\": …}}, one of \(known)")
        }
        return module
    }
}
