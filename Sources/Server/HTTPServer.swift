import Core
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OdooRPC
import Queue
import RPCModels
import Store

public struct ServerSettings: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8169
    /// The largest request body `/jsonrpc` and JSON-2 accept.
    public var maxBodyBytes: Int = 1 << 20
    /// RPC requests (`/jsonrpc` and JSON-2 together) per second, and how many may come at once above it.
    public var rpcRate: Double = 2_000
    public var rpcBurst: Double = 4_000
    /// Web-session cookies carry `Secure` when browsers reach the sidecar over HTTPS.
    public var secureCookies = false

    public init(
        host: String = "127.0.0.1",
        port: Int = 8169,
        maxBodyBytes: Int = 1 << 20,
        rpcRate: Double = 2_000,
        rpcBurst: Double = 4_000,
        secureCookies: Bool = false
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.rpcRate = rpcRate
        self.rpcBurst = rpcBurst
        self.secureCookies = secureCookies
    }
}

/// The sidecar's HTTP surface.
public enum HTTPServer {
    public static func router(rpc: RPCEndpoint, store: any Store, settings: ServerSettings, workers: WorkerPool?) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestIDMiddleware())
        let limit = settings.maxBodyBytes
        // One bucket for all RPC: a runaway client gets 429 with Retry-After instead of starving the workers.
        let limiter = BurstLimiter(rate: settings.rpcRate, burst: settings.rpcBurst)

        router.post("/jsonrpc") { request, _ -> Response in
            if let wait = limiter.take(0) {
                return tooMany(
                    wait,
                    json: Envelope.error(
                        id: .null,
                        rpc.fault(
                            from: OdooFault(.tooManyRequests, "Too many requests: more than \(Int(settings.rpcRate)) per second; retry in \(wait) s")
                        )
                    )
                )
            }
            let (status, envelope): (HTTPResponse.Status, JSONValue)
            do {
                (status, envelope) = await jsonRPC(try await request.body.collect(upTo: limit), rpc: rpc)
            } catch is NIOTooManyBytesError {
                (status, envelope) = (
                    .contentTooLarge,
                    Envelope.error(id: .null, rpc.fault(from: OdooFault(.payloadTooLarge, "Request body exceeds the limit of \(limit) bytes")))
                )
            } catch {
                (status, envelope) = (
                    .badRequest, Envelope.error(id: .null, rpc.fault(from: OdooFault(.badRequest, "The request body could not be read")))
                )
            }
            return json(envelope, status: status)
        }

        router.post("/json/2/:model/:method") { request, context -> Response in
            if let wait = limiter.take(0) {
                return tooMany(
                    wait,
                    json: ["name": .string(OdooFault.Kind.tooManyRequests.rawValue), "message": .string("Too many requests; retry in \(wait) s")]
                )
            }
            do {
                let model = try context.parameters.require("model")
                let method = try context.parameters.require("method")
                let body = try await readJSON(request, limit: limit, emptyIsNull: true)
                let auth = request.headers[.authorization]
                let bearer = auth.flatMap { a -> String? in
                    let parts = a.split(separator: " ", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
                }
                return json(try await rpc.callJSON2(model: model, method: method, bearer: bearer, body: body))
            } catch {
                let fault = rpc.fault(from: error)
                var data = fault.data
                if case .object(var o) = data {
                    o.removeValue(forKey: "debug")
                    data = .object(o)
                }
                return json(data, status: HTTPResponse.Status(code: fault.httpStatus))
            }
        }

        addXMLRPC(to: router, rpc: rpc, limiter: limiter, limit: limit, rate: settings.rpcRate)
        addWebSessions(to: router, rpc: rpc, sessions: WebSessions(), limiter: limiter, limit: limit, secureCookies: settings.secureCookies)

        router.get("/healthz") { _, _ in json(["status": "ok"]) }

        // Ready: the store answers with the current schema and the workers (if this sidecar runs any) run.
        router.get("/readyz") { _, _ -> Response in
            var body: [String: JSONValue] = ["store": .string(store.location), "schema_latest": .int(Int64(Migrator.latest))]
            var problems: [String] = []
            do {
                let version = try await Migrator.currentVersion(store)
                body["schema_version"] = .int(Int64(version))
                if version != Migrator.latest {
                    problems.append("the schema is at version \(version), not \(Migrator.latest): run zoho-sidecar migrate")
                }
            } catch {
                problems.append("the store does not answer: \(Secrets.redact("\(error)"))")
            }
            if let workers {
                body["workers"] = .string(workers.isRunning ? "running" : "stopped")
                if !workers.isRunning { problems.append("the worker pool is not running") }
            } else {
                body["workers"] = "disabled"
            }
            body["status"] = .string(problems.isEmpty ? "ok" : "error")
            if !problems.isEmpty { body["errors"] = .array(problems.map { .string($0) }) }
            return json(.object(body), status: problems.isEmpty ? .ok : .serviceUnavailable)
        }
        return router
    }

    /// One `/jsonrpc` request body to its answer in Odoo's envelope: what the route serves, and what
    /// the fuzzer feeds (Tests/SidecarTests/FuzzTests.swift).
    public static func jsonRPC(_ body: ByteBuffer, rpc: RPCEndpoint) async -> (HTTPResponse.Status, JSONValue) {
        var id: JSONValue = .null
        do {
            let request: JSONValue
            do {
                request = try JSONValue.parse(body.readableBytesView)
            } catch {
                throw OdooFault(.badRequest, "Invalid JSON in request body (\(body.readableBytes) bytes)")
            }
            id = request["id"] ?? .null
            guard let params = request["params"]?.objectValue, let service = params["service"]?.stringValue,
                let method = params["method"]?.stringValue
            else {
                throw OdooFault(
                    .badRequest,
                    "Invalid JSON-RPC request: expected {\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":{\"service\":…,\"method\":…,\"args\":[…]},\"id\":…}"
                )
            }
            guard let args = (params["args"] ?? .array([])).arrayValue else {
                throw OdooFault(.badRequest, "Invalid JSON-RPC request: params.args must be a list")
            }
            return (.ok, Envelope.result(id: id, try await rpc.call(service: service, method: method, args: args)))
        } catch {
            let fault = rpc.fault(from: error)
            return (fault.kind == .badRequest ? .badRequest : .ok, Envelope.error(id: id, fault))
        }
    }

    static func readJSON(_ request: Request, limit: Int, emptyIsNull: Bool = false) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw OdooFault(.payloadTooLarge, "Request body exceeds the limit of \(limit) bytes")
        }
        if buffer.readableBytes == 0, emptyIsNull { return .null }
        do {
            return try JSONValue.parse(buffer.readableBytesView)
        } catch {
            throw OdooFault(.badRequest, "Invalid JSON in request body (\(buffer.readableBytes) bytes)")
        }
    }

    static func tooMany(_ retryAfter: Int, json value: JSONValue) -> Response {
        var response = json(value, status: .tooManyRequests)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = value.serializedBytes()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}

/// Gives every request an id (the caller's `X-Request-Id` when it is a sane token, else a new one),
/// sets it on every log line written while the request runs, and returns it in the response.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given = request.headers[Self.header].flatMap { id in
            id.count <= 64 && !id.isEmpty && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) } ? id : nil
        }
        let id = given ?? String(UInt64.random(in: 1...UInt64.max), radix: 16)
        var response = try await LogContext.$requestID.withValue(id) { try await next(request, context) }
        response.headers[Self.header] = id
        return response
    }
}
