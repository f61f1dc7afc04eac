import Core
import Crypto
import Foundation

/// Everything the simulated Zoho knows: clients, grants, tokens, CRM and Books data, channels,
/// faults and the request log. One actor, so every request sees a consistent Zoho.
public actor SimState {
    public internal(set) var config: SimConfig
    var rng: SeededRandom
    /// Added to the wall clock: tests advance or skew Zoho's time through the control API.
    var clockOffsetMicros: Int64 = 0
    let seed: UInt64?
    /// http://127.0.0.1:PORT — set once the server is listening.
    public internal(set) var baseURL = "http://127.0.0.1:0"

    var clients: [String: Client] = [:]
    var grants: [String: Grant] = [:]
    var grantTimes: [String: [Micros]] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var accessTokens: [String: AccessToken] = [:]
    var orgs: [String: CRMOrg] = [:]
    var duplicates = CRMDuplicates()
    var books: [String: BooksOrg] = [:]
    var faults: [Fault] = []
    var requestLog: [LogEntry] = []
    var deliveries: [Delivery] = []
    /// Record writes by kind; `noop_updates` are updates that changed nothing (an echo, seen from Zoho).
    var writeCounts: [String: Int] = [:]
    var pendingDeliveries: [Delivery] = []
    let notifier: Notifier
    var lastSavedFingerprint = -1

    struct Client: Codable, Sendable {
        var id: String
        var secret: String
        var redirectURIs: [String]
        /// Data centres where this client exists ("Multi-DC" clients exist in several).
        var dcs: [String]
        var name: String
    }

    struct Grant: Codable, Sendable {
        var code: String
        var clientID: String
        var dc: String
        var scopes: [String]
        var redirectURI: String
        var offline: Bool
        var expiresAt: Micros
        var used: Bool
    }

    struct RefreshToken: Codable, Sendable {
        var token: String
        var clientID: String
        var dc: String
        var scopes: [String]
        var createdAt: Micros
        var revoked: Bool
        var accessTokens: [String]
        var requestTimes: [Micros]
        var blockedUntil: Micros?
    }

    struct AccessToken: Codable, Sendable {
        var token: String
        var refreshToken: String?
        var dc: String
        var scopes: [String]
        var expiresAt: Micros
        var revoked: Bool
    }

    public struct LogEntry: Codable, Sendable {
        public var time: Micros
        public var method: String
        public var dc: String
        public var path: String
        public var query: String
        public var status: Int
        public var authorization: String?
        public var grantType: String?
        public var refreshToken: String?
    }

    public struct Delivery: Codable, Sendable {
        public var kind: String
        public var url: String
        public var body: String
        public var headers: [String: String]
        public var status: Int?
        public var attempts: Int
        public var error: String?
    }

    public struct Fault: Codable, Sendable {
        public enum Kind: String, Codable, Sendable {
            case http500 = "500"
            case http502 = "502"
            case timeout, drop
            case tooMany = "429"
            case invalidToken = "invalid_token"
            /// Zoho carries the request out, then the connection drops before the answer arrives.
            case lostReply = "lost_reply"
        }
        public var target: String
        public var kind: Kind
        public var remaining: Int?
        public var percent: Double?
        /// Only requests of this HTTP method meet the fault; nil: any.
        public var method: String?
    }

    public init(config: SimConfig = SimConfig(), seed: UInt64? = nil, notifier: Notifier) {
        self.config = config
        self.seed = seed
        self.rng = SeededRandom(seed: seed)
        self.notifier = notifier
        (orgs, books) = Self.freshOrganisations()
    }

    func setBaseURL(_ url: String) { baseURL = url }

    public var dataCenters: [String] { SimDataCenter.all.filter { $0 != "uk" || config.enableUK } }

    func now() -> Micros { Clock.now() + clockOffsetMicros }

    func token() -> String { "1000." + rng.hex(32) + "." + rng.hex(32) }

    func accountsServer(_ dc: String) -> String { "\(baseURL)/\(dc)/accounts" }
    func apiDomain(_ dc: String) -> String { "\(baseURL)/\(dc)/api" }

    // MARK: request log

    func log(_ request: SimRequest, status: Int) {
        let auth = request.header("authorization").map(Secrets.redact)
        let params = request.params
        var entry = LogEntry(
            time: now(),
            method: request.method,
            dc: request.dc,
            path: "/" + request.path.joined(separator: "/"),
            query: Secrets.redact(request.query.keys.sorted().map { "\($0)=\(request.query[$0]!)" }.joined(separator: "&")),
            status: status,
            authorization: auth,
            grantType: params["grant_type"]
        )
        // Which refresh token a token request used, as a stable fingerprint (never the token itself).
        if let rt = params["refresh_token"] { entry.refreshToken = SHA256.hash(data: Data(rt.utf8)).prefix(6).hex }
        requestLog.append(entry)
        if requestLog.count > 20_000 { requestLog.removeFirst(requestLog.count - 20_000) }
    }

    // MARK: faults

    /// The fault to apply to this request, if any; consumes one from a counted fault.
    func takeFault(target: String, method: String) -> Fault.Kind? {
        for i in faults.indices where faults[i].target == target || faults[i].target == "all" {
            if let only = faults[i].method, only != method { continue }
            if let remaining = faults[i].remaining {
                guard remaining > 0 else { continue }
                faults[i].remaining = remaining - 1
                return faults[i].kind
            }
            if let p = faults[i].percent, Double(rng.next() % 10_000) / 100 < p { return faults[i].kind }
        }
        faults.removeAll { $0.remaining == 0 }
        return nil
    }
}
