import Core
import Foundation
import Hummingbird
import NIOCore
import OdooRPC

/// A small Odoo for CI, where a real one cannot run: `/jsonrpc` (and, from series 19, JSON-2 and
/// `/web/version`) for `res.partner`, `res.country` and the CRM models of `StandInModels.swift`, as
/// `../shared/odoo-facts.md` describes the wire (empty values are `false`, many2one values `[id, name]`,
/// many2many values lists of ids, `write_date` to the second, archived records hidden unless asked,
/// errors in Odoo's envelope with HTTP 200). Like the addon, it forwards writes made without
/// `zoho_skip_push` to a callback after "commit", so tests can see every echo the sidecar would cause.
public actor OdooStandIn {
    public struct Write: Sendable {
        public let operation: String
        public let model: String
        public let ids: [Int64]
        public let values: [String: JSONValue]
        public let skipPush: Bool
    }

    public static let database = "standin"
    public static let login = "admin"
    public static let uid: Int64 = 2

    let apiKey: String
    /// The Odoo major version it plays: 17, 18 or 19 (no `mobile` on partners, JSON-2).
    public let series: Int
    /// The model fields of that series: name → type (`many2one:<comodel>` for many2one).
    let fields: [String: [String: String]]
    /// Requests per door: "jsonrpc", "json2", "version" (`/web/version`).
    public private(set) var requests: [String: Int] = [:]
    var tables: [String: [Int64: [String: JSONValue]]]
    var nextID: [String: Int64]
    /// Every write, in order, with whether it carried `zoho_skip_push`.
    public private(set) var writes: [Write] = []
    /// Writes that changed nothing (every value already as written): an echo, seen from Odoo.
    public private(set) var noopWrites = 0
    /// What the addon does after commit: tell the sidecar which records changed.
    var forward: (@Sendable (_ model: String, _ ids: [Int64], _ operation: String, _ values: [String: JSONValue]) async -> Void)?
    /// Runs just before a write made with zoho_skip_push is applied: lets a test land a person's edit in
    /// the moment between the sidecar's last read and its write.
    var beforeSidecarWrite: (@Sendable (_ ids: [Int64], _ values: [String: JSONValue]) async -> Void)?
    /// Runs after a search_read has taken its rows and before it answers, until it returns true: lets a
    /// test land a person's edit just after the sidecar read the record, and hold the sync there a while.
    var afterSearchRead: (@Sendable (_ model: String, _ domain: JSONValue) async -> Bool)?

    public init(apiKey: String, series: Int = 17) {
        self.apiKey = apiKey
        self.series = series
        var fields = Self.fields17
        if series >= 19 { fields["res.partner"]?["mobile"] = nil }
        self.fields = fields
        Secrets.register(apiKey)
        tables = Self.seed
        // A test's records get ids from 100, clear of the seeded ones.
        nextID = tables.mapValues { _ in 100 }
    }

    /// Down: every request gets 503, as from a proxy in front of a stopped Odoo (reliability tests).
    public private(set) var down = false
    public func setDown(_ down: Bool) { self.down = down }

    public func setForward(_ f: (@Sendable (_ model: String, _ ids: [Int64], _ operation: String, _ values: [String: JSONValue]) async -> Void)?) {
        forward = f
    }
    public func resetWrites() { writes = [] }
    public func setBeforeSidecarWrite(_ f: (@Sendable (_ ids: [Int64], _ values: [String: JSONValue]) async -> Void)?) { beforeSidecarWrite = f }
    public func setAfterSearchRead(_ f: (@Sendable (_ model: String, _ domain: JSONValue) async -> Bool)?) { afterSearchRead = f }

    /// A record as `read` returns it (many2one as `[id, name]`, empty as `false`), archived ones included.
    public func record(_ model: String, _ id: Int64) -> [String: JSONValue]? { tables[model]?[id].map { present(model, $0, fields: nil) } }
    public func all(_ model: String) -> [[String: JSONValue]] { (tables[model] ?? [:]).keys.sorted().compactMap { record(model, $0) } }

    // MARK: fields

    var now: String { Clock.odooString(Clock.now()) }

    func insert(_ model: String, _ values: [String: JSONValue]) throws -> Int64 {
        let id = nextID[model]!
        nextID[model] = id + 1
        var row: [String: JSONValue] = ["id": .int(id), "create_date": .string(now), "write_date": .string(now)]
        if fields[model]?["active"] != nil { row["active"] = true }
        if model == "res.partner" {
            row["is_company"] = false
            row["company_id"] = .int(1)
            row["type"] = "contact"
        }
        for (k, v) in values { row[k] = try stored(model, k, v) }
        tables[model]![id] = row
        if model == "res.partner" { syncAddress(id, values) }
        return id
    }

    /// Odoo's address rule for partners (res.partner `_fields_sync`): a contact of type "contact" given
    /// a parent takes the parent's address when the parent has one; an address written to a partner is
    /// written to its contacts of type "contact" too (through the ORM's base write: no forwarding).
    static let addressFields = ["street", "city", "zip", "country_id"]

    func syncAddress(_ id: Int64, _ values: [String: JSONValue]) {
        guard let row = tables["res.partner"]![id] else { return }
        if values["parent_id"] != nil || values["type"] == "contact", let parent = row["parent_id"]?.intValue,
            row["type"] == "contact", let parentRow = tables["res.partner"]![parent],
            Self.addressFields.contains(where: { !(parentRow[$0] ?? .null).isNull })
        {
            for f in Self.addressFields { tables["res.partner"]![id]![f] = parentRow[f] ?? .null }
        }
        let changed = Self.addressFields.filter { values[$0] != nil }
        guard !changed.isEmpty else { return }
        let address = tables["res.partner"]![id]!
        for (child, childRow) in tables["res.partner"]! where childRow["parent_id"]?.intValue == id && childRow["type"] == "contact" {
            for f in changed { tables["res.partner"]![child]![f] = address[f] ?? .null }
            tables["res.partner"]![child]!["write_date"] = .string(now)
        }
    }

    /// many2one values are stored as ids; `false` and `null` as absent.
    static func stored(_ v: JSONValue) -> JSONValue {
        if v == false || v.isNull { return .null }
        if let list = v.arrayValue, let id = list.first?.intValue { return .int(id) }
        return v
    }

    /// A value written to a field, as kept: a many2many takes Odoo's Command.set, `[[6, 0, ids]]`.
    func stored(_ model: String, _ field: String, _ v: JSONValue) throws -> JSONValue {
        guard fields[model]?[field]?.hasPrefix("many2many:") == true else { return Self.stored(v) }
        guard let command = v.arrayValue?.first?.arrayValue, v.arrayValue?.count == 1, command.count == 3, command[0] == 6,
            let ids = command[2].arrayValue?.compactMap(\.intValue)
        else { throw OdooFault(.valueError, "the stand-in takes [[6, 0, ids]] for \(model).\(field), got \(v.serialized())") }
        return .array(ids.map { .int($0) })
    }

    func present(_ model: String, _ row: [String: JSONValue], fields: [String]?) -> [String: JSONValue] {
        let spec = self.fields[model]!
        let names = fields.flatMap { $0.isEmpty ? nil : $0 } ?? spec.keys.sorted()
        var out: [String: JSONValue] = ["id": row["id"]!]
        for f in names where spec[f] != nil {
            let kind = spec[f]!
            let value = row[f] ?? .null
            if f == "display_name" {
                out[f] = row["name"] ?? false
            } else if kind.hasPrefix("many2one:") {
                let target = String(kind.dropFirst("many2one:".count))
                if let id = value.intValue {
                    let name = target == "res.company" ? .string("My Company") : (tables[target]?[id]?["name"] ?? .string("?"))
                    out[f] = [.int(id), name]
                } else {
                    out[f] = false
                }
            } else if kind.hasPrefix("many2many:") {
                out[f] = value.isNull ? [] : value
            } else if kind == "boolean" {
                out[f] = .bool(value.boolValue ?? false)
            } else {
                out[f] = value.isNull ? false : value
            }
        }
        return out
    }

    // MARK: the ORM methods

    public func execute(_ model: String, _ method: String, _ args: [JSONValue], _ kwargs: [String: JSONValue]) async throws -> JSONValue {
        if model == "res.users", method == "context_get" { return ["lang": "en_US", "tz": false, "uid": .int(Self.uid)] }
        guard let spec = fields[model] else { throw OdooFault(.userError, "Object \(model) doesn't exist") }
        let context = kwargs["context"]?.objectValue ?? [:]
        let skip = context["zoho_skip_push"]?.boolValue == true
        func ids(_ v: JSONValue?) -> [Int64] { v?.arrayValue?.compactMap(\.intValue) ?? v?.intValue.map { [$0] } ?? [] }
        func checkExists(_ list: [Int64]) throws {
            let missing = list.filter { tables[model]![$0] == nil }
            if !missing.isEmpty {
                throw OdooFault(
                    .missingError,
                    "Record does not exist or has been deleted.\n(Record: \(model)(\(missing.map(String.init).joined(separator: ", "))), User: 2)"
                )
            }
        }
        switch method {
        case "search", "search_read", "search_count":
            let domain = args.first ?? kwargs["domain"] ?? []
            let filter = try StandInDomain(domain, model: model, spec: spec, activeTest: context["active_test"]?.boolValue ?? true)
            var matched = tables[model]!.values.filter(filter.test)
            let order = StandInOrder(kwargs["order"]?.stringValue ?? "id")
            matched.sort(by: order.less)
            if method == "search_count" { return .int(Int64(matched.count)) }
            let offset = kwargs["offset"]?.intValue.map(Int.init) ?? 0
            matched = Array(matched.dropFirst(offset))
            if let limit = kwargs["limit"]?.intValue, limit > 0 { matched = Array(matched.prefix(Int(limit))) }
            if method == "search" { return .array(matched.map { $0["id"]! }) }
            let fields = (args.count > 1 ? args[1] : kwargs["fields"])?.arrayValue?.compactMap(\.stringValue)
            try Self.checkFields(model, fields ?? [], spec: spec)
            let rows = JSONValue.array(matched.map { .object(present(model, $0, fields: fields)) })
            if let hook = afterSearchRead, await hook(model, domain) { afterSearchRead = nil }
            return rows
        case "read":
            let list = ids(args.first ?? kwargs["ids"])
            try checkExists(list)
            let fields = (args.count > 1 ? args[1] : kwargs["fields"])?.arrayValue?.compactMap(\.stringValue)
            try Self.checkFields(model, fields ?? [], spec: spec)
            return .array(list.map { .object(present(model, tables[model]![$0]!, fields: fields)) })
        case "create":
            let input = args.first ?? kwargs["vals_list"] ?? kwargs["vals"] ?? [:]
            let list = input.arrayValue ?? [input]
            var created: [Int64] = []
            for v in list {
                guard let values = v.objectValue else { throw OdooFault(.valueError, "create expects a dict or a list of dicts") }
                try Self.checkFields(model, values.keys, spec: spec)
                if model == "res.partner", (values["name"]?.stringValue ?? "").isEmpty, values["is_company"]?.boolValue == true {
                    throw OdooFault(.validationError, "Contacts require a name")
                }
                created.append(try insert(model, values))
            }
            writes.append(Write(operation: "create", model: model, ids: created, values: list.first?.objectValue ?? [:], skipPush: skip))
            await after(model, created, "create", values: [:], skip: skip)
            return input.arrayValue != nil ? .array(created.map { .int($0) }) : .int(created[0])
        case "write":
            let list = ids(args.first ?? kwargs["ids"])
            guard let values = (args.count > 1 ? args[1] : kwargs["vals"])?.objectValue else { throw OdooFault(.valueError, "write expects values") }
            if skip, let hook = beforeSidecarWrite { await hook(list, values) }
            try checkExists(list)
            try Self.checkFields(model, values.keys, spec: spec)
            if try list.allSatisfy({ id in try values.allSatisfy { k, v in (tables[model]![id]![k] ?? .null) == (try stored(model, k, v)) } }) {
                noopWrites += 1
            }
            for id in list {
                for (k, v) in values { tables[model]![id]![k] = try stored(model, k, v) }
                tables[model]![id]!["write_date"] = .string(now)
                if model == "res.partner" { syncAddress(id, values) }
            }
            writes.append(Write(operation: "write", model: model, ids: list, values: values, skipPush: skip))
            await after(model, list, "write", values: values, skip: skip)
            return true
        case "unlink":
            let list = ids(args.first ?? kwargs["ids"])
            try checkExists(list)
            for id in list { tables[model]![id] = nil }
            writes.append(Write(operation: "unlink", model: model, ids: list, values: [:], skipPush: skip))
            await after(model, list, "unlink", values: [:], skip: skip)
            return true
        case "fields_get":
            // As Odoo answers it: the type, and for a relational field the model it points to.
            return .object(
                spec.mapValues { kind in
                    let parts = kind.split(separator: ":", maxSplits: 1).map(String.init)
                    var field: [String: JSONValue] = ["type": .string(parts[0]), "string": .string(kind)]
                    if parts.count == 2 { field["relation"] = .string(parts[1]) }
                    return .object(field)
                }
            )
        default:
            throw OdooFault(.valueError, "The method '\(method)' does not exist on the model '\(model)'")
        }
    }

    static func checkFields(_ model: String, _ names: some Sequence<String>, spec: [String: String]) throws {
        for name in names where spec[name] == nil {
            throw OdooFault(.valueError, "Invalid field '\(name)' on model '\(model)'")
        }
    }

    /// The addon's post-commit forwarding (with the values written), skipped for the sidecar's own writes:
    /// partners always, and the models a shipped mapping can name (the sidecar makes no job for a model no
    /// active mapping names, as the addon stops forwarding it).
    func after(_ model: String, _ ids: [Int64], _ operation: String, values: [String: JSONValue], skip: Bool) async {
        guard !skip, Self.forwarded.contains(model), let forward, !ids.isEmpty else { return }
        Task { await forward(model, ids, operation, values) }
    }

    static let forwarded: Set<String> = ["res.partner", "crm.lead", "product.template"]

    // MARK: entry points

    func rpc(_ service: String, _ method: String, _ args: [JSONValue]) async throws -> JSONValue {
        switch (service, method) {
        case ("common", "version"):
            let version = JSONValue.string("\(series).0")
            return ["server_version": version, "server_version_info": versionInfo, "server_serie": version, "protocol_version": 1]
        case ("common", "login"), ("common", "authenticate"):
            guard args.count >= 3, args[0].stringValue == Self.database, args[1].stringValue == Self.login, args[2].stringValue == apiKey else {
                return false
            }
            return .int(Self.uid)
        case ("object", "execute_kw"), ("object", "execute"):
            guard args.count >= 5, args[0].stringValue == Self.database, args[1].intValue == Self.uid, args[2].stringValue == apiKey else {
                throw OdooFault.accessDenied()
            }
            return try await execute(
                args[3].stringValue ?? "",
                args[4].stringValue ?? "",
                args.count > 5 ? args[5].arrayValue ?? [] : [],
                args.count > 6 ? args[6].objectValue ?? [:] : [:]
            )
        default:
            throw OdooFault(.keyError, "'\(service)'")
        }
    }

    nonisolated var versionInfo: JSONValue { [.int(Int64(series)), 0, 0, "final", 0, ""] }

    func count(_ door: String) { requests[door, default: 0] += 1 }

    func json2(_ model: String, _ method: String, bearer: String?, body: JSONValue) async throws -> JSONValue {
        guard bearer == apiKey else { throw OdooFault.accessDenied() }
        var kwargs = body.objectValue ?? [:]
        var args: [JSONValue] = []
        switch method {
        case "search", "search_read", "search_count": args = [kwargs.removeValue(forKey: "domain") ?? []]
        case "read", "write", "unlink":
            args = [kwargs.removeValue(forKey: "ids") ?? []]
            if method == "write" { args.append(kwargs.removeValue(forKey: "vals") ?? [:]) }
        case "create": args = [kwargs.removeValue(forKey: "vals_list") ?? []]
        default: break
        }
        return try await execute(model, method, args, kwargs)
    }

    /// The HTTP surface on 127.0.0.1; `onRunning` receives the bound port.
    public func application(port: Int = 0, onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: Availability(standIn: self))
        router.post("/jsonrpc") { request, _ -> Response in
            await self.count("jsonrpc")
            let body = try? JSONValue.parse(try await request.body.collect(upTo: 16 << 20).readableBytesView)
            let id = body?["id"] ?? .null
            do {
                let params = body?["params"]
                let result = try await self.rpc(
                    params?["service"]?.stringValue ?? "",
                    params?["method"]?.stringValue ?? "",
                    params?["args"]?.arrayValue ?? []
                )
                return Self.json(Envelope.result(id: id, result))
            } catch let fault as OdooFault {
                return Self.json(Envelope.error(id: id, fault))
            }
        }
        guard series >= 19 else { return application(router, port: port, onRunning: onRunning) }
        router.get("/web/version") { _, _ -> Response in
            await self.count("version")
            return Self.json(["version_info": self.versionInfo, "version": .string("\(self.series).0")])
        }
        router.post("/json/2/:model/:method") { request, context -> Response in
            await self.count("json2")
            let body = (try? JSONValue.parse(try await request.body.collect(upTo: 16 << 20).readableBytesView)) ?? [:]
            let bearer = request.headers[.authorization].flatMap { $0.split(separator: " ", maxSplits: 1).last.map(String.init) }
            do {
                return Self.json(
                    try await self.json2(context.parameters.get("model") ?? "", context.parameters.get("method") ?? "", bearer: bearer, body: body)
                )
            } catch let fault as OdooFault {
                return Self.json(fault.data, status: HTTPResponse.Status(code: fault.httpStatus))
            }
        }
        return application(router, port: port, onRunning: onRunning)
    }

    func application(
        _ router: Router<BasicRequestContext>,
        port: Int,
        onRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "odoo-standin"),
            onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }
        )
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serializedBytes()))
        )
    }
}

/// Answers 503 while the stand-in is down.
struct Availability<Context: RequestContext>: RouterMiddleware {
    let standIn: OdooStandIn

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if await standIn.down {
            return Response(
                status: .serviceUnavailable,
                headers: [.contentType: "text/html"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "<h1>503 Service Unavailable</h1>"))
            )
        }
        return try await next(request, context)
    }
}
