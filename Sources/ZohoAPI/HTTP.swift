import AsyncHTTPClient
import Core
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange with Zoho, kept (masked) for the job's debugging record.
public struct Exchange: Sendable {
    public let method: String
    public let url: String
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]
    public let requestBody: String?

    public var json: JSONValue? { try? JSONValue.parse(body) }
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The request/response pair as stored on a job: Authorization never included, secrets masked, size capped.
    public var record: JSONValue {
        [
            "request": .string("\(method) \(Secrets.redact(url))"),
            "request_body": requestBody.map { .string(Secrets.redact(String($0.prefix(2000)))) } ?? .null,
            "status": .int(Int64(status)), "response": .string(Secrets.redact(String(text.prefix(4000)))),
        ]
    }
}

/// The HTTP client for Zoho calls: pooled connections, timeouts, and transport failures as `ZohoError.transient`.
public struct ZohoHTTP: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount

    public init(client: HTTPClient = .shared, timeoutSeconds: Int64 = 30) {
        self.client = client
        self.timeout = .seconds(timeoutSeconds)
    }

    public func send(
        _ method: HTTPMethod,
        _ url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil
    ) async throws -> Exchange {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 32 << 20)
            var hs: [String: String] = [:]
            for h in response.headers { hs[h.name.lowercased()] = h.value }
            return Exchange(
                method: method.rawValue,
                url: url,
                status: Int(response.status.code),
                headers: hs,
                body: Array(bytes.readableBytesView),
                requestBody: body.map { String(decoding: $0, as: UTF8.self) }
            )
        } catch {
            throw ZohoError(.transient, "\(method.rawValue) \(Self.hostAndPath(url)) failed: \(Self.describe(error))", cause: error)
        }
    }

    static func hostAndPath(_ url: String) -> String {
        guard let u = URLComponents(string: url) else { return "?" }
        return (u.host ?? "") + (u.port.map { ":\($0)" } ?? "") + u.path
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout { return "timed out" }
        return String(describing: error)
    }

    static func form(_ pairs: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&").utf8)
    }
}
