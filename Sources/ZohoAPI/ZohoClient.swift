import Core
import Foundation
import NIOHTTP1
import Queue

/// Calls Zoho's APIs for an instance: the right host (the token's api_domain), the OAuth header,
/// one refresh-and-retry when Zoho calls the token invalid, Zoho's limits kept by the rate limiter,
/// and every failure classified for the queue.
public struct ZohoClient: Sendable {
    public enum App: String, Sendable { case crm, books }

    let keeper: TokenKeeper
    let http: ZohoHTTP
    public let limiter: RateLimiter
    public let limits: ZohoLimits
    let telemetry: Telemetry
    /// Module and field metadata kept for a short while (`crmFields`, `booksFields`, …).
    public let metadata: MetadataCache

    public init(
        keeper: TokenKeeper,
        http: ZohoHTTP,
        limiter: RateLimiter = RateLimiter(),
        limits: ZohoLimits = ZohoLimits(),
        telemetry: Telemetry = .none,
        metadata: MetadataCache = MetadataCache()
    ) {
        self.keeper = keeper
        self.http = http
        self.limiter = limiter
        self.limits = limits
        self.telemetry = telemetry
        self.metadata = metadata
    }

    /// Whose allowance a call spends: Books counts per organization (two instances on one organization
    /// share it), CRM per instance.
    public static func limitKey(_ app: App, instanceID: Int64, dataCenter: String, booksOrganizationID: String?) -> String {
        switch app {
        case .crm: "crm:\(instanceID)"
        case .books: "books:\(dataCenter):\(booksOrganizationID ?? "instance \(instanceID)")"
        }
    }

    /// `path` is relative to the API domain, e.g. "/crm/v8/Contacts" or "/books/v3/contacts".
    /// `recordResults`: a batch write that Zoho refused record by record (400 with a `data` list) is
    /// returned for the caller to read each record's result, not thrown.
    public func call(
        _ instanceID: Int64,
        _ app: App,
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        json: JSONValue? = nil,
        headers: [(String, String)] = [],
        recordResults: Bool = false
    ) async throws -> Exchange {
        var (token, domain, instance) = try await keeper.access(instanceID)
        var query = query
        if app == .books, !query.contains(where: { $0.0 == "organization_id" }), let org = instance.booksOrganizationID {
            query.append(("organization_id", org))
        }
        let limit = app == .crm ? ZohoLimits.crm(edition: instance.edition) : limits.books
        let key = Self.limitKey(app, instanceID: instanceID, dataCenter: instance.dataCenter, booksOrganizationID: instance.booksOrganizationID)
        for attempt in 0..<2 {
            let url = Self.url(domain + path, query)
            let auth = [("Authorization", "Zoho-oauthtoken \(token)")] + headers
            let exchange: Exchange
            do {
                exchange = try await limiter.run(key, limit: limit) {
                    try await http.send(
                        method,
                        url,
                        headers: auth,
                        body: json.map { $0.serializedBytes() },
                        contentType: json == nil ? nil : "application/json"
                    )
                }
            } catch let refusal as RateLimiter.Refusal {
                throw ZohoError(.limited(until: refusal.until), Self.explain(refusal, app: app, instance: instance, limit: limit))
            } catch {
                telemetry.zohoCall(app: app.rawValue, status: 0)
                throw error
            }
            telemetry.zohoCall(app: app.rawValue, status: exchange.status)
            if exchange.status == 429 {
                let message = exchange.json?["message"]?.stringValue ?? ""
                let after = exchange.headers["retry-after"].flatMap(Double.init) ?? limits.pauseAfter429(app, message: message)
                let until = Clock.now() + Int64(after * 1e6)
                limiter.pause(key, until: until, limit: limit)
                throw ZohoError(
                    .limited(until: until),
                    "Zoho \(Self.name(app)) answered 429 (too many requests\(message.isEmpty ? "" : ": \(message)")) for \(Self.whose(app, instance)); "
                        + "its \(Self.name(app)) calls pause until \(Clock.odooString(until)) UTC, the instance's other apps carry on",
                    exchange: exchange.record
                )
            }
            if exchange.status == 401, attempt == 0, Self.isInvalidToken(exchange) {
                (token, domain, instance) = try await keeper.access(instanceID, rejected: token)
                continue
            }
            if recordResults, exchange.status == 400, exchange.json?["data"]?.arrayValue != nil { return exchange }
            try Self.check(exchange)
            return exchange
        }
        throw ZohoError(.needsReauth, "Zoho rejected a freshly refreshed token for instance \(instanceID)")
    }

    static func url(_ base: String, _ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return base }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~,")
        return base + "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    static func name(_ app: App) -> String { app == .crm ? "CRM" : "Books" }

    static func whose(_ app: App, _ instance: Instance) -> String {
        app == .books ? "organization \(instance.booksOrganizationID ?? "?")" : "instance \(instance.id)"
    }

    /// The limiter's refusal in words an operator can act on.
    static func explain(_ refusal: RateLimiter.Refusal, app: App, instance: Instance, limit: RateLimiter.Limit) -> String {
        let until = Clock.odooString(refusal.until) + " UTC"
        switch refusal.reason {
        case .dailyQuota(let quota):
            return "\(name(app))'s daily quota for \(whose(app, instance)) is spent: \(quota) calls within the last day "
                + "(setting books_daily_quota; raise it if your Books plan allows more). \(name(app)) work waits until \(until)"
        case .window:
            return "\(name(app)) calls for \(whose(app, instance)) are at their limit of \(limit.perWindow) per \(Int(limit.windowSeconds)) s; "
                + "this job waits until \(until), the instance's other apps carry on"
        case .paused:
            return "\(name(app)) calls for \(whose(app, instance)) are paused after Zoho answered 429; "
                + "this job waits until \(until), the instance's other apps carry on"
        }
    }

    static func isInvalidToken(_ e: Exchange) -> Bool {
        let code = e.json?["code"]
        return code == "INVALID_TOKEN" || code == "AUTHENTICATION_FAILURE" || e.json?["error"]?["message"] == "INVALID_OAUTHTOKEN"
    }

    /// Raises for anything but success, in the queue's terms.
    static func check(_ e: Exchange) throws {
        switch e.status {
        case 200..<300, 304:
            return
        case 500...:
            throw ZohoError(.transient, "Zoho answered HTTP \(e.status)", exchange: e.record)
        default:
            let code = e.json?["code"].map { $0.stringValue ?? $0.serialized() } ?? "HTTP_\(e.status)"
            let message = e.json?["message"]?.stringValue ?? e.text.prefix(200).description
            throw ZohoError(.rejected(code: code), "Zoho refused the request: \(code) \(message)", exchange: e.record)
        }
    }
}
