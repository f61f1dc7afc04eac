import Core
import Foundation

/// A request as the simulator's logic sees it, free of the HTTP server's types.
public struct SimRequest: Sendable {
    public var method: String
    /// Path after the data centre, split: e.g. ["api", "crm", "v8", "Contacts"].
    public var path: [String]
    public var dc: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Form fields of an x-www-form-urlencoded body.
    public var form: [String: String] {
        guard header("content-type")?.contains("application/x-www-form-urlencoded") == true else { return [:] }
        return SimRequest.parseQuery(String(decoding: body, as: UTF8.self))
    }

    /// Query parameters, then form fields: Zoho's token endpoint takes either.
    public var params: [String: String] { query.merging(form) { q, _ in q } }

    public var json: JSONValue? { body.isEmpty ? nil : try? JSONValue.parse(body) }

    public static func parseQuery(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard let k = kv.first else { continue }
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            out[decode(k)] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }
}

public struct SimResponse: Sendable {
    public enum Effect: Sendable {
        case none, dropConnection
        case hold(seconds: Double)
    }
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var effect: Effect = .none

    public static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json;charset=UTF-8")] + headers, body: value.serializedBytes())
    }

    /// For bodies the facts file gives byte for byte in an order that sorted keys would change.
    public static func raw(_ status: Int, _ text: String, contentType: String = "application/json;charset=UTF-8") -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    public static func empty(_ status: Int) -> SimResponse { SimResponse(status: status, headers: [], body: []) }

    public static func redirect(_ location: String) -> SimResponse {
        SimResponse(status: 302, headers: [("Location", location)], body: [])
    }

    public static func html(_ status: Int, _ html: String) -> SimResponse { raw(status, html, contentType: "text/html;charset=UTF-8") }
}

/// Zoho CRM's error object `{"code":…,"details":{…},"message":…,"status":"error"}`.
enum CRMError {
    static func body(_ code: String, _ message: String, _ details: JSONValue = [:]) -> JSONValue {
        ["code": .string(code), "details": details, "message": .string(message), "status": "error"]
    }

    static func response(_ status: Int, _ code: String, _ message: String, _ details: JSONValue = [:]) -> SimResponse {
        .json(status, body(code, message, details))
    }

    static let invalidToken = response(401, "INVALID_TOKEN", "invalid oauth token")
    static let authenticationFailure = response(401, "AUTHENTICATION_FAILURE", "Authentication failed")
    static let scopeMismatch = response(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
    static let notFound = response(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")
    static let methodNotAllowed = response(405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one")
    static let internalError = response(500, "INTERNAL_ERROR", "Internal Server Error")
    static func tooManyRequests(retryAfter: Int?) -> SimResponse {
        .json(
            429,
            body("TOO_MANY_REQUESTS", "too many requests. please try again after some time"),
            headers: retryAfter.map { [("Retry-After", String($0))] } ?? []
        )
    }
}

/// Zoho Books' error object `{"code":N,"message":…}`.
enum BooksError {
    static func response(_ status: Int, _ code: Int, _ message: String) -> SimResponse {
        .json(status, ["code": .int(Int64(code)), "message": .string(message)])
    }
    static let unauthorized = response(401, 57, "You are not authorized to perform this operation")
    static let internalError = response(500, 1000, "Internal error")
    static func tooManyRequests(retryAfter: Int?) -> SimResponse {
        .json(
            429,
            ["code": 44, "message": "You have exceeded the maximum number of requests allowed per minute."],
            headers: retryAfter.map { [("Retry-After", String($0))] } ?? []
        )
    }

    /// The body is a guess (facts §6 has none for the daily quota): code 44 like the per-minute limit.
    static func dailyQuotaExceeded(retryAfter: Int?) -> SimResponse {
        .json(
            429,
            ["code": 44, "message": "You have exceeded the maximum number of API requests allowed for the day."],
            headers: retryAfter.map { [("Retry-After", String($0))] } ?? []
        )
    }
}
