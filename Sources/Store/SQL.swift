import Core

/// A value bound to a statement parameter, or read from a column. Both engines store the same four kinds.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    /// PostgreSQL only: one array parameter for `unnest`, so a batch binds a handful of values, not thousands.
    case intArray([Int64])
    case textArray([String])

    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int64(d)
        case .text(let s): return Int64(s)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }
    public var blob: [UInt8]? {
        if case .blob(let b) = self { return b }
        return nil
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Int64?) { self = value.map(SQLValue.int) ?? .null }
    public init(_ value: Int?) { self = value.map { .int(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .int(value ? 1 : 0) }
}

/// A statement with `?` placeholders and its parameters. Every value reaches the database as a bound
/// parameter; only identifiers from our own model definitions are ever spliced into the text.
public struct SQL: Sendable {
    public var text: String
    public var binds: [SQLValue]

    public init(_ text: String, _ binds: [SQLValue] = []) {
        self.text = text
        self.binds = binds
    }

    public mutating func append(_ other: SQL) {
        text += other.text
        binds += other.binds
    }

    public mutating func append(_ text: String, _ binds: SQLValue...) {
        self.text += text
        self.binds += binds
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var out = lhs
        out.append(rhs)
        return out
    }

    /// "?, ?, ?" for a list of values, to use in `IN (…)`.
    public static func list(_ values: [SQLValue]) -> SQL {
        SQL(Array(repeating: "?", count: values.count).joined(separator: ", "), values)
    }

    /// `column IN (values)`; an empty list matches nothing (SQL has no empty `IN ()`).
    public static func isIn(_ column: String, _ values: [SQLValue]) -> SQL {
        values.isEmpty ? SQL("1 = 0") : SQL("\(column) IN (") + list(values) + SQL(")")
    }

    public static func joined(_ parts: [SQL], separator: String) -> SQL {
        var out = SQL("")
        for (i, p) in parts.enumerated() {
            if i > 0 { out.text += separator }
            out.append(p)
        }
        return out
    }
}

/// One result row. Column names are shared between the rows of one result.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ name: String) -> SQLValue {
        guard let i = columns.firstIndex(of: name) else { return .null }
        return values[i]
    }

    public subscript(_ index: Int) -> SQLValue { values[index] }
}
