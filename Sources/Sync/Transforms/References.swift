import Core
import OdooRPC
import ZohoAPI

/// Odoo records of one model found by one kind of key (display name or xml id): key → id, id → key.
struct RecordIndex: Sendable {
    var ids: [String: Int64] = [:]
    var keys: [Int64: String] = [:]

    /// Of two records with one key, the lowest id stands for it, so the choice is the same every sync.
    mutating func add(_ key: String, _ id: Int64) {
        keys[id] = key
        if let known = ids[key], known < id { return }
        ids[key] = id
    }
}

extension Lookups {
    /// A record's display name for messages, or its id when no record at hand showed the name.
    func displayName(_ model: String, _ id: Int64) -> String { displayNames[model]?[id] ?? "#\(id)" }
}

/// What a mapping's many2one, tag and user pairs name in the records of one sync pass.
struct Wanted {
    /// Per `RecordTable.index`: the model, the kind of key, keys to find and ids to name.
    var records: [String: (model: String, key: Mapping.FieldPair.RecordTable.Key, keys: Set<String>, ids: Set<Int64>)] = [:]
    var userIDs = Set<Int64>()
    var userEmails = Set<String>()
    /// Zoho's users are read only when an Odoo user goes to Zoho, or a Zoho owner comes without an email.
    var zohoUsers = false

    init(_ m: Mapping, odoo: [JSONValue], zoho: [JSONValue], names: inout [String: [Int64: String]]) {
        for p in m.fields {
            let odooValues = odoo.compactMap { $0[p.odoo] }
            let zohoValues = zoho.compactMap { $0[p.zoho[0]] }
            // Odoo shows a many2one as [id, display name]: kept for messages about records outside a table.
            let referenced = odooValues.compactMap { v in v[0]?.intValue.map { (v, $0) } }
            switch p.transform {
            case .many2one(let table):
                for (value, id) in referenced { names[table.model, default: [:]][id] = value[1]?.stringValue }
                records[table.index, default: (table.model, table.key, [], [])].keys.formUnion(table.values.keys)
                if table.key == .name { records[table.index]?.ids.formUnion(referenced.map(\.1)) }
            case .tags(let model):
                let index = Mapping.FieldPair.RecordTable.index(model, .name)
                records[index, default: (model, .name, [], [])].keys.formUnion(zohoValues.flatMap { $0.arrayValue?.compactMap(\.stringValue) ?? [] })
                records[index]?.ids.formUnion(odooValues.flatMap { $0.arrayValue?.compactMap(\.intValue) ?? [] })
            case .user:
                userIDs.formUnion(referenced.map(\.1))
                let emails = zohoValues.compactMap { $0["email"]?.stringValue?.lowercased() }
                userEmails.formUnion(emails)
                zohoUsers = zohoUsers || (p.toZoho && !referenced.isEmpty) || emails.count < zohoValues.filter({ !$0.isNull }).count
            default:
                continue
            }
        }
    }
}

extension SyncEngine {
    /// Resolves what the mapping's many2one, tag and user pairs name for the records at hand: one read
    /// per Odoo model, and one listing of Zoho's users, per sync pass; never one call per record.
    func resolveReferences(
        _ m: Mapping,
        instance: Instance,
        client: OdooClient,
        odoo: [JSONValue],
        zoho: [JSONValue],
        into l: inout Lookups
    ) async throws {
        let wanted = Wanted(m, odoo: odoo, zoho: zoho, names: &l.displayNames)
        for (index, w) in wanted.records.sorted(by: { $0.key < $1.key }) where !w.keys.isEmpty || !w.ids.isEmpty {
            switch w.key {
            case .name:
                let rows = try await client.searchRead(
                    w.model,
                    domain: Self.anyOf(
                        Self.leaf("id", in: w.ids.sorted().map { .int($0) }) + Self.leaf("display_name", in: w.keys.sorted().map { .string($0) })
                    ),
                    fields: ["display_name"],
                    context: ["active_test": false]
                )
                for row in rows {
                    guard let id = row["id"]?.intValue, let name = row["display_name"]?.stringValue else { continue }
                    l.records[index, default: RecordIndex()].add(name, id)
                    l.displayNames[w.model, default: [:]][id] = name
                }
            case .xmlID:
                let names = w.keys.compactMap { $0.split(separator: ".", maxSplits: 1).last.map(String.init) }
                let rows = try await client.searchRead(
                    "ir.model.data",
                    domain: [["model", "=", .string(w.model)], ["name", "in", .array(Set(names).sorted().map { .string($0) })]],
                    fields: ["module", "name", "res_id"]
                )
                for row in rows {
                    guard let module = row["module"]?.stringValue, let name = row["name"]?.stringValue, let id = row["res_id"]?.intValue,
                        w.keys.contains("\(module).\(name)")
                    else { continue }
                    l.records[index, default: RecordIndex()].add("\(module).\(name)", id)
                }
            }
        }
        guard !wanted.userIDs.isEmpty || !wanted.userEmails.isEmpty else { return }
        // Odoo compares `in` with letter case: each address is asked for with =ilike, and matched exactly below.
        let byEmail: [JSONValue] = wanted.userEmails.sorted().flatMap { email in
            [["login", "=ilike", .string(email)], ["email", "=ilike", .string(email)]]
        }
        let users = try await client.searchRead(
            "res.users",
            domain: Self.anyOf(Self.leaf("id", in: wanted.userIDs.sorted().map { .int($0) }) + byEmail),
            fields: ["name", "login", "email", "active"],
            context: ["active_test": false]
        )
        for row in users {
            guard let id = row["id"]?.intValue else { continue }
            let email = row["email"]?.stringValue?.lowercased()
            let login = row["login"]?.stringValue?.lowercased()
            let addresses = [email, login == email ? nil : login].compactMap { $0 }.filter { $0.contains("@") }
            l.users.odoo[id] = UserDirectory.OdooUser(
                name: row["name"]?.stringValue ?? "#\(id)",
                emails: addresses,
                active: row["active"]?.boolValue ?? true
            )
        }
        if wanted.zohoUsers { try await zohoUsers(instance, into: &l.users) }
    }

    /// CRM's users, page by page (200 a page).
    func zohoUsers(_ instance: Instance, into users: inout UserDirectory) async throws {
        var page = 1
        while true {
            let exchange = try await zoho.client.call(
                instance.id,
                .crm,
                .GET,
                "/crm/v8/users",
                query: [("type", "AllUsers"), ("page", String(page)), ("per_page", "200")]
            )
            for user in exchange.json?["users"]?.arrayValue ?? [] {
                guard let id = user["id"]?.stringValue, let email = user["email"]?.stringValue?.lowercased() else { continue }
                users.zohoEmail[id] = email
                users.zohoByEmail[email] = users.zohoByEmail[email] ?? id
            }
            guard exchange.json?["info"]?["more_records"]?.boolValue == true else { return }
            page += 1
        }
    }

    /// A domain matching any of the leaves.
    static func anyOf(_ leaves: [JSONValue]) -> JSONValue {
        .array(Array(repeating: "|", count: max(leaves.count - 1, 0)) + leaves)
    }

    /// The leaf `field in values`, or none when there are no values (Odoo's `in []` matches nothing anyway).
    static func leaf(_ field: String, in values: [JSONValue]) -> [JSONValue] {
        values.isEmpty ? [] : [[.string(field), "in", .array(values)]]
    }
}
