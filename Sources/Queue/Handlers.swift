import Core
import Foundation
import Logging

/// What a handler gets: the job, a logger tagged with its id, and a place to record the last Zoho exchange.
public struct JobContext: Sendable {
    public let job: Job
    public let logger: Logger
}

/// Runs jobs of one kind. A handler returns an optional result, or throws (`JobError` to choose
/// retry, permanent failure, throttling or re-authorization; anything else is retried).
public struct Handler: Sendable {
    public let kind: String
    public let maxAttempts: Int?
    /// Shorter than the lease, so a stuck handler is stopped before anyone could rescue its job.
    public let timeoutSeconds: Double?
    public let run: @Sendable (JobContext) async throws -> JSONValue?

    public init(
        kind: String,
        maxAttempts: Int? = nil,
        timeoutSeconds: Double? = nil,
        run: @escaping @Sendable (JobContext) async throws -> JSONValue?
    ) {
        self.kind = kind
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.run = run
    }

    /// A handler with a typed payload: a payload that does not decode fails permanently, clearly.
    public static func typed<P: Decodable & Sendable>(
        _ kind: String,
        _ payload: P.Type,
        maxAttempts: Int? = nil,
        timeoutSeconds: Double? = nil,
        run: @escaping @Sendable (P, JobContext) async throws -> JSONValue?
    ) -> Handler {
        Handler(kind: kind, maxAttempts: maxAttempts, timeoutSeconds: timeoutSeconds) { context in
            let value: P
            do {
                value = try PayloadDecoder.decode(P.self, from: context.job.payload)
            } catch {
                throw JobError(.permanent, "payload of \(kind) job \(context.job.id) does not match \(P.self): \(error)")
            }
            return try await run(value, context)
        }
    }
}

/// Payload keys are taken as they are: a payload type names them (or maps them with CodingKeys).
enum PayloadDecoder {
    static let decoder = JSONDecoder()

    static func decode<P: Decodable>(_ type: P.Type, from value: JSONValue) throws -> P {
        try decoder.decode(P.self, from: Data(value.serializedBytes()))
    }
}

/// The kinds this sidecar can run.
public struct HandlerRegistry: Sendable {
    public private(set) var handlers: [String: Handler] = [:]

    public init(_ handlers: [Handler] = []) {
        for h in handlers { register(h) }
    }

    public mutating func register(_ handler: Handler) {
        handlers[handler.kind] = handler
    }

    public subscript(kind: String) -> Handler? { handlers[kind] }
    public var kinds: [String] { handlers.keys.sorted() }
}
