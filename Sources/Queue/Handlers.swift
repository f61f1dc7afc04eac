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
                let problem = PayloadDecoder.explain(error)
                throw JobError(
                    .permanent,
                    "The \(kind) job \(context.job.id) cannot run: \(problem). Jobs of this kind are made by the sidecar; "
                        + "one enqueued by hand or by another version must be enqueued again with a complete payload."
                )
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

    /// What is wrong with a payload, in the payload's own terms: its field path and the kind of
    /// value expected, never a Swift type or coding key.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "its payload could not be read" }
        switch error {
        case .keyNotFound(let key, let context):
            return "its payload lacks the field '\(path(context.codingPath + [key]))'"
        case .valueNotFound(_, let context):
            return "the payload's field '\(path(context.codingPath))' is empty"
        case .typeMismatch(let type, let context):
            return "the payload's field '\(path(context.codingPath))' should be \(describe(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "its payload is not valid JSON" : "the payload's field '\(path(context.codingPath))' has an invalid value"
        @unknown default:
            return "its payload could not be read"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(the whole payload)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is any BinaryInteger.Type: return "a whole number"
        case is any BinaryFloatingPoint.Type: return "a number"
        case is String.Type: return "text"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
            return "an object"
        }
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
