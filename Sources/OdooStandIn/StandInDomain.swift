import Core
import OdooRPC

typealias StandInRow = [String: JSONValue]

/// Odoo domains over in-memory rows: enough of the language for what the sidecar sends. A domain is
/// compiled once per search, its operands converted and its `in` lists made sets, so that a search
/// over 100,000 records costs one record's test per record.
struct StandInDomain {
    let test: (StandInRow) -> Bool

    /// Odoo checks every leaf's field before searching, whether or not any record exists.
    init(_ domain: JSONValue, model: String, spec: [String: String], activeTest: Bool) throws {
        var items = domain.arrayValue ?? []
        for item in items {
            guard let parts = item.arrayValue else { continue }
            guard parts.count == 3, let field = parts[0].stringValue, parts[1].stringValue != nil else {
                throw OdooFault(.valueError, "Invalid leaf \(item.serialized())")
            }
            guard spec[field] != nil else { throw OdooFault(.valueError, "Invalid field \(model).\(field) in leaf \(item.serialized())") }
        }
        let mentionsActive = items.contains { $0.arrayValue?.first?.stringValue == "active" }
        let hideArchived = activeTest && spec["active"] != nil && !mentionsActive
        var terms: [(StandInRow) -> Bool] = []
        while !items.isEmpty { terms.append(try Self.next(&items)) }
        test = { row in
            if hideArchived, row["active"]?.boolValue == false { return false }
            return terms.allSatisfy { $0(row) }
        }
    }

    /// The next term of a domain in Odoo's prefix notation.
    static func next(_ items: inout [JSONValue]) throws -> (StandInRow) -> Bool {
        guard !items.isEmpty else { throw OdooFault(.valueError, "Invalid domain") }
        let item = items.removeFirst()
        switch item.stringValue {
        case "&":
            let a = try next(&items)
            let b = try next(&items)
            return { a($0) && b($0) }
        case "|":
            let a = try next(&items)
            let b = try next(&items)
            return { a($0) || b($0) }
        case "!":
            let a = try next(&items)
            return { !a($0) }
        default:
            return try leaf(item)
        }
    }

    static func leaf(_ item: JSONValue) throws -> (StandInRow) -> Bool {
        guard let parts = item.arrayValue, parts.count == 3, let field = parts[0].stringValue, let op = parts[1].stringValue else {
            throw OdooFault(.valueError, "Invalid leaf \(item.serialized())")
        }
        // Odoo searches a display name through the model's name (`_rec_name`).
        let key = field == "display_name" ? "name" : field
        let target = OdooStandIn.stored(parts[2])
        let value: (StandInRow) -> JSONValue = { $0[key] ?? .null }
        switch op {
        case "=", "!=":
            let equal: (StandInRow) -> Bool = { Self.same(value($0), target) }
            return op == "=" ? equal : { !equal($0) }
        case "in", "not in":
            let set = Set((parts[2].arrayValue ?? []).map(OdooStandIn.stored))
            return op == "in" ? { set.contains(value($0)) } : { !set.contains(value($0)) }
        case ">", ">=", "<", "<=":
            return { row in
                let v = value(row)
                if let x = v.intValue, let y = target.intValue { return compare(op, x, y) }
                return compare(op, text(v) ?? "", text(target) ?? "")
            }
        case "ilike", "like", "not ilike", "not like":
            let needle = (text(target) ?? "").lowercased()
            let negated = op.hasPrefix("not")
            return { row in (text(value(row)) ?? "").lowercased().contains(needle) != negated }
        case "=ilike", "=like":
            let wanted = (text(target) ?? "").lowercased()
            return { row in (text(value(row)) ?? "").lowercased() == wanted }
        default:
            throw OdooFault(.valueError, "Invalid operator \(op)")
        }
    }

    /// Odoo's False and an empty value are the same in a domain.
    static func same(_ value: JSONValue, _ target: JSONValue) -> Bool {
        value == target || (target.isNull && value == false) || (value.isNull && target == false)
    }

    static func text(_ v: JSONValue) -> String? { v.stringValue ?? v.intValue.map(String.init) }

    static func compare<T: Comparable>(_ op: String, _ a: T, _ b: T) -> Bool {
        switch op {
        case ">": a > b
        case ">=": a >= b
        case "<": a < b
        default: a <= b
        }
    }
}

/// An `order` clause, parsed once per search: fields and directions, then the id.
struct StandInOrder {
    let terms: [(field: String, descending: Bool)]

    init(_ text: String) {
        terms = text.split(separator: ",").compactMap { term in
            let words = term.split(separator: " ")
            guard let field = words.first.map(String.init) else { return nil }
            return (field, words.count > 1 && words[1].lowercased() == "desc")
        }
    }

    func less(_ a: StandInRow, _ b: StandInRow) -> Bool {
        for (field, descending) in terms {
            let x = a[field] ?? .null
            let y = b[field] ?? .null
            if x == y { continue }
            let lt: Bool = if let i = x.intValue, let j = y.intValue { i < j } else { (x.stringValue ?? "") < (y.stringValue ?? "") }
            return descending ? !lt : lt
        }
        return (a["id"]?.intValue ?? 0) < (b["id"]?.intValue ?? 0)
    }
}
