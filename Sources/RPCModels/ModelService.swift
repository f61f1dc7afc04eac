import Core
import Foundation
import OdooRPC
import Store
import Sync

/// Odoo's ORM methods (`search`, `read`, `create`, …) over the sidecar's models, on either engine.
public struct ModelService: Sendable {
    public let store: any Store
    public let registry: ModelRegistry
    public let vault: Vault
    public let components: Components
    /// Where reads go: the store, or inside a read-only call the snapshot it runs in.
    let reader: any SQLExecutor

    public init(store: any Store, registry: ModelRegistry, vault: Vault, components: Components = Components()) {
        self.store = store
        self.registry = registry
        self.vault = vault
        var components = components
        if components.mappings == nil { components.mappings = MappingBook(store: store) }
        self.components = components
        self.reader = store
    }

    private init(_ service: ModelService, reader: any SQLExecutor) {
        self.store = service.store
        self.registry = service.registry
        self.vault = service.vault
        self.components = service.components
        self.reader = reader
    }

    /// The ORM methods that only read: each call runs in one snapshot (see `Store.snapshot`).
    static let readOnly: Set<String> = ["search", "search_count", "search_read", "read", "name_search", "read_group"]

    /// Positional parameter names per method, so `execute_kw` args and JSON-2 named args meet in one shape.
    static let signatures: [String: [String]] = [
        "search": ["domain", "offset", "limit", "order", "count"],
        "search_read": ["domain", "fields", "offset", "limit", "order"],
        "search_count": ["domain", "limit"],
        "read": ["ids", "fields", "load"],
        "create": ["vals_list"],
        "write": ["ids", "vals"],
        "unlink": ["ids"],
        "fields_get": ["allfields", "attributes"],
        "name_search": ["name", "args", "operator", "limit"],
        "default_get": ["fields_list"],
        "read_group": ["domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"],
    ]

    /// Merges positional `args` into named arguments by the method's signature.
    public func namedArguments(model: String, method: String, args: [JSONValue], kwargs: [String: JSONValue]) -> [String: JSONValue] {
        var named = kwargs
        let names = Self.signatures[method] ?? registry.parameters[model]?[method] ?? ["ids"]
        for (i, a) in args.enumerated() {
            if i < names.count { named[names[i]] = a } else { named["args", default: .array([])] = .array((named["args"]?.arrayValue ?? []) + [a]) }
        }
        return named
    }

    /// Dispatches one call. `arguments` are named (see `namedArguments`). A read answers from one
    /// snapshot, as Odoo answers each request inside one transaction: the ids a `search_read`
    /// finds are the ones it reads, however many commits land meanwhile.
    public func call(model modelName: String, method: String, arguments: [String: JSONValue], env: Env) async throws -> JSONValue {
        guard let model = registry.model(modelName) else {
            throw OdooFault(.keyError, modelName)
        }
        guard Self.readOnly.contains(method) else {
            return try await dispatch(model, method: method, arguments: arguments, env: env)
        }
        let service = self
        return try await store.snapshot { reader in
            try await ModelService(service, reader: reader).dispatch(model, method: method, arguments: arguments, env: env)
        }
    }

    private func dispatch(_ model: Model, method: String, arguments: [String: JSONValue], env: Env) async throws -> JSONValue {
        switch method {
        case "search":
            let ids = try await search(
                model,
                domain: try Domain.parse(arguments["domain"]),
                offset: try bound(arguments, "offset"),
                limit: try bound(arguments, "limit"),
                order: arguments["order"]?.stringValue,
                env: env
            )
            return arguments["count"]?.boolValue == true ? .int(Int64(ids.count)) : .array(ids.map { .int($0) })
        case "search_count":
            return .int(try await count(model, domain: try Domain.parse(arguments["domain"]), limit: try bound(arguments, "limit"), env: env))
        case "search_read":
            let ids = try await search(
                model,
                domain: try Domain.parse(arguments["domain"]),
                offset: try bound(arguments, "offset"),
                limit: try bound(arguments, "limit"),
                order: arguments["order"]?.stringValue,
                env: env
            )
            return .array(try await read(model, ids: ids, fields: try fieldList(arguments["fields"]), env: env))
        case "read":
            return .array(try await read(model, ids: try ids(arguments["ids"]), fields: try fieldList(arguments["fields"]), env: env))
        case "create":
            let value = arguments["vals_list"] ?? arguments["vals"] ?? .null
            if let list = value.arrayValue {
                return .array(try await create(model, list.map(vals), env: env).map { .int($0) })
            }
            return .int(try await create(model, [try vals(value)], env: env)[0])
        case "write":
            try await write(model, ids: try ids(arguments["ids"]), values: try vals(arguments["vals"] ?? .null), env: env)
            return true
        case "unlink":
            try await unlink(model, ids: try ids(arguments["ids"]), env: env)
            return true
        case "fields_get":
            return fieldsGet(model, fields: try fieldList(arguments["allfields"]), attributes: try fieldList(arguments["attributes"]))
        case "name_search":
            return try await nameSearch(
                model,
                name: arguments["name"]?.stringValue ?? "",
                domain: try Domain.parse(arguments["args"]),
                limit: try bound(arguments, "limit") ?? 100,
                env: env
            )
        case "default_get":
            return defaultGet(model, fields: try fieldList(arguments["fields_list"]) ?? [], env: env)
        case "read_group":
            let groupby = arguments["groupby"].flatMap { $0.stringValue.map { [$0] } ?? $0.arrayValue?.compactMap(\.stringValue) } ?? []
            return try await readGroup(
                model,
                domain: try Domain.parse(arguments["domain"]),
                domainJSON: arguments["domain"] ?? [],
                fields: try fieldList(arguments["fields"]) ?? [],
                groupby: groupby,
                offset: try bound(arguments, "offset"),
                limit: try bound(arguments, "limit"),
                orderby: arguments["orderby"]?.stringValue,
                lazy: arguments["lazy"]?.boolValue ?? true,
                env: env
            )
        default:
            guard let action = registry.action(method, on: model.name) else {
                throw OdooFault(.valueError, "The method '\(method)' does not exist on the model '\(model.name)'")
            }
            let ids = arguments["ids"].map { (try? self.ids($0)) ?? [] } ?? []
            return try await action(ActionCall(model: model, ids: ids, arguments: arguments, env: env, service: self))
        }
    }

    // MARK: search

    func whereClause(_ model: Model, _ domain: Domain, _ env: Env, _ dialect: Dialect) throws -> SQL {
        var domain = domain
        if model.hasActive, !domain.mentions("active"), env.context["active_test"] != .bool(false) {
            domain = domain == .all ? .leaf(field: "active", op: "=", value: true) : .and(.leaf(field: "active", op: "=", value: true), domain)
        }
        var sql = try DomainCompiler(model: model, registry: registry, dialect: dialect).compile(domain)
        if let companies = env.companies {
            sql = SQL("(") + sql + SQL(") AND company_id IN (") + (companies.isEmpty ? SQL("NULL") : .list(companies.map { .int($0) })) + SQL(")")
        }
        return sql
    }

    func orderClause(_ model: Model, _ order: String?) throws -> String {
        let text = (order?.isEmpty == false ? order! : model.defaultOrder)
        var terms: [String] = []
        for part in text.split(separator: ",") {
            let words = part.split(separator: " ").map { $0.lowercased() }
            guard let name = words.first, let field = model.field(String(name)), field.searchable else {
                throw OdooFault(
                    .valueError,
                    "Invalid \"order\" specified (\(text)). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)"
                )
            }
            var term = field.column
            for w in words.dropFirst() {
                switch w {
                case "asc": term += " ASC"
                case "desc": term += " DESC"
                case "nulls", "first", "last": term += " \(w.uppercased())"
                default: throw OdooFault(.valueError, "Invalid \"order\" specified (\(text))")
                }
            }
            terms.append(term)
        }
        if !terms.contains(where: { $0.hasPrefix("id ") || $0 == "id" }) { terms.append("id") }
        return terms.joined(separator: ", ")
    }

    public func search(_ model: Model, domain: Domain, offset: Int? = nil, limit: Int? = nil, order: String? = nil, env: Env) async throws -> [Int64]
    {
        var sql = SQL("SELECT id FROM \(model.table) WHERE ") + (try whereClause(model, domain, env, store.dialect))
        sql.append(" ORDER BY \(try orderClause(model, order))")
        if let limit, limit >= 0 { sql.append(" LIMIT ?", .int(Int64(limit))) } else if offset != nil { sql.append(" LIMIT ?", .int(Int64.max)) }
        if let offset, offset > 0 { sql.append(" OFFSET ?", .int(Int64(offset))) }
        return try await reader.query(sql).compactMap { $0[0].int }
    }

    public func count(_ model: Model, domain: Domain, limit: Int? = nil, env: Env) async throws -> Int64 {
        var inner = SQL("SELECT id FROM \(model.table) WHERE ") + (try whereClause(model, domain, env, store.dialect))
        if let limit, limit >= 0 { inner.append(" LIMIT ?", .int(Int64(limit))) }
        return try await reader.scalar(SQL("SELECT count(*) FROM (") + inner + SQL(") AS matched")).int ?? 0
    }

    func nameSearch(_ model: Model, name: String, domain: Domain, limit: Int, env: Env) async throws -> JSONValue {
        let named: Domain = name.isEmpty ? domain : .and(.leaf(field: "display_name", op: "ilike", value: .string(name)), domain)
        let ids = try await search(model, domain: named, limit: limit, env: env)
        let rows = try await read(model, ids: ids, fields: ["display_name"], env: env)
        return .array(rows.map { [$0["id"] ?? .null, $0["display_name"] ?? .null] })
    }

    // MARK: read

    public func read(_ model: Model, ids: [Int64], fields requested: [String]?, env: Env) async throws -> [JSONValue] {
        // Field names are checked first, as Odoo does, so a bad list is an error even when nothing matched.
        let names = try (requested?.isEmpty == false ? requested! : model.fields.map(\.name)).map { try model.requireField($0).name }
        guard !ids.isEmpty else { return [] }
        let fields = model.fields.filter { names.contains($0.name) || $0.name == "id" }
        let unique = Array(Set(ids))
        let columns = fields.map { "\($0.type == .secret ? "NULL" : $0.column) AS \($0.name)" } + ["company_id AS __company"]
        let rows = try await reader.query(
            SQL("SELECT \(columns.joined(separator: ", ")) FROM \(model.table) WHERE id IN (") + .list(unique.map { .int($0) }) + SQL(")")
        )
        var byID: [Int64: Row] = [:]
        for r in rows { if let id = r["id"].int { byID[id] = r } }
        let missing = unique.filter { byID[$0] == nil }
        if !missing.isEmpty {
            throw OdooFault(
                .missingError,
                "Record does not exist or has been deleted.\n(Record: \(model.name)(\(missing.map(String.init).joined(separator: ", "))), User: \(env.uid))"
            )
        }
        try checkCompanies(model, rows.map { $0["__company"].int ?? 0 }, env, operation: "read")

        // many2one values are [id, display_name]: one query per related model.
        var names2: [String: [Int64: String]] = [:]
        for f in fields {
            guard case .many2one(let related) = f.type, let other = registry.model(related) else { continue }
            let refs = Array(Set(rows.compactMap { $0[f.name].int }))
            guard !refs.isEmpty else { continue }
            let found = try await reader.query(
                SQL("SELECT id, \(other.displayName) AS name FROM \(other.table) WHERE id IN (") + .list(refs.map { .int($0) }) + SQL(")")
            )
            for r in found { if let id = r["id"].int { names2[f.name, default: [:]][id] = r["name"].text ?? "" } }
        }
        return ids.map { id in
            let row = byID[id]!
            var out: [String: JSONValue] = [:]
            for f in fields { out[f.name] = odooValue(row[f.name], f, names2[f.name]) }
            return .object(out)
        }
    }

    func odooValue(_ value: SQLValue, _ field: Field, _ related: [Int64: String]?) -> JSONValue {
        switch field.type {
        case .integer: return .int(value.int ?? 0)
        case .float: return .double(value.double ?? 0)
        case .boolean: return .bool((value.int ?? 0) != 0)
        case .secret: return false
        case .datetime: return value.int.map { .string(Clock.odooString($0)) } ?? false
        case .json:
            // Stored payloads and exchanges are masked on the way in; masked again on the way out.
            guard let text = value.text else { return false }
            return Secrets.redact((try? JSONValue.parse(text)) ?? .string(text))
        case .text:
            return value.text.map { .string(Secrets.redact($0)) } ?? false
        case .many2one:
            guard let id = value.int else { return false }
            return [.int(id), .string(related?[id] ?? "\(field.name) #\(id)")]
        case .char, .selection:
            return value.text.map { .string($0) } ?? (value.int.map { .string(String($0)) } ?? false)
        }
    }

    func checkCompanies(_ model: Model, _ companies: [Int64], _ env: Env, operation: String) throws {
        if let bad = companies.first(where: { !env.allows(company: $0) }) {
            throw OdooFault(
                .accessError,
                "You cannot \(operation) \(model.name) records of company \(bad): it is not among the allowed companies \(env.companies ?? [])."
            )
        }
    }

    // MARK: create / write / unlink

    public func create(_ model: Model, _ list: [[String: JSONValue]], env: Env) async throws -> [Int64] {
        guard model.canCreate else {
            throw OdooFault(.accessError, "\(model.name) records are created by the sidecar itself; they cannot be created over RPC.")
        }
        let service = self
        let ids = try await store.transaction { tx in
            var ids: [Int64] = []
            for vals in list {
                var values = try service.columnValues(model, vals, creating: true)
                let company = values["company_id"]?.int ?? env.currentCompany
                try service.checkCompanies(model, [company], env, operation: "create")
                values["company_id"] = .int(company)
                let now = Clock.now()
                values["created_at"] = .int(now)
                values["updated_at"] = .int(now)
                try await model.hooks.beforeCreate?(&values, HookContext(tx: tx, vault: service.vault, env: env, components: service.components))
                try service.checkRequired(model, values)
                try await service.checkReferences(model, values, env, tx)
                let keys = values.keys.sorted()
                let sql =
                    SQL("INSERT INTO \(model.table) (\(keys.joined(separator: ", "))) VALUES (") + .list(keys.map { values[$0]! })
                    + SQL(") RETURNING id")
                guard let id = try await tx.query(sql).first?[0].int else {
                    throw OdooFault(.serverError, "insert into \(model.table) returned no id")
                }
                ids.append(id)
            }
            try await model.hooks.afterSave?(ids, HookContext(tx: tx, vault: service.vault, env: env, components: service.components, ids: ids))
            return ids
        }
        model.hooks.afterCreate?(components)
        model.hooks.afterChange?(components)
        return ids
    }

    public func write(_ model: Model, ids: [Int64], values vals: [String: JSONValue], env: Env) async throws {
        guard model.canWrite else { throw OdooFault(.accessError, "\(model.name) records are read-only over RPC.") }
        guard !ids.isEmpty else { return }
        let service = self
        try await store.transaction { tx in
            try await service.checkExisting(model, ids, env, tx, operation: "write")
            var values = try service.columnValues(model, vals, creating: false)
            if let company = values["company_id"]?.int { try service.checkCompanies(model, [company], env, operation: "move to") }
            values["updated_at"] = .int(Clock.now())
            try await model.hooks.beforeWrite?(&values, HookContext(tx: tx, vault: service.vault, env: env, components: service.components, ids: ids))
            try await service.checkReferences(model, values, env, tx)
            for (k, v) in values where v.isNull {
                if let f = model.fields.first(where: { $0.column == k }), f.required {
                    throw OdooFault(.validationError, "The field '\(f.label)' (\(f.name)) of \(model.name) is required.")
                }
            }
            let keys = values.keys.sorted()
            let sets = SQL.joined(keys.map { SQL("\($0) = ?", [values[$0]!]) }, separator: ", ")
            try await tx.execute(SQL("UPDATE \(model.table) SET ") + sets + SQL(" WHERE id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
            try await model.hooks.afterSave?(ids, HookContext(tx: tx, vault: service.vault, env: env, components: service.components, ids: ids))
        }
        model.hooks.afterChange?(components)
    }

    public func unlink(_ model: Model, ids: [Int64], env: Env) async throws {
        guard model.canUnlink else { throw OdooFault(.accessError, "\(model.name) records cannot be deleted over RPC.") }
        guard !ids.isEmpty else { return }
        let service = self
        try await store.transaction { tx in
            try await service.checkExisting(model, ids, env, tx, operation: "delete")
            try await model.hooks.beforeUnlink?(ids, HookContext(tx: tx, vault: service.vault, env: env, components: service.components))
            try await tx.execute(SQL("DELETE FROM \(model.table) WHERE id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
        }
        model.hooks.afterChange?(components)
    }

    /// For actions: every id exists and belongs to an allowed company, or a MissingError/AccessError.
    public func checkAccess(_ model: Model, _ ids: [Int64], _ env: Env, operation: String) async throws {
        guard !ids.isEmpty else { throw OdooFault(.userError, "\(operation) needs at least one record id") }
        try await checkExisting(model, ids, env, store, operation: operation)
    }

    func checkExisting(_ model: Model, _ ids: [Int64], _ env: Env, _ tx: any SQLExecutor, operation: String) async throws {
        let unique = Array(Set(ids))
        let rows = try await tx.query(SQL("SELECT id, company_id FROM \(model.table) WHERE id IN (") + .list(unique.map { .int($0) }) + SQL(")"))
        let found = Set(rows.compactMap { $0["id"].int })
        let missing = unique.filter { !found.contains($0) }
        if !missing.isEmpty {
            throw OdooFault(
                .missingError,
                "Record does not exist or has been deleted.\n(Record: \(model.name)(\(missing.map(String.init).joined(separator: ", "))), User: \(env.uid))"
            )
        }
        try checkCompanies(model, rows.map { $0["company_id"].int ?? 0 }, env, operation: operation)
    }

    func checkRequired(_ model: Model, _ values: [String: SQLValue]) throws {
        for f in model.fields where f.required && f.stored && (values[f.column] ?? .null).isNull {
            throw OdooFault(.validationError, "The field '\(f.label)' (\(f.name)) of \(model.name) is required.")
        }
    }

    /// many2one values must point at an existing record of an allowed company.
    func checkReferences(_ model: Model, _ values: [String: SQLValue], _ env: Env, _ tx: any SQLExecutor) async throws {
        for f in model.fields {
            guard case .many2one(let related) = f.type, let other = registry.model(related), let id = values[f.column]?.int else { continue }
            let rows = try await tx.query(SQL("SELECT company_id FROM \(other.table) WHERE id = ?", [.int(id)]))
            guard let company = rows.first?[0].int else {
                throw OdooFault(.validationError, "\(f.label): \(other.name) record \(id) does not exist.")
            }
            try checkCompanies(other, [company], env, operation: "link to")
        }
    }

    /// Validates RPC values against the model and converts them to column values.
    func columnValues(_ model: Model, _ vals: [String: JSONValue], creating: Bool) throws -> [String: SQLValue] {
        var out: [String: SQLValue] = [:]
        if creating {
            for f in model.fields where f.stored {
                if let d = f.defaultValue, vals[f.name] == nil { out[f.column] = try columnValue(model, f, d) }
            }
        }
        for (name, value) in vals {
            guard let f = model.field(name) else { throw OdooFault(.valueError, "Invalid field '\(name)' on model '\(model.name)'") }
            if f.readonly {
                if f.name == "id" || f.name == "display_name" || f.name == "create_date" || f.name == "write_date" { continue }
                throw OdooFault(.userError, "The field '\(f.label)' (\(name)) of \(model.name) is set by the sidecar and cannot be written.")
            }
            // Secrets read back as false: a client writing back what it read keeps the stored one.
            if f.type == .secret, value.isOdooEmpty { continue }
            out[f.column] = try columnValue(model, f, value)
        }
        return out
    }

    func columnValue(_ model: Model, _ f: Field, _ value: JSONValue) throws -> SQLValue {
        let bad = { (expected: String) in
            OdooFault(.validationError, "Wrong value for \(model.name).\(f.name): \(value.serialized().prefix(80)) (expected \(expected))")
        }
        if value == .bool(false) || value.isNull {
            return f.type == .boolean ? .int(0) : .null
        }
        switch f.type {
        case .integer, .many2one:
            if case .array(let pair) = value, let id = pair.first?.intValue { return .int(id) }
            guard let i = value.intValue, value.stringValue == nil else { throw bad("an integer") }
            return .int(i)
        case .float:
            guard let d = value.doubleValue else { throw bad("a number") }
            return .double(d)
        case .boolean:
            guard let b = value.boolValue else { throw bad("true or false") }
            return .int(b ? 1 : 0)
        case .char, .text:
            guard let s = value.stringValue else { throw bad("text") }
            return .text(s)
        case .selection(let choices):
            guard let s = value.stringValue, choices.contains(where: { $0.value == s }) else {
                throw bad("one of \(choices.map(\.value).joined(separator: ", "))")
            }
            return .text(s)
        case .datetime:
            guard let s = value.stringValue, let t = Clock.parseOdoo(s) else { throw bad("a datetime 'YYYY-MM-DD HH:MM:SS'") }
            return .int(t)
        case .json:
            return .text(value.serialized())
        case .secret:
            guard let s = value.stringValue else { throw bad("text") }
            Secrets.register(s)
            return .blob(try vault.seal(s))
        }
    }

    // MARK: metadata

    public func fieldsGet(_ model: Model, fields: [String]?, attributes: [String]?) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for f in model.fields where fields?.isEmpty != false || fields!.contains(f.name) {
            var d: [String: JSONValue] = [
                "type": .string(f.type.odooName), "string": .string(f.label), "readonly": .bool(f.readonly),
                "required": .bool(f.required), "store": .bool(f.stored), "searchable": .bool(f.searchable),
                "sortable": .bool(f.searchable), "help": f.help.isEmpty ? false : .string(f.help),
                "name": .string(f.name),
            ]
            if case .selection(let choices) = f.type { d["selection"] = .array(choices.map { [.string($0.value), .string($0.label)] }) }
            if case .many2one(let rel) = f.type { d["relation"] = .string(rel) }
            if f.type == .secret { d["write_only"] = true }
            if let attributes, !attributes.isEmpty { d = d.filter { attributes.contains($0.key) } }
            out[f.name] = .object(d)
        }
        return .object(out)
    }

    func defaultGet(_ model: Model, fields: [String], env: Env) -> JSONValue {
        var out: [String: JSONValue] = [:]
        if fields.contains("company_id") { out["company_id"] = .int(env.currentCompany) }
        for f in model.fields where fields.contains(f.name) {
            if let d = f.defaultValue { out[f.name] = d }
        }
        return .object(out)
    }

    // MARK: argument helpers

    /// `limit` or `offset`: a whole number of 0 or more, or absent, false or null for none.
    func bound(_ arguments: [String: JSONValue], _ name: String) throws -> Int? {
        guard let v = arguments[name], v != .bool(false), !v.isNull else { return nil }
        guard v.stringValue == nil, let n = v.intValue, n >= 0 else {
            throw OdooFault(.valueError, "\(name) must be a whole number of 0 or more, or false for none; got \(v.serialized().prefix(40))")
        }
        return Int(n)
    }

    func ids(_ v: JSONValue?) throws -> [Int64] {
        guard let v else { throw OdooFault(.typeError, "missing required argument: 'ids'") }
        if let single = v.intValue { return [single] }
        guard let list = v.arrayValue else { throw OdooFault(.valueError, "ids must be a list of integers") }
        return try list.map {
            guard let i = $0.intValue else { throw OdooFault(.valueError, "ids must be a list of integers, got \($0.serialized().prefix(40))") }
            return i
        }
    }

    func fieldList(_ v: JSONValue?) throws -> [String]? {
        guard let v, v != .bool(false), !v.isNull else { return nil }
        guard let list = v.arrayValue else { throw OdooFault(.valueError, "fields must be a list of field names") }
        return try list.map {
            guard let s = $0.stringValue else { throw OdooFault(.valueError, "fields must be a list of field names") }
            return s
        }
    }

    func vals(_ v: JSONValue) throws -> [String: JSONValue] {
        guard let o = v.objectValue else {
            throw OdooFault(.valueError, "values must be a dictionary of field names to values, got \(v.serialized().prefix(60))")
        }
        return o
    }
}
