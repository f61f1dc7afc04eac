import Core
import ZohoAPI

extension MappingCheck {
    /// Zoho field types each transform carries (CRM's vocabulary; Books' fields are translated into it).
    static let zohoCarries: [String: Set<String>] = [
        "plain": ["text", "textarea", "email", "phone", "website", "picklist", "autonumber", "integer", "bigint", "double", "percent"],
        "name_split": ["text"],
        "selection": ["picklist", "text", "boolean"],
        "country": ["text", "picklist"],
        "html": ["textarea", "text"],
        "lookup": ["lookup"],
        "date": ["date"],
        "datetime": ["datetime"],
        "integer": ["integer", "bigint", "double", "text"],
        "decimal": ["double", "currency", "percent", "integer", "bigint", "text"],
        "boolean": ["boolean"],
        "many2one": ["picklist", "text"],
        "tags": ["multiselectpicklist"],
        "user": ["ownerlookup"],
    ]

    /// The transform to suggest for a Zoho field of this type.
    static func zohoAdvice(_ type: ZohoField.DataType) -> String {
        switch type {
        case .picklist: "use the selection transform with a value table (or many2one with a table of Odoo records)"
        case .multiselectpicklist: "use the tags transform (an Odoo many2many by name)"
        case .date: "use the date transform"
        case .datetime: "use the datetime transform"
        case .currency: "use the currency transform"
        case .integer, .bigint: "use the integer transform"
        case .double, .percent: "use the decimal transform"
        case .boolean: "use the boolean transform"
        case .lookup: "use the lookup transform through the mapping of the module it points to"
        case .ownerlookup: "use the user transform"
        default: "use the plain transform"
        }
    }

    /// The mapping checked against Zoho's fields of its module: each Zoho field exists, can be written
    /// where Odoo's values go, has a type the transform carries, and a value table only sends values the
    /// picklist offers; fields Zoho requires on create are mapped when records go to Zoho.
    public static func zoho(_ m: Mapping, fields: [ZohoField], mappings: [Mapping] = []) -> MappingCheck {
        var check = MappingCheck()
        let byName = Dictionary(fields.map { ($0.apiName, $0) }) { first, _ in first }
        let module = "\(m.app == "books" ? "Books" : "CRM") \(m.object)"
        for pair in m.fields {
            for apiName in pair.zoho {
                guard let field = byName[apiName] else {
                    check.problems.append(
                        "Zoho's \(module) has no field \(apiName): check its API name in Zoho (Setup → Developer Hub → APIs and SDKs → API names), or remove the pair"
                    )
                    continue
                }
                if pair.toZoho, field.readOnly {
                    check.problems.append("Zoho's \(apiName) in \(module) cannot be written through the API: make the pair to_odoo")
                }
                let transform = name(pair.transform)
                if let allowed = zohoCarries[transform], !allowed.contains(field.dataType.name) {
                    check.problems.append(
                        "Zoho's \(apiName) is a \(field.dataType.name) field, which the \(transform) transform cannot carry: \(zohoAdvice(field.dataType))"
                    )
                }
                if case .selection(let table) = pair.transform, !field.picklist.isEmpty, pair.toZoho {
                    let offered = Set(field.picklist.map(\.displayValue))
                    for value in Set(table.values).subtracting(offered).sorted() {
                        check.problems.append(
                            "the value table of \(pair.odoo) sends '\(value)', which Zoho's \(apiName) does not offer (it offers \(field.picklist.map(\.displayValue).joined(separator: ", "))): add it in Zoho, or change the table"
                        )
                    }
                }
                if case .lookup(let other) = pair.transform, let target = mappings.first(where: { $0.name == other }),
                    let module = field.lookupModule, module != target.object
                {
                    check.problems.append(
                        "Zoho's \(apiName) looks up \(module), but mapping \(other) syncs \(target.object): name the mapping of \(module)"
                    )
                }
            }
        }
        let sent = Set(m.fields.filter(\.toZoho).flatMap(\.zoho))
        for field in fields where field.mandatory && !field.readOnly && !sent.contains(field.apiName) && field.apiName != "Owner" {
            check.problems.append(
                "Zoho requires \(field.apiName) in \(module) for a record created from Odoo, and no pair sends it: map it to_zoho or both"
            )
        }
        return check
    }
}
