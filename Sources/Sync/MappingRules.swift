import Core

/// What a mapping must be to run, checked when it is saved: it reads, every lookup goes through a
/// mapping of the same instance, lookups never go round in a circle (a sync waits for the records it
/// looks up, so a circle would wait for itself), and no two active mappings sync the same Zoho module.
public enum MappingRules {
    /// Problems with `name` among all of its instance's stored mappings, in words that say what to change.
    public static func problems(of name: String, among stored: [(json: JSONValue, active: Bool)]) -> [String] {
        guard let mine = stored.first(where: { $0.json["name"]?.stringValue == name }) else { return [] }
        let mapping: Mapping
        do {
            mapping = try Mapping(json: MappingBook.hasPairs(mine.json) ? mine.json : withMatchPair(mine.json))
        } catch {
            return [String(describing: error)]
        }
        var problems: [String] = []
        let byName = Dictionary(stored.map { ($0.json["name"]?.stringValue ?? "", $0) }) { first, _ in first }
        for target in lookups(mine.json) where byName[target] == nil {
            problems.append("mapping \(name) looks a field up through mapping \(target), which this instance does not have: name one of its mappings")
        }
        if let circle = circle(from: name, byName: byName) {
            problems.append("mappings look each other up in a circle (\(circle.joined(separator: " → "))): one of them must leave its lookup out")
        }
        if mine.active {
            for other in stored where other.active && other.json["name"]?.stringValue != name {
                guard other.json["app"]?.stringValue == mapping.app, other.json["object"]?.stringValue == mapping.object else { continue }
                let otherName = other.json["name"]?.stringValue ?? "?"
                problems.append("\(mapping.app) \(mapping.object) is already synced by mapping \(otherName): switch one of the two off")
            }
        }
        return problems
    }

    /// A mapping is saved before its pairs are added, and runs once it has one: until then its other
    /// settings are checked as if the match keys were its one pair.
    static func withMatchPair(_ json: JSONValue) -> JSONValue {
        guard case .object(var o) = json else { return json }
        o["fields"] = [["odoo": o["match_odoo"] ?? "", "zoho": o["match_zoho"] ?? ""]]
        return .object(o)
    }

    /// The mappings a stored mapping's lookups go through (other than itself: a company's parent company).
    static func lookups(_ json: JSONValue) -> [String] {
        let name = json["name"]?.stringValue
        let targets = (json["fields"]?.arrayValue ?? []).compactMap { pair -> String? in
            pair["transform"]?.stringValue == "lookup" ? pair["mapping"]?.stringValue : nil
        }
        return Array(Set(targets.filter { $0 != name })).sorted()
    }

    /// A path of lookups from `start` back to itself, if there is one.
    static func circle(from start: String, byName: [String: (json: JSONValue, active: Bool)]) -> [String]? {
        var path = [start]
        var seen: Set<String> = []
        func walk(_ name: String) -> Bool {
            for next in lookups(byName[name]?.json ?? .null) {
                if next == start {
                    path.append(next)
                    return true
                }
                guard seen.insert(next).inserted else { continue }
                path.append(next)
                if walk(next) { return true }
                path.removeLast()
            }
            return false
        }
        return walk(start) ? path : nil
    }
}
