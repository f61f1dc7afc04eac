import Core
import Foundation
import Logging
import Queue
import Store

/// Keeps every instance's access token valid: refreshes ahead of expiry, refreshes once when Zoho
/// calls a token invalid, and makes sure only one refresh per instance runs at a time — across tasks
/// (one in-flight refresh per instance) and across sidecars (a lease in the `locks` table; whoever
/// waits re-reads the token the winner stored). Zoho's refresh throttle is respected, and a revoked
/// refresh token moves the instance to `needs_reauth` and parks its jobs.
public actor TokenKeeper {
    let instances: Instances
    let oauth: OAuthClient
    let endpoints: ZohoEndpoints
    let queue: JobQueue
    let logBook: LogBook
    let logger: Logger
    let holder = "keeper-\(UUID().uuidString.prefix(8))"
    /// Refresh this long before expiry.
    public let marginSeconds: Double
    private var inFlight: [Int64: Task<Instance, any Error>] = [:]
    /// After Zoho's "Access Denied" throttle, no token request until this time.
    private var blockedUntil: [Int64: Micros] = [:]
    /// The last access token Zoho called invalid, per instance: never sent again, even while its
    /// expiry says it is good (a refresh that could not happen leaves it stored).
    private var rejectedTokens: [Int64: String] = [:]

    let telemetry: Telemetry

    public init(
        instances: Instances,
        oauth: OAuthClient,
        endpoints: ZohoEndpoints,
        queue: JobQueue,
        marginSeconds: Double = 600,
        telemetry: Telemetry = .none,
        logger: Logger = Logger(label: "zoho-sidecar.oauth")
    ) {
        self.telemetry = telemetry
        self.instances = instances
        self.oauth = oauth
        self.endpoints = endpoints
        self.queue = queue
        self.logBook = LogBook(store: instances.store)
        self.marginSeconds = marginSeconds
        self.logger = logger
    }

    /// A usable access token and the API domain. `rejected` is a token Zoho just called invalid:
    /// it is refreshed unless someone already replaced it.
    public func access(_ id: Int64, rejected: String? = nil) async throws -> (token: String, apiDomain: String, instance: Instance) {
        guard let instance = try await instances.load(id) else { throw ZohoError(.notConfigured, "instance \(id) does not exist") }
        try Self.checkUsable(instance)
        if let rejected { rejectedTokens[id] = rejected }
        let fresh = (instance.tokenExpiresAt ?? 0) > Clock.now() + 30_000_000
        if let token = instance.accessToken, fresh, token != rejectedTokens[id] {
            return (token, try apiDomain(instance), instance)
        }
        let refreshed = try await refresh(id, rejected: rejected ?? instance.accessToken, validUntil: Clock.now() + 30_000_000)
        guard let token = refreshed.accessToken else { throw ZohoError(.needsReauth, "instance \(id) has no access token") }
        return (token, try apiDomain(refreshed), refreshed)
    }

    static func checkUsable(_ i: Instance) throws {
        switch i.state {
        case "disabled": throw ZohoError(.notConfigured, "instance \(i.id) (\(i.name)) is disabled")
        case "needs_reauth": throw ZohoError(.needsReauth, "instance \(i.id) (\(i.name)) needs re-authorization")
        case "draft" where i.refreshToken == nil: throw ZohoError(.notConfigured, "instance \(i.id) (\(i.name)) is not connected: authorize it first")
        default: break
        }
        guard i.refreshToken != nil else { throw ZohoError(.needsReauth, "instance \(i.id) (\(i.name)) has no refresh token: authorize it again") }
    }

    func apiDomain(_ i: Instance) throws -> String {
        guard let domain = endpoints.trustedAPIDomain(i.apiDomain, location: i.dataCenter) else {
            throw ZohoError(.notConfigured, "instance \(i.id) has an unknown data centre \(i.dataCenter)")
        }
        return domain
    }

    /// Refreshes (deduplicated: concurrent callers share one refresh), unless by the time the lock is
    /// held the stored token is no longer `rejected` and lasts past `validUntil`: then someone else
    /// refreshed and that token is used.
    @discardableResult
    public func refresh(_ id: Int64, rejected: String?, validUntil: Micros) async throws -> Instance {
        if let running = inFlight[id] { return try await running.value }
        let task = Task { try await self.refreshHoldingLock(id, rejected: rejected, validUntil: validUntil) }
        inFlight[id] = task
        defer { inFlight[id] = nil }
        return try await task.value
    }

    private func refreshHoldingLock(_ id: Int64, rejected: String?, validUntil: Micros) async throws -> Instance {
        if let until = blockedUntil[id], until > Clock.now() {
            throw ZohoError(
                .throttled(retryAfter: Double(until - Clock.now()) / 1e6),
                "Zoho throttled token refreshes for this instance; not asking again before \(Clock.odooString(until)) UTC"
            )
        }
        let good = { (i: Instance) in i.accessToken != nil && i.accessToken != rejected && (i.tokenExpiresAt ?? 0) > validUntil }
        let lock = "refresh:\(id)"
        // The lease outlives the token request's own 30 s timeout, so it cannot lapse mid-refresh.
        let deadline = Clock.now() + 60_000_000
        while !(try await instances.tryLock(lock, holder: holder, seconds: 60)) {
            // Another sidecar is refreshing: wait for it, then use what it stored.
            try await Task.sleep(for: .milliseconds(50))
            if let now = try await instances.load(id), good(now) { return now }
            guard Clock.now() < deadline else {
                throw ZohoError(.transient, "another sidecar holds the token refresh of instance \(id) for too long")
            }
        }
        do {
            let result = try await refreshLocked(id, good: good)
            await instances.unlock(lock, holder: holder)
            return result
        } catch {
            await instances.unlock(lock, holder: holder)
            throw error
        }
    }

    private func refreshLocked(_ id: Int64, good: (Instance) -> Bool) async throws -> Instance {
        // Re-read under the lock: a refresh that finished while we waited is used as it is.
        guard let current = try await instances.load(id) else { throw ZohoError(.notConfigured, "instance \(id) does not exist") }
        if good(current) { return current }
        try Self.checkUsable(current)
        guard let clientID = current.clientID, let secret = current.clientSecret, let refresh = current.refreshToken else {
            throw ZohoError(.notConfigured, "instance \(id) lacks a client id, client secret or refresh token")
        }
        let server =
            current.accountsServer.flatMap { endpoints.trustedAccountsServer($0, location: current.dataCenter) }
            ?? endpoints.dataCenter(current.dataCenter)?.accountsServer
        guard let server else { throw ZohoError(.notConfigured, "instance \(id) has an unknown data centre \(current.dataCenter)") }
        do {
            let tokens = try await oauth.refresh(accountsServer: server, clientID: clientID, clientSecret: secret, refreshToken: refresh)
            try await instances.saveTokens(id, access: tokens.accessToken, refresh: nil, expiresIn: tokens.expiresIn)
            telemetry.tokenRefresh(succeeded: true)
            blockedUntil[id] = nil
            if current.state == "error" { try await queue.resumeInstance(id) }
            guard let updated = try await instances.load(id) else { throw ZohoError(.notConfigured, "instance \(id) vanished") }
            return updated
        } catch let error as ZohoError {
            telemetry.tokenRefresh(succeeded: false)
            switch error.kind {
            case .needsReauth:
                let instances = self.instances
                let message = error.message
                guard
                    try await queue.holdForReauthorization(
                        id,
                        marking: { try await instances.markNeedsReauth(id, refused: refresh, error: message, in: $0) }
                    )
                else {
                    throw ZohoError(.transient, "instance \(id) was authorized again while a refresh with its old token ran; try again")
                }
                await logBook.write(
                    .error,
                    "Zoho refused the refresh token of instance \(current.name): authorize it again. Its jobs wait until then.",
                    companyID: current.companyID,
                    instanceID: id,
                    cause: error.message
                )
                logger.error("instance \(id) needs re-authorization: \(error.message)")
            case .throttled(let after):
                blockedUntil[id] = Clock.now() + Int64((after ?? 600) * 1e6)
                try await instances.setError(id, error.message)
            case .rejected:
                try await instances.setState(id, "error", error: error.message)
                await logBook.write(
                    .error,
                    "Token refresh of instance \(current.name) was refused: \(error.message)",
                    companyID: current.companyID,
                    instanceID: id
                )
            case .transient, .notConfigured, .limited:
                try await instances.setError(id, error.message)
            }
            throw error
        }
    }

    /// Refreshes every connected instance whose token expires within the margin; returns how many.
    public func refreshDue() async -> Int {
        let cutoff = Clock.now() + Int64(marginSeconds * 1e6)
        let due =
            (try? await instances.store.query(
                SQL(
                    "SELECT id FROM instances WHERE state = 'connected' AND active = 1 AND refresh_token_enc IS NOT NULL AND (token_expires_at IS NULL OR token_expires_at < ?)",
                    [.int(cutoff)]
                )
            )) ?? []
        var n = 0
        for row in due {
            guard let id = row["id"].int else { continue }
            if (try? await refresh(id, rejected: nil, validUntil: cutoff)) != nil { n += 1 }
        }
        return n
    }
}
