import AsyncHTTPClient
import Core
import Foundation
import NIOCore
import Synchronization

/// Where an Odoo is and how to log in. `apiKey` is an Odoo API key (or the password) of `user`.
public struct OdooConnection: Sendable, Equatable {
    public enum API: String, Sendable {
        /// JSON-2 on Odoo 19 and later, `/jsonrpc` before: read from the server's version.
        case auto
        /// `/jsonrpc` with `execute_kw`: Odoo 8 to 19 (deprecated in 19, gone in 20).
        case jsonrpc
        /// `/json/2/<model>/<method>` with a bearer key: Odoo 19 and later.
        case json2
    }

    public var url: String
    public var database: String
    public var user: String
    public var apiKey: String
    public var api: API

    public init(url: String, database: String, user: String, apiKey: String, api: API = .auto) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.database = database
        self.user = user
        self.apiKey = apiKey
        self.api = api
    }
}

/// Odoo could not be reached (or answered something that is not Odoo): worth retrying later.
public struct OdooUnavailable: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Calls Odoo the way any external client does: `/jsonrpc` (`common.authenticate`, then
/// `object.execute_kw`) or JSON-2 on Odoo 19+, chosen from the server's version (see `OdooServer`). Connections are pooled by the HTTP client; reads are
/// retried on transport errors; Odoo's error envelope becomes an `OdooFault`. Every write carries
/// `zoho_skip_push` in its context, so Odoo does not send the sidecar's own writes back to it.
public final class OdooClient: Sendable {
    public let connection: OdooConnection
    let http: HTTPClient
    let timeout: TimeAmount
    private let uidCache = Mutex<Int64?>(nil)
    let serverCache = Mutex<OdooServer?>(nil)
    let fieldsCache = Mutex<[String: [String: JSONValue]]>([:])
    private let referenceCache = Mutex<[String: (at: ContinuousClock.Instant, rows: [JSONValue])]>([:])
    private let requestID = Atomic<Int64>(0)

    public static let skipPushContext: [String: JSONValue] = ["zoho_skip_push": true]
    static let readMethods: Set<String> = [
        "search", "search_read", "search_count", "read", "fields_get", "name_search", "name_get", "default_get", "context_get",
    ]

    public init(_ connection: OdooConnection, http: HTTPClient = .shared, timeoutSeconds: Int64 = 30) {
        self.connection = connection
        self.http = http
        self.timeout = .seconds(timeoutSeconds)
        Secrets.register(connection.apiKey)
    }

    // MARK: the generic call

    /// `model.method(*args, **kwargs)`. Writes (anything not a known read) get `zoho_skip_push` in their context.
    public func call(_ model: String, _ method: String, _ args: [JSONValue] = [], _ kwargs: [String: JSONValue] = [:]) async throws -> JSONValue {
        let isRead = Self.readMethods.contains(method)
        var withContext = kwargs
        if !isRead {
            var context = kwargs["context"]?.objectValue ?? [:]
            context.merge(Self.skipPushContext) { _, new in new }
            withContext["context"] = .object(context)
        }
        let kwargs = withContext
        let api = try await server().api
        do {
            return try await dispatch(model, method, args, kwargs, api: api, isRead: isRead)
        } catch let down as OdooUnavailable {
            // Whatever comes back may be another Odoo (an upgrade): read its version again then.
            forgetServer()
            throw down
        }
    }

    /// One call over the chosen protocol.
    func dispatch(
        _ model: String,
        _ method: String,
        _ args: [JSONValue],
        _ kwargs: [String: JSONValue],
        api: OdooConnection.API,
        isRead: Bool
    ) async throws -> JSONValue {
        try await retrying(idempotent: isRead) {
            switch api {
            case .jsonrpc, .auto:
                let uid = try await self.uid()
                return try await self.jsonrpc(
                    "object",
                    "execute_kw",
                    [
                        .string(self.connection.database), .int(uid), .string(self.connection.apiKey),
                        .string(model), .string(method), .array(args), .object(kwargs),
                    ]
                )
            case .json2:
                return try await self.json2(model, method, Self.named(method, args, kwargs))
            }
        }
    }

    /// The user id, from `common.authenticate` once per client (JSON-2 needs none).
    public func uid() async throws -> Int64 {
        if let uid = uidCache.withLock({ $0 }) { return uid }
        let result = try await jsonrpc(
            "common",
            "authenticate",
            [.string(connection.database), .string(connection.user), .string(connection.apiKey), [:]]
        )
        guard let uid = result.intValue else { throw loginRefused }
        uidCache.withLock { $0 = uid }
        return uid
    }

    // MARK: conveniences

    public func searchRead(
        _ model: String,
        domain: JSONValue,
        fields: [String],
        limit: Int? = nil,
        offset: Int = 0,
        order: String? = nil,
        context: [String: JSONValue] = [:]
    ) async throws -> [JSONValue] {
        var kwargs: [String: JSONValue] = ["fields": .array(fields.map { .string($0) }), "offset": .int(Int64(offset))]
        if let limit { kwargs["limit"] = .int(Int64(limit)) }
        if let order { kwargs["order"] = .string(order) }
        if !context.isEmpty { kwargs["context"] = .object(context) }
        return try await call(model, "search_read", [domain], kwargs).arrayValue ?? []
    }

    /// All records of a model that rarely changes (countries, states), read at most once per `ttl`.
    public func referenceData(_ model: String, fields: [String], ttl: Duration = .seconds(600)) async throws -> [JSONValue] {
        let key = model + "|" + fields.joined(separator: ",")
        if let hit = referenceCache.withLock({ $0[key] }), ContinuousClock.now - hit.at < ttl { return hit.rows }
        let rows = try await searchRead(model, domain: [], fields: fields)
        referenceCache.withLock { $0[key] = (ContinuousClock.now, rows) }
        return rows
    }

    public func read(_ model: String, _ ids: [Int64], fields: [String], context: [String: JSONValue] = [:]) async throws -> [JSONValue] {
        guard !ids.isEmpty else { return [] }
        var kwargs: [String: JSONValue] = ["fields": .array(fields.map { .string($0) })]
        if !context.isEmpty { kwargs["context"] = .object(context) }
        return try await call(model, "read", [.array(ids.map { .int($0) })], kwargs).arrayValue ?? []
    }

    public func create(_ model: String, _ values: [[String: JSONValue]]) async throws -> [Int64] {
        let result = try await call(model, "create", [.array(values.map { .object($0) })])
        return result.arrayValue?.compactMap(\.intValue) ?? result.intValue.map { [$0] } ?? []
    }

    public func write(_ model: String, _ ids: [Int64], _ values: [String: JSONValue]) async throws {
        _ = try await call(model, "write", [.array(ids.map { .int($0) }), .object(values)])
    }

    public func unlink(_ model: String, _ ids: [Int64]) async throws {
        _ = try await call(model, "unlink", [.array(ids.map { .int($0) })])
    }

    /// Odoo's "Access Denied", in words that say what to check.
    var loginRefused: OdooFault {
        OdooFault(
            .accessDenied,
            "Odoo refused the login of \(connection.user) on database \(connection.database): check odoo_db, odoo_user and odoo_api_key"
        )
    }

    // MARK: wire

    func jsonrpc(_ service: String, _ method: String, _ args: [JSONValue]) async throws -> JSONValue {
        let id = requestID.wrappingAdd(1, ordering: .relaxed).newValue
        let reply = try await post(connection.url + "/jsonrpc", Envelope.request(id: id, service: service, method: method, args: args), headers: [])
        if let error = reply.body["error"] {
            let fault = OdooFault(data: error["data"] ?? .null) ?? OdooFault(.serverError, error["message"]?.stringValue ?? "Odoo answered an error")
            throw fault.kind == .accessDenied ? loginRefused : fault
        }
        guard reply.status == 200, let result = reply.body["result"] else {
            throw OdooUnavailable(message: "\(connection.url)/jsonrpc answered HTTP \(reply.status) without a JSON-RPC result")
        }
        return result
    }

    func json2(_ model: String, _ method: String, _ body: JSONValue) async throws -> JSONValue {
        let reply = try await post(
            "\(connection.url)/json/2/\(model)/\(method)",
            body,
            headers: [("Authorization", "bearer \(connection.apiKey)"), ("X-Odoo-Database", connection.database)]
        )
        if (200..<300).contains(reply.status) { return reply.body }
        if reply.status == 401 {
            throw OdooFault(
                .accessDenied,
                "Odoo refused the API key over JSON-2: it takes an API key of \(connection.user) (Odoo: Preferences → Account Security → New API Key), "
                    + "not a password; check odoo_api_key, or set odoo_api to jsonrpc"
            )
        }
        if let fault = OdooFault(data: reply.body) { throw fault }
        throw OdooUnavailable(message: "\(connection.url)/json/2/\(model)/\(method) answered HTTP \(reply.status)")
    }

    func post(_ url: String, _ body: JSONValue, headers: [(String, String)]) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        return try await send(request)
    }

    func get(_ url: String) async throws -> (status: Int, body: JSONValue) {
        try await send(HTTPClientRequest(url: url))
    }

    func send(_ request: HTTPClientRequest) async throws -> (status: Int, body: JSONValue) {
        let url = request.url
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw TransportFailure(url: url, error: error)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw OdooUnavailable(message: "reading Odoo's answer from \(url) failed: \(Secrets.redact("\(error)"))")
        }
        return (Int(response.status.code), (try? JSONValue.parse(bytes.readableBytesView)) ?? .null)
    }

    struct TransportFailure: Error {
        let url: String
        let error: any Error
        /// The HTTP client already retries connecting until the deadline: a failure to connect, or a
        /// spent deadline, is not worth another attempt now (the job's backoff will come back later).
        var worthRetrying: Bool {
            guard let e = error as? HTTPClientError else { return !"\(error)".lowercased().contains("connect") }
            return e != .connectTimeout && e != .deadlineExceeded
        }
    }

    /// Reads are repeated after a transport error mid-request (a dropped connection); writes are not,
    /// since Odoo may have applied them.
    func retrying(idempotent: Bool, attempts: Int = 3, _ body: @Sendable () async throws -> JSONValue) async throws -> JSONValue {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let failure as TransportFailure {
                guard attempt < attempts, idempotent, failure.worthRetrying else {
                    throw OdooUnavailable(message: "Odoo at \(connection.url) is unreachable: \(Secrets.redact("\(failure.error)"))")
                }
                try await Task.sleep(for: .milliseconds(100 * (1 << attempt)))
            }
        }
    }

    /// JSON-2 takes named arguments: the positional ones of the common ORM methods get their names.
    static func named(_ method: String, _ args: [JSONValue], _ kwargs: [String: JSONValue]) -> JSONValue {
        let names: [String] =
            switch method {
            case "search", "search_read", "search_count": ["domain", "fields"]
            case "read": ["ids", "fields"]
            case "write": ["ids", "vals"]
            case "create": ["vals_list"]
            case "unlink": ["ids"]
            case "fields_get": ["allfields", "attributes"]
            default: ["ids"]
            }
        var body = kwargs
        for (name, value) in zip(names, args) where body[name] == nil { body[name] = value }
        return .object(body)
    }
}
