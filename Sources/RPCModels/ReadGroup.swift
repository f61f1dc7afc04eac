import Core
import Foundation
import OdooRPC
import Store

/// Odoo's `read_group`: counts and aggregates per group, for grouped lists, graphs and dashboards.
/// The database groups (by column, or by hour or day for datetimes); weeks, months and years are
/// folded from days here, so both engines share one calendar (UTC, weeks from Monday).
extension ModelService {
    struct GroupBy {
        let spec: String
        let field: Field
        let granularity: String?
    }

    struct Aggregate {
        let alias: String
        let field: Field
        let function: String
    }

    static let granularities = ["hour", "day", "week", "month", "year"]
    static let aggregateFunctions = ["sum", "min", "max", "avg", "count"]

    func readGroup(
        _ model: Model,
        domain: Domain,
        domainJSON: JSONValue,
        fields: [String],
        groupby: [String],
        offset: Int?,
        limit: Int?,
        orderby: String?,
        lazy: Bool,
        env: Env
    ) async throws -> JSONValue {
        let specs = try (lazy ? Array(groupby.prefix(1)) : groupby).map { spec -> GroupBy in
            // Empty pieces are kept, so "" and ":day" reach requireField and get Odoo's ValueError.
            let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let field = try model.requireField(parts[0])
            guard field.searchable, field.type != .text else { throw OdooFault(.valueError, "Cannot group by \(model.name).\(field.name)") }
            let granularity = parts.count > 1 ? parts[1] : (field.type == .datetime ? "month" : nil)
            if let g = granularity, field.type != .datetime || !Self.granularities.contains(g) {
                throw OdooFault(
                    .valueError,
                    "Invalid group-by granularity \(spec): use one of \(Self.granularities.joined(separator: ", ")) on a datetime field"
                )
            }
            return GroupBy(spec: spec, field: field, granularity: granularity)
        }
        let aggregates = try fields.compactMap { try aggregate(model, $0) }

        // One row per raw bucket.
        var columns: [String] = []
        for (i, g) in specs.enumerated() {
            switch g.granularity {
            case nil: columns.append("\(g.field.column) AS g\(i)")
            case "hour"?: columns.append("(\(g.field.column) / 3600000000) AS g\(i)")
            default: columns.append("(\(g.field.column) / 86400000000) AS g\(i)")
            }
        }
        columns.append("count(*) AS n")
        for (i, a) in aggregates.enumerated() {
            columns += [
                "sum(\(a.field.column)) AS s\(i)", "count(\(a.field.column)) AS c\(i)", "min(\(a.field.column)) AS lo\(i)",
                "max(\(a.field.column)) AS hi\(i)",
            ]
        }
        var sql = SQL("SELECT \(columns.joined(separator: ", ")) FROM \(model.table) WHERE ") + (try whereClause(model, domain, env, store.dialect))
        if !specs.isEmpty { sql.append(" GROUP BY \(specs.indices.map { "g\($0)" }.joined(separator: ", "))") }
        let rows = try await reader.query(sql)

        // Fold buckets into groups (weeks, months and years from days).
        struct Group {
            var keys: [JSONValue]
            var count: Int64 = 0
            var sums: [Double], counts: [Int64], mins: [Double?], maxs: [Double?]
        }
        var groups: [[JSONValue]: Group] = [:]
        for row in rows {
            let keys = specs.enumerated().map { i, g in Self.bucket(row["g\(i)"], g) }
            var group =
                groups[keys]
                ?? Group(
                    keys: keys,
                    sums: Array(repeating: 0, count: aggregates.count),
                    counts: Array(repeating: 0, count: aggregates.count),
                    mins: Array(repeating: nil, count: aggregates.count),
                    maxs: Array(repeating: nil, count: aggregates.count)
                )
            group.count += row["n"].int ?? 0
            for i in aggregates.indices {
                group.sums[i] += row["s\(i)"].double ?? Double(row["s\(i)"].int ?? 0)
                group.counts[i] += row["c\(i)"].int ?? 0
                if let lo = row["lo\(i)"].double ?? row["lo\(i)"].int.map(Double.init) { group.mins[i] = min(group.mins[i] ?? lo, lo) }
                if let hi = row["hi\(i)"].double ?? row["hi\(i)"].int.map(Double.init) { group.maxs[i] = max(group.maxs[i] ?? hi, hi) }
            }
            groups[keys] = group
        }

        // Names of many2one groups, for display and order.
        var names: [Int: [Int64: String]] = [:]
        for (i, g) in specs.enumerated() {
            guard case .many2one(let related) = g.field.type, let other = registry.model(related) else { continue }
            let ids = Set(groups.keys.compactMap { $0[i].intValue })
            guard !ids.isEmpty else { continue }
            for r in try await reader.query(
                SQL("SELECT id, \(other.displayName) AS name FROM \(other.table) WHERE id IN (") + .list(ids.map { .int($0) }) + SQL(")")
            ) {
                if let id = r["id"].int { names[i, default: [:]][id] = r["name"].text ?? "" }
            }
        }

        var list = Array(groups.values)
        let order = try groupOrder(orderby, specs: specs, aggregates: aggregates)
        list.sort { a, b in
            for (key, descending) in order {
                let x: JSONValue
                let y: JSONValue
                if key == "__count" {
                    (x, y) = (.int(a.count), .int(b.count))
                } else if let i = specs.firstIndex(where: { $0.field.name == key || $0.spec == key }) {
                    (x, y) = (Self.sortKey(a.keys[i], names[i]), Self.sortKey(b.keys[i], names[i]))
                } else if let i = aggregates.firstIndex(where: { $0.alias == key }) {
                    (x, y) = (.double(a.sums[i]), .double(b.sums[i]))
                } else {
                    continue
                }
                if x == y { continue }
                return Self.less(x, y) != descending
            }
            return false
        }
        let start = min(offset ?? 0, list.count)
        let end = limit.map { min(start + max($0, 0), list.count) } ?? list.count

        return .array(
            list[start..<end].map { group -> JSONValue in
                var out: [String: JSONValue] = [:]
                var leaves: [JSONValue] = []
                for (i, g) in specs.enumerated() {
                    let key = group.keys[i]
                    if let granularity = g.granularity, let start = key.intValue {
                        let (from, to) = Self.range(start, granularity)
                        out[g.spec] = .string(Self.label(start, granularity))
                        var ranges = out["__range"]?.objectValue ?? [:]
                        ranges[g.spec] = ["from": .string(Clock.odooString(from)), "to": .string(Clock.odooString(to))]
                        out["__range"] = .object(ranges)
                        leaves += [
                            [.string(g.field.name), ">=", .string(Clock.odooString(from))],
                            [.string(g.field.name), "<", .string(Clock.odooString(to))],
                        ]
                    } else if case .many2one = g.field.type, let id = key.intValue {
                        out[g.spec] = [.int(id), .string(names[i]?[id] ?? "\(g.field.name) #\(id)")]
                        leaves.append([.string(g.field.name), "=", .int(id)])
                    } else {
                        out[g.spec] = key.isNull ? false : key
                        leaves.append([.string(g.field.name), "=", key.isNull ? false : key])
                    }
                }
                out[lazy && !specs.isEmpty ? "\(specs[0].field.name)_count" : "__count"] = .int(group.count)
                for (i, a) in aggregates.enumerated() {
                    let value: Double? =
                        switch a.function {
                        case "sum": group.sums[i]
                        case "count": Double(group.counts[i])
                        case "min": group.mins[i]
                        case "max": group.maxs[i]
                        default: group.counts[i] == 0 ? nil : group.sums[i] / Double(group.counts[i])
                        }
                    out[a.alias] = value.map { a.field.type == .integer && a.function != "avg" ? .int(Int64($0)) : .double($0) } ?? false
                }
                out["__domain"] = .array(leaves + (domainJSON.arrayValue ?? []))
                if lazy, groupby.count > 1 { out["__context"] = ["group_by": .array(groupby.dropFirst().map { .string($0) })] }
                return .object(out)
            }
        )
    }

    /// "name:agg", "alias:agg(name)", or a numeric field's name (summed), as Odoo accepts them.
    func aggregate(_ model: Model, _ spec: String) throws -> Aggregate? {
        if spec == "__count" || spec == "id" { return nil }
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var alias = parts[0]
        var name = parts[0]
        var function = "sum"
        if parts.count > 1 {
            function = parts[1]
            if let open = function.firstIndex(of: "("), function.hasSuffix(")") {
                name = String(function[function.index(after: open)..<function.index(before: function.endIndex)])
                function = String(function[..<open])
            }
            alias = parts[0]
        }
        let field = try model.requireField(name)
        guard field.type == .integer || field.type == .float else {
            if parts.count == 1 { return nil }  // a plain non-numeric field has no aggregate
            throw OdooFault(.valueError, "Cannot aggregate \(model.name).\(name): only integer and float fields aggregate")
        }
        guard Self.aggregateFunctions.contains(function) else {
            throw OdooFault(.valueError, "Invalid aggregate function \(function): use one of \(Self.aggregateFunctions.joined(separator: ", "))")
        }
        return Aggregate(alias: alias, field: field, function: function)
    }

    func groupOrder(_ orderby: String?, specs: [GroupBy], aggregates: [Aggregate]) throws -> [(String, Bool)] {
        guard let orderby, !orderby.isEmpty else { return specs.map { ($0.field.name, false) } }
        return try orderby.split(separator: ",").map { part in
            let words = part.split(separator: " ").map(String.init)
            guard let key = words.first,
                key == "__count" || specs.contains(where: { $0.field.name == key || $0.spec == key })
                    || aggregates.contains(where: { $0.alias == key })
            else { throw OdooFault(.valueError, "Invalid read_group order \(orderby): order by the group-by fields, aggregates or __count") }
            return (key, words.count > 1 && words[1].lowercased() == "desc")
        }
    }

    /// A raw bucket as the group key: epoch seconds of the period's start for datetimes.
    static func bucket(_ value: SQLValue, _ g: GroupBy) -> JSONValue {
        switch g.granularity {
        case "hour"?: return value.int.map { .int($0 * 3600) } ?? .null
        case let granularity?:
            guard let day = value.int else { return .null }
            let calendar = Self.utc
            let date = Date(timeIntervalSince1970: Double(day * 86400))
            let start: Date
            switch granularity {
            case "week": start = calendar.date(from: calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)) ?? date
            case "month": start = calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? date
            case "year": start = calendar.date(from: calendar.dateComponents([.year], from: date)) ?? date
            default: start = date
            }
            return .int(Int64(start.timeIntervalSince1970))
        case nil:
            switch g.field.type {
            case .boolean: return value.int.map { .bool($0 != 0) } ?? .bool(false)
            case .integer, .many2one: return value.int.map { .int($0) } ?? .null
            case .float: return value.double.map { .double($0) } ?? .null
            case .datetime: return value.int.map { .string(Clock.odooString($0)) } ?? .null
            default: return value.text.map { .string($0) } ?? .null
            }
        }
    }

    static let utc: Calendar = {
        var c = Calendar(identifier: .iso8601)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// The period's bounds in microseconds.
    static func range(_ start: Int64, _ granularity: String) -> (Micros, Micros) {
        let date = Date(timeIntervalSince1970: Double(start))
        let component: Calendar.Component =
            switch granularity {
            case "hour": .hour
            case "day": .day
            case "week": .weekOfYear
            case "month": .month
            default: .year
            }
        let end = utc.date(byAdding: component, value: 1, to: date) ?? date
        return (start * 1_000_000, Int64(end.timeIntervalSince1970) * 1_000_000)
    }

    /// Odoo's labels: "29 Nov 2026", "W48 2026", "November 2026", "2026", "10:00 29 Nov".
    static func label(_ start: Int64, _ granularity: String) -> String {
        let date = Date(timeIntervalSince1970: Double(start))
        if granularity == "week" {
            let c = utc.dateComponents([.weekOfYear, .yearForWeekOfYear], from: date)
            return "W\(c.weekOfYear ?? 0) \(c.yearForWeekOfYear ?? 0)"
        }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat =
            switch granularity {
            case "hour": "HH:00 dd MMM"
            case "day": "dd MMM yyyy"
            case "month": "MMMM yyyy"
            default: "yyyy"
            }
        return f.string(from: date)
    }

    static func sortKey(_ key: JSONValue, _ names: [Int64: String]?) -> JSONValue {
        if let names, let id = key.intValue { return .string(names[id] ?? "") }
        return key
    }

    /// Empty groups first, as Odoo orders NULLs in ascending order.
    static func less(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return false
        case (.null, _): return true
        case (_, .null): return false
        case let (.int(x), .int(y)): return x < y
        case let (.double(x), .double(y)): return x < y
        case let (.bool(x), .bool(y)): return !x && y
        default: return (a.stringValue ?? "\(a)") < (b.stringValue ?? "\(b)")
        }
    }
}
