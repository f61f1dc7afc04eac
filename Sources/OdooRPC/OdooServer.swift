import Core

/// The Odoo at the other end of a connection: its series and the protocol the sidecar speaks to it.
public struct OdooServer: Sendable, Equatable {
    /// The major version: 17, 18, 19…
    public let series: Int
    /// As Odoo names itself: "17.0", "saas~18.3", "19.0".
    public let version: String
    /// `/jsonrpc` or JSON-2, never `.auto`.
    public let api: OdooConnection.API

    /// The protocol as people call it.
    public var protocolName: String { api == .json2 ? "JSON-2" : "/jsonrpc" }

    /// JSON-2 is Odoo 19's API; `/jsonrpc` is deprecated there and goes away in Odoo 20.
    public static let firstJSON2Series = 19

    public init(series: Int, version: String, api: OdooConnection.API) {
        self.series = series
        self.version = version
        self.api = api
    }

    /// The protocol for what the settings ask (`auto` picks by series), or why this Odoo cannot speak it.
    static func choosing(_ wanted: OdooConnection.API, series: Int, version: String) throws -> OdooServer {
        switch wanted {
        case .auto:
            return OdooServer(series: series, version: version, api: series >= firstJSON2Series ? .json2 : .jsonrpc)
        case .json2 where series < firstJSON2Series:
            throw OdooRefused(
                message: "Odoo \(version) has no JSON-2 API (it came with Odoo \(firstJSON2Series)): set odoo_api to auto or jsonrpc"
            )
        case .json2, .jsonrpc:
            return OdooServer(series: series, version: version, api: wanted)
        }
    }

    /// Reads the version from `version_info` (`/web/version`, Odoo 19+) or `server_version_info`
    /// (`common.version`): a list that starts with the major version.
    static func parse(info: JSONValue?, version: JSONValue?) -> (series: Int, version: String)? {
        guard let series = info?.arrayValue?.first?.intValue else { return nil }
        return (Int(series), version?.stringValue ?? "\(series).0")
    }
}

/// Odoo refuses what the sidecar's settings ask of it (a protocol it lacks): a setting to change,
/// not worth retrying.
public struct OdooRefused: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

extension OdooClient {
    /// The Odoo this client talks to, read when first reached and again after Odoo was unreachable.
    public func server() async throws -> OdooServer {
        if let known = serverCache.withLock({ $0 }) { return known }
        let (series, version) = try await readVersion()
        let server = try OdooServer.choosing(connection.api, series: series, version: version)
        serverCache.withLock { $0 = server }
        return server
    }

    /// `/web/version` first (Odoo 19 and later, no login, no deprecation notice), then `common.version`
    /// over `/jsonrpc` (every Odoo before 20).
    func readVersion() async throws -> (series: Int, version: String) {
        let web = try await retrying(idempotent: true) {
            let reply = try await self.get(self.connection.url + "/web/version")
            return reply.status == 200 ? reply.body : .null
        }
        if let found = OdooServer.parse(info: web["version_info"], version: web["version"]) { return found }
        let common = try await retrying(idempotent: true) { try await self.jsonrpc("common", "version", []) }
        if let found = OdooServer.parse(info: common["server_version_info"], version: common["server_version"]) { return found }
        throw OdooUnavailable(message: "\(connection.url) does not answer as Odoo does (no version at /web/version or /jsonrpc): check odoo_url")
    }

    /// Forgets the server, so the next call reads its version again (Odoo may have been upgraded meanwhile).
    func forgetServer() {
        serverCache.withLock { $0 = nil }
        fieldsCache.withLock { $0 = [:] }
    }

    /// `fields_get` of a model (name → attributes), read once per server, and again when it lacks one of
    /// `including`: a field added in Odoo since (a custom field a person just mapped).
    public func fields(_ model: String, including: [String] = []) async throws -> [String: JSONValue] {
        if let known = fieldsCache.withLock({ $0[model] }), including.allSatisfy({ known[$0] != nil }) { return known }
        let fields = try await call(model, "fields_get", [], ["attributes": ["type", "readonly", "required", "relation"]]).objectValue ?? [:]
        fieldsCache.withLock { $0[model] = fields }
        return fields
    }

    /// A call any user may make, to prove the login works: `res.users.context_get`.
    public func checkLogin() async throws {
        _ = try await call("res.users", "context_get")
    }
}
