import Core
import Foundation
import OdooRPC
import Store

/// An Odoo domain: prefix-notation list of `&`, `|`, `!` and leaves `[field, operator, value]`,
/// with an implicit `&` between consecutive terms.
public indirect enum Domain: Sendable, Equatable {
    case all
    case none
    case leaf(field: String, op: String, value: JSONValue)
    case and(Domain, Domain)
    case or(Domain, Domain)
    case not(Domain)

    public static let operators: Set<String> = [
        "=", "!=", "<>", "<", "<=", ">", ">=", "in", "not in", "like", "not like",
        "ilike", "not ilike", "=like", "=ilike", "=?",
    ]
    /// Deep enough for any real filter, shallow enough that a hostile domain cannot exhaust the stack.
    static let maxTerms = 2000

    public static func parse(_ value: JSONValue?) throws -> Domain {
        guard let value, !value.isNull, value != .bool(false) else { return .all }
        guard let items = value.arrayValue else {
            throw OdooFault(.valueError, "Invalid domain: expected a list, got \(value.serialized().prefix(80))")
        }
        guard items.count <= maxTerms else { throw OdooFault(.valueError, "Invalid domain: more than \(maxTerms) terms") }
        var index = 0
        var terms: [Domain] = []
        while index < items.count {
            terms.append(try parseTerm(items, &index, depth: 0))
        }
        return terms.reduce(Domain.all) { acc, t in acc == .all ? t : .and(acc, t) }
    }

    private static func parseTerm(_ items: [JSONValue], _ index: inout Int, depth: Int) throws -> Domain {
        guard index < items.count else { throw OdooFault(.valueError, "Invalid domain: an operator is missing its operands") }
        guard depth < 200 else { throw OdooFault(.valueError, "Invalid domain: nested too deeply") }
        let item = items[index]
        index += 1
        switch item {
        case .string("&"):
            return .and(try parseTerm(items, &index, depth: depth + 1), try parseTerm(items, &index, depth: depth + 1))
        case .string("|"):
            return .or(try parseTerm(items, &index, depth: depth + 1), try parseTerm(items, &index, depth: depth + 1))
        case .string("!"):
            return .not(try parseTerm(items, &index, depth: depth + 1))
        case .array(let leaf):
            guard leaf.count == 3, let op = leaf[1].stringValue else {
                throw OdooFault(.valueError, "Invalid leaf \(item.serialized().prefix(120))")
            }
            // Odoo's constant leaves (1, '=', 1) and (0, '=', 1).
            if case .int(let l) = leaf[0], op == "=", case .int(1) = leaf[2] {
                return l == 1 ? .all : .none
            }
            guard let field = leaf[0].stringValue, !field.isEmpty else {
                throw OdooFault(.valueError, "Invalid leaf \(item.serialized().prefix(120))")
            }
            let normalized = op.lowercased()
            guard operators.contains(normalized) else {
                throw OdooFault(.valueError, "Invalid operator '\(op)' in leaf \(item.serialized().prefix(120))")
            }
            return .leaf(field: field, op: normalized == "<>" ? "!=" : normalized, value: leaf[2])
        default:
            throw OdooFault(.valueError, "Invalid domain term \(item.serialized().prefix(120))")
        }
    }

    public func mentions(_ field: String) -> Bool {
        switch self {
        case .all, .none: return false
        case .leaf(let f, _, _): return f == field
        case .and(let a, let b), .or(let a, let b): return a.mentions(field) || b.mentions(field)
        case .not(let a): return a.mentions(field)
        }
    }
}

/// Turns a domain into a parameterised WHERE clause for one model.
public struct DomainCompiler {
    let model: Model
    let registry: ModelRegistry
    let dialect: Dialect

    public init(model: Model, registry: ModelRegistry, dialect: Dialect) {
        self.model = model
        self.registry = registry
        self.dialect = dialect
    }

    public func compile(_ domain: Domain) throws -> SQL {
        switch domain {
        case .all: return SQL("1=1")
        case .none: return SQL("1=0")
        case .and(let a, let b): return SQL("(") + (try compile(a)) + SQL(" AND ") + (try compile(b)) + SQL(")")
        case .or(let a, let b): return SQL("(") + (try compile(a)) + SQL(" OR ") + (try compile(b)) + SQL(")")
        case .not(let a): return SQL("NOT (") + (try compile(a)) + SQL(")")
        case .leaf(let name, let op, let value): return try leaf(name, op, value)
        }
    }

    private func leaf(_ name: String, _ op: String, _ value: JSONValue) throws -> SQL {
        guard let field = model.field(name), field.searchable else {
            throw OdooFault(.valueError, "Invalid field \(model.name).\(name) in leaf ('\(name)', '\(op)', \(value.serialized().prefix(80)))")
        }
        let col = field.column
        let desc = "('\(name)', '\(op)', \(value.serialized().prefix(80)))"

        if op == "=?" {
            return value.isOdooEmpty && !(value == .bool(false) && field.type == .boolean) ? SQL("1=1") : try leaf(name, "=", value)
        }
        if op == "in" || op == "not in" {
            let list = value.arrayValue ?? [value]
            var values: [SQLValue] = []
            var hasNull = false
            for v in list {
                if v == .bool(false) && field.type != .boolean || v.isNull {
                    hasNull = true
                    continue
                }
                values.append(try convert(v, field, desc))
            }
            var parts: [SQL] = []
            if !values.isEmpty { parts.append(SQL("\(col) \(op == "in" ? "IN" : "NOT IN") (") + .list(values) + SQL(")")) }
            if op == "in" {
                if hasNull { parts.append(SQL("\(col) IS NULL")) }
                return parts.isEmpty ? SQL("1=0") : SQL("(") + .joined(parts, separator: " OR ") + SQL(")")
            }
            // Odoo: `not in` keeps NULLs unless the list itself had False.
            if hasNull {
                parts.append(SQL("\(col) IS NOT NULL"))
            } else if !values.isEmpty {
                parts[0] = SQL("(") + parts[0] + SQL(" OR \(col) IS NULL)")
            }
            return parts.isEmpty ? SQL("1=1") : SQL("(") + .joined(parts, separator: " AND ") + SQL(")")
        }
        if ["like", "not like", "ilike", "not ilike", "=like", "=ilike"].contains(op) {
            if case .many2one(let related) = field.type {
                return try relatedNameMatch(col, related, op, value, desc)
            }
            guard let text = value.stringValue ?? value.intValue.map({ String($0) }) else {
                if value == .bool(false) { return SQL(op.hasPrefix("not") ? "\(col) IS NOT NULL" : "\(col) IS NULL") }
                throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected text")
            }
            let pattern = op.hasPrefix("=") ? text : "%\(text)%"
            let expr = "CAST(\(col) AS TEXT)"
            switch op {
            case "like", "=like": return SQL("\(expr) LIKE ?", [.text(pattern)])
            case "ilike", "=ilike": return SQL(dialect.ilike(expr), [.text(pattern)])
            case "not like": return SQL("(\(expr) NOT LIKE ? OR \(col) IS NULL)", [.text(pattern)])
            default: return SQL("(\(dialect.notIlike(expr)) OR \(col) IS NULL)", [.text(pattern)])
            }
        }
        // = != < <= > >=
        if value == .bool(false) || value.isNull {
            if field.type == .boolean {
                return op == "=" ? SQL("(\(col) = 0 OR \(col) IS NULL)") : SQL("\(col) = 1")
            }
            if op == "=" { return SQL("\(col) IS NULL") }
            if op == "!=" { return SQL("\(col) IS NOT NULL") }
            throw OdooFault(.valueError, "Invalid value in leaf \(desc): cannot compare with False")
        }
        let bound = try convert(value, field, desc)
        if op == "!=" { return SQL("(\(col) != ? OR \(col) IS NULL)", [bound]) }
        return SQL("\(col) \(op) ?", [bound])
    }

    private func relatedNameMatch(_ col: String, _ related: String, _ op: String, _ value: JSONValue, _ desc: String) throws -> SQL {
        guard let other = registry.model(related), let text = value.stringValue else {
            throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected text")
        }
        let positive = op.replacingOccurrences(of: "not ", with: "")
        let pattern = positive.hasPrefix("=") ? text : "%\(text)%"
        let match = positive.hasSuffix("ilike") ? dialect.ilike(other.displayName) : "\(other.displayName) LIKE ?"
        let sub = SQL("\(col) IN (SELECT id FROM \(other.table) WHERE \(match))", [.text(pattern)])
        return op.hasPrefix("not") ? SQL("(NOT (") + sub + SQL(") OR \(col) IS NULL)") : sub
    }

    /// A JSON value as the column's SQL value, or a ValueError naming the leaf.
    func convert(_ value: JSONValue, _ field: Field, _ desc: String) throws -> SQLValue {
        switch field.type {
        case .integer, .many2one:
            if case .array(let pair) = value, let id = pair.first?.intValue { return .int(id) }  // [id, "name"]
            guard let i = value.intValue else { throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected an integer") }
            return .int(i)
        case .float:
            guard let d = value.doubleValue else { throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected a number") }
            return .double(d)
        case .boolean:
            if let b = value.boolValue { return .int(b ? 1 : 0) }
            if let i = value.intValue, i == 0 || i == 1 { return .int(i) }
            throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected true or false")
        case .datetime:
            guard let s = value.stringValue, let t = Clock.parseOdoo(s) else {
                throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected a datetime 'YYYY-MM-DD HH:MM:SS'")
            }
            return .int(t)
        case .char, .text, .selection:
            if let s = value.stringValue { return .text(s) }
            if let i = value.intValue { return .text(String(i)) }
            throw OdooFault(.valueError, "Invalid value in leaf \(desc): expected text")
        case .json, .secret:
            throw OdooFault(.valueError, "Field \(field.name) cannot be searched")
        }
    }
}
