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

    /// The same failure in the queue's terms.
    public var jobError: JobError {
        switch kind {
        case .transient: JobError(.retryable, message, cause: self, exchange: exchange)
        case .throttled(let after): JobError(.throttled(retryAfter: after), message, cause: self, exchange: exchange)
        case .needsReauth: JobError(.needsReauth, message, cause: self, exchange: exchange)
        case .rejected, .notConfigured: JobError(.permanent, message, cause: self, exchange: exchange)
        }
    }
}
