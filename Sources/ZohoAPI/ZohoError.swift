import Core
import Queue

/// A failure talking to Zoho, classified so the queue knows what to do with the job that met it.
public struct ZohoError: Error, CustomStringConvertible, CausedError, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Network trouble or 5xx: try again.
        case transient
        /// Zoho is limiting us (429 or the token-refresh throttle).
        case throttled(retryAfter: Double?)
        /// The refresh token is revoked or invalid: a person must re-authorize.
        case needsReauth
        /// Zoho refused the request itself (bad data, scope, module): retrying will not help.
        case rejected(code: String)
        /// The instance is not set up (no client id, not connected, disabled).
        case notConfigured
        /// One app's allowance for the organisation is spent (a 429, the daily quota): calls to that app
        /// may start again at `until`; the instance's other apps are not concerned.
        case limited(until: Micros)
    }

    public let kind: Kind
    public let message: String
    public let cause: (any Error)?
    public let exchange: JSONValue?

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil, exchange: JSONValue? = nil) {
        self.kind = kind
        self.message = Secrets.redact(message)
        self.cause = cause
        self.exchange = exchange.map(Secrets.redact)
    }

    public var description: String { message }

    /// An app's allowance is spent for now: the work waits for it, nothing is wrong.
    public var isLimited: Bool {
        if case .limited = kind { return true }
        return false
    }

    /// The same failure in the queue's terms.
    public var jobError: JobError {
        switch kind {
        case .transient: JobError(.retryable, message, cause: self, exchange: exchange)
        case .throttled(let after): JobError(.throttled(retryAfter: after), message, cause: self, exchange: exchange)
        case .needsReauth: JobError(.needsReauth, message, cause: self, exchange: exchange)
        case .rejected, .notConfigured: JobError(.permanent, message, cause: self, exchange: exchange)
        case .limited(let until): JobError(.deferred(until: until), message, cause: self, exchange: exchange)
        }
    }
}
