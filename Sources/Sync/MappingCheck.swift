import Core
import OdooRPC

/// A mapping checked against the Odoo it runs on: each pair's field exists (on this series), has a type
/// its transform can carry, and can be written where Zoho's values go; the domain is one Odoo accepts;
/// records created from Zoho get every field Odoo requires. Each problem says what to change.
public struct MappingCheck: Sendable {
    public var problems: [String] = []
    /// What is fine but worth knowing (pairs this series leaves out).
    public var notes: [String] = []

    public init() {}

    public var summary: String {
        if problems.isEmpty { return (["fits"] + notes).joined(separator: "; ") }
        return problems.joined(separator: "\n")
    }

    /// Odoo field types each transform carries.
    static let carries: [String: Set<String>] = [
        "plain": ["char", "text", "selection", "integer", "float", "monetary", "boolean", "date", "datetime", "html"],
        "name_split": ["char"],
        "selection": ["selection", "boolean", "char"],
        "country": ["many2one"],
        "html": ["html", "text"],
        "lookup": ["many2one"],
        "date": ["date"],
        "datetime": ["datetime"],
        "integer": ["integer", "float", "monetary"],
        "decimal": ["float", "monetary", "integer"],
        "boolean": ["boolean"],
        "many2one": ["many2one"],
        "tags": ["many2many"],
        "user": ["many2one"],
    ]

    public static func odoo(_ m: Mapping, client: OdooClient) async throws -> MappingCheck {
        var check = MappingCheck()
        let server = try await client.server()
        let fitted = m.fitted(to: server.series)
        let known: [String: JSONValue]
        do {
            known = try await client.fields(m.odooModel, including: [fitted.matchOdoo] + fitted.fields.map(\.odoo))
        } catch let fault as OdooFault {
            check.problems.append("Odoo \(server.version) has no model \(m.odooModel) (\(fault.message)): install its module, or map another model")
            return check
        }
        for pair in m.fields where !fitted.fields.contains(pair) {
            check.notes.append("\(pair.odoo) ↔ \(pair.zoho.joined(separator: "/")) is left out on Odoo \(server.version)")
        }
        if known[fitted.matchOdoo] == nil && fitted.matchOdoo != "id" {
            check.problems.append("\(m.odooModel) has no field \(fitted.matchOdoo) to match records on: name one of its fields in match_odoo")
        }
        for pair in fitted.fields {
            check.problems += problems(pair, m, known[pair.odoo])
        }
        do {
            _ = try await client.call(m.odooModel, "search_count", [m.odooDomain])
        } catch let fault as OdooFault {
            check.problems.append("Odoo refuses the domain \(m.odooDomain.serialized()) of \(m.odooModel): \(fault.message)")
        }
        check.problems += try await missingRequired(fitted, known: known, client: client)
        return check
    }

    static func problems(_ pair: Mapping.FieldPair, _ m: Mapping, _ field: JSONValue?) -> [String] {
        let where_ = "\(m.odooModel).\(pair.odoo)"
        guard let field else {
            return ["\(m.odooModel) has no field \(pair.odoo): check its technical name in Odoo (Settings → Technical → Fields), or remove the pair"]
        }
        var problems: [String] = []
        let type = field["type"]?.stringValue ?? "?"
        let transform = Self.name(pair.transform)
        if let allowed = carries[transform], !allowed.contains(type) {
            let relation = field["relation"]?.stringValue.map { " to \($0)" } ?? ""
            problems.append("\(where_) is a \(type)\(relation) field, which the \(transform) transform cannot carry: \(advice(type))")
        }
        if pair.toOdoo, field["readonly"]?.boolValue == true {
            problems.append(
                "\(where_) is read-only in Odoo, so Zoho's \(pair.zoho.joined(separator: "/")) cannot be written to it: make the pair to_zoho"
            )
        }
        return problems
    }

    /// What to use for an Odoo field of this type.
    static func advice(_ type: String) -> String {
        switch type {
        case "many2one": "use lookup (through another mapping), many2one (a table of its records), user or country"
        case "many2many": "use tags (a Zoho multi-select picklist)"
        case "date": "use the date transform"
        case "datetime": "use the datetime transform"
        case "boolean": "use the boolean transform"
        case "integer": "use the integer transform"
        case "float", "monetary": "use the decimal or currency transform"
        case "one2many": "a list of records cannot be one Zoho value"
        case "binary": "files do not cross"
        default: "use the plain transform"
        }
    }

    static func name(_ t: Mapping.FieldPair.Transform) -> String {
        switch t {
        case .plain: "plain"
        case .nameSplit: "name_split"
        case .selection: "selection"
        case .country: "country"
        case .html: "html"
        case .lookup: "lookup"
        case .date: "date"
        case .datetime: "datetime"
        case .integer: "integer"
        case .decimal: "decimal"
        case .boolean: "boolean"
        case .many2one: "many2one"
        case .tags: "tags"
        case .user: "user"
        }
    }

    /// Fields Odoo requires that a record created from Zoho would lack: neither mapped, nor in the mapping's
    /// defaults, nor given a default by Odoo itself.
    static func missingRequired(_ m: Mapping, known: [String: JSONValue], client: OdooClient) async throws -> [String] {
        guard m.fields.contains(where: \.toOdoo) else { return [] }
        let given = Set(m.fields.filter(\.toOdoo).map(\.odoo)).union(m.odooDefaults.keys)
        let required = known.filter { name, f in
            f["required"]?.boolValue == true && f["readonly"]?.boolValue != true && !given.contains(name) && name != "id"
        }.keys.sorted()
        guard !required.isEmpty else { return [] }
        let defaults = try await client.call(m.odooModel, "default_get", [.array(required.map { .string($0) })]).objectValue ?? [:]
        return required.filter { defaults[$0] == nil }.map { name in
            "\(m.odooModel).\(name) is required in Odoo and a record created from Zoho would have none: map it, or give it in odoo_defaults"
        }
    }
}
