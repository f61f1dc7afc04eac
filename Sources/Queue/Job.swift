import Core
import Store

/// A job as stored: the unit of sync work.
public struct Job: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case pending, running, done, failed, cancelled
        /// Paused because its instance needs re-authorization; resumes without losing an attempt.
        case waiting
    }

    public let id: Int64
    public let companyID: Int64
    public let instanceID: Int64?
    public let kind: String
    public let payload: JSONValue
    public let priority: Int
    public let eta: Micros
    public let state: State
    /// Attempts started so far, this one included while running.
    public let attempts: Int
    public let maxAttempts: Int
    public let identityKey: String?
    public let lastError: String?

    static let columns = "id, company_id, instance_id, kind, payload, priority, eta, state, attempts, max_attempts, identity_key, last_error"

    init(row: Row) {
        id = row["id"].int ?? 0
        companyID = row["company_id"].int ?? 0
        instanceID = row["instance_id"].int
        kind = row["kind"].text ?? ""
        payload = row["payload"].text.flatMap { try? JSONValue.parse($0) } ?? .null
        priority = Int(row["priority"].int ?? 0)
        eta = row["eta"].int ?? 0
        state = State(rawValue: row["state"].text ?? "") ?? .pending
        attempts = Int(row["attempts"].int ?? 0)
        maxAttempts = Int(row["max_attempts"].int ?? 0)
        identityKey = row["identity_key"].text
        lastError = row["last_error"].text
    }
}

/// What to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    public var payload: JSONValue
    public var companyID: Int64
    public var instanceID: Int64?
    public var priority: Int
    public var eta: Micros?
    public var maxAttempts: Int?
    /// At most one active (pending, running, waiting) job per key; enqueuing a duplicate returns the existing job.
    public var identityKey: String?

    public init(
        kind: String,
        payload: JSONValue = [:],
        companyID: Int64 = 1,
        instanceID: Int64? = nil,
        priority: Int = 10,
        eta: Micros? = nil,
        maxAttempts: Int? = nil,
        identityKey: String? = nil
    ) {
        self.kind = kind
        self.payload = payload
        self.companyID = companyID
        self.instanceID = instanceID
        self.priority = priority
        self.eta = eta
        self.maxAttempts = maxAttempts
        self.identityKey = identityKey
    }
}

/// How a job ended, as the worker reports it to the queue.
public enum Outcome: Sendable {
    case done(result: JSONValue?)
    /// Try again at `eta`; `refund` gives the attempt back (throttling is not the job's fault).
    case retry(eta: Micros, error: ErrorReport, refund: Bool)
    case failed(error: ErrorReport)
    /// The instance needs re-authorization: the job waits, its attempt refunded.
    case waiting(error: ErrorReport)

    /// As counted in metrics.
    public var label: String {
        switch self {
        case .done: "done"
        case .retry: "retry"
        case .failed: "failed"
        case .waiting: "waiting"
        }
    }
}

/// An error as stored on a job: masked message, the chain of causes, and the last Zoho exchange.
public struct ErrorReport: Sendable, Equatable {
    public let message: String
    public let causes: [String]
    public let exchange: JSONValue?

    public init(_ error: any Error, exchange: JSONValue? = nil) {
        var causes: [String] = []
        var current: (any Error)? = error
        while let e = current, causes.count < 10 {
            causes.append(Secrets.redact(String(describing: e)))
            current = (e as? any CausedError)?.cause
        }
        self.message = causes.first ?? "unknown error"
        self.causes = causes
        self.exchange = exchange.map { Self.cap(Secrets.redact($0)) }
    }

    public init(message: String) {
        self.message = Secrets.redact(message)
        self.causes = [self.message]
        self.exchange = nil
    }

    /// Keeps stored exchanges small: long strings are cut.
    static func cap(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s) where s.utf8.count > 4096: return .string(String(s.prefix(4096)) + "…[cut]")
        case .array(let a): return .array(a.prefix(50).map(cap))
        case .object(let o): return .object(o.mapValues(cap))
        default: return value
        }
    }
}

/// An error that wraps another: its chain is stored so the operator sees the root cause.
public protocol CausedError: Error {
    var cause: (any Error)? { get }
}
