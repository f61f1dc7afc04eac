import Core

/// An error in Odoo's vocabulary. The sidecar raises these from its models, and the Odoo client
/// decodes Odoo's own error envelope into them, so both directions share one type.
public struct OdooFault: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case accessDenied = "odoo.exceptions.AccessDenied"
        case accessError = "odoo.exceptions.AccessError"
        case userError = "odoo.exceptions.UserError"
        case validationError = "odoo.exceptions.ValidationError"
        case missingError = "odoo.exceptions.MissingError"
        case valueError = "builtins.ValueError"
        case keyError = "builtins.KeyError"
        case typeError = "builtins.TypeError"
        case sessionExpired = "odoo.http.SessionExpiredException"
        case badRequest = "werkzeug.exceptions.BadRequest"
        case payloadTooLarge = "werkzeug.exceptions.RequestEntityTooLarge"
        case tooManyRequests = "werkzeug.exceptions.TooManyRequests"
        case serverError = "builtins.RuntimeError"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = Secrets.redact(message)
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    /// The status a JSON-2 endpoint answers with (JSON-RPC always answers 200).
    public var httpStatus: Int {
        switch kind {
        case .accessDenied, .sessionExpired: return 401
        case .accessError: return 403
        case .missingError: return 404
        case .keyError: return 404
        case .userError, .validationError: return 422
        case .valueError, .typeError, .badRequest: return 400
        case .payloadTooLarge: return 413
        case .tooManyRequests: return 429
        case .serverError: return 500
        }
    }

    /// Odoo's `error.data` object.
    public var data: JSONValue {
        [
            "name": .string(kind.rawValue), "debug": .string(""), "message": .string(message),
            "arguments": [.string(message)], "context": [:],
        ]
    }

    public init?(data: JSONValue) {
        guard let name = data["name"]?.stringValue else { return nil }
        let message = data["message"]?.stringValue ?? data["arguments"]?.arrayValue?.first?.stringValue ?? name
        self.init(Kind(rawValue: name) ?? .serverError, message)
    }

    public static func accessDenied() -> OdooFault { OdooFault(.accessDenied, "Access Denied") }
}
