import Core

/// What a handler throws to tell the queue how to treat a failure. Anything else it throws is
/// treated as retryable: an unknown error is more likely transient than permanent.
public struct JobError: Error, CustomStringConvertible, CausedError, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Try again later with backoff (5xx, timeouts, dropped connections).
        case retryable
        /// Retrying cannot help (Zoho INVALID_DATA, a bad payload, an unknown kind).
        case permanent
        /// Zoho is limiting us: the whole instance waits, no attempt is burnt. `retryAfter` in seconds if Zoho said.
        case throttled(retryAfter: Double?)
        /// The instance's refresh token is revoked or invalid: jobs wait for re-authorization.
        case needsReauth
        /// This job alone runs again at `until`, no attempt spent: one app of the instance is at a limit
        /// (a 429, a spent daily quota), or the job saved its place and gives its worker to others.
        /// The rest of the instance carries on.
        case deferred(until: Micros)
    }

    public let kind: Kind
    public let message: String
    public let cause: (any Error)?
    /// The last Zoho request/response pair, for debugging (masked and capped when stored).
    public let exchange: JSONValue?

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil, exchange: JSONValue? = nil) {
        self.kind = kind
        self.message = Secrets.redact(message)
        self.cause = cause
        self.exchange = exchange
    }

    public var description: String { message }
}
