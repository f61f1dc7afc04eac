import AsyncHTTPClient
import Core
import Foundation
import Hummingbird
import Logging
import NIOCore
import OdooRPC
import Server
import Store
import Synchronization
import Testing
import ZohoAPI

/// A real sidecar on 127.0.0.1 with an ephemeral port, on a fresh store, for tests that speak HTTP.
struct TestSidecar {
    let sidecar: Sidecar
    let port: Int
    let dataDir: String
    /// The PostgreSQL URL (with its private schema) when the engine is PostgreSQL.
    let databaseURL: String?
    let apiKey: String
    let uid: Int64
    let logLines: LogCapture
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func with<T>(_ engine: Engine, settings extra: [String: String] = [:], _ body: (TestSidecar) async throws -> T) async throws -> T {
        let dir = try TestStores.temporaryDirectory()
        var flags = ["port": "0", "data_dir": dir]
        if let url = try await TestStores.databaseURL(for: engine) { flags["database"] = url }
        flags.merge(extra) { _, new in new }
        let settings = try Settings.resolve(SidecarSettings.catalogue, flags: flags, environment: [:], configFile: nil)
        _ = TestLog.bootstrapped
        let capture = LogCapture()
        var logger = Logger(label: "test") { label in SidecarLogHandler(label: label, level: .debug, format: .text, sink: capture.append) }
        logger.logLevel = .debug
        let sidecar = try await Sidecar.open(settings: settings, environment: [:], logger: logger)
        let (id, key) = try await sidecar.keys.create(name: "tests")
        TestLog.secret(key)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = sidecar.application { port in portContinuation.yield(port) }
        let workers = sidecar.workers
        let task = Task {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await app.runService() }
                if let workers { group.addTask { await workers.run() } }
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw StoreError(.unavailable, "server did not start") }
        let server = TestSidecar(
            sidecar: sidecar,
            port: port,
            dataDir: dir,
            databaseURL: flags["database"],
            apiKey: key,
            uid: id,
            logLines: capture,
            task: task
        )
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func stop() async {
        await noteSecrets()
        await sidecar.workers?.stop(grace: .seconds(2))
        task.cancel()
        _ = try? await task.value
        await sidecar.store.close()
    }

    /// Every secret the test's instances ended with (tokens, client and webhook secrets), for the suite's log scan.
    func noteSecrets() async {
        let ids = (try? await sidecar.store.query(SQL("SELECT id FROM instances")))?.compactMap { $0["id"].int } ?? []
        for id in ids {
            guard let i = try? await sidecar.zoho.instances.load(id) else { continue }
            for secret in [i.accessToken, i.refreshToken, i.clientSecret, i.webhookSecret].compactMap({ $0 }) { TestLog.secret(secret) }
        }
    }

    // MARK: HTTP helpers

    struct HTTPResult {
        let status: Int
        let body: JSONValue
        let text: String
    }

    func post(_ path: String, body: String, headers: [(String, String)] = []) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let text = String(buffer: bytes)
        return HTTPResult(status: Int(response.status.code), body: (try? JSONValue.parse(text)) ?? .null, text: text)
    }

    func get(_ path: String) async throws -> HTTPResult {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        return HTTPResult(status: Int(response.status.code), body: (try? JSONValue.parse(text)) ?? .null, text: text)
    }

    /// A JSON-RPC call; returns the whole response envelope.
    func rpc(_ service: String, _ method: String, _ args: [JSONValue]) async throws -> JSONValue {
        let request = Envelope.request(id: 7, service: service, method: method, args: args)
        return try await post("/jsonrpc", body: request.serialized()).body
    }

    /// `execute_kw` as the sidecar's own API key; returns `result`, or throws the fault.
    func execute(
        _ model: String,
        _ method: String,
        _ args: [JSONValue] = [],
        _ kwargs: [String: JSONValue] = [:],
        companies: [Int64]? = nil,
        key: String? = nil
    ) async throws -> JSONValue {
        var kw = kwargs
        if let companies { kw["context"] = ["allowed_company_ids": .array(companies.map { .int($0) })] }
        let response = try await rpc(
            "object",
            "execute_kw",
            ["db", .int(uid), .string(key ?? apiKey), .string(model), .string(method), .array(args), .object(kw)]
        )
        if let error = response["error"] {
            throw OdooFault(data: error["data"] ?? .null) ?? OdooFault(.serverError, error.serialized())
        }
        return response["result"] ?? .null
    }
}

/// Log lines written during a test, for scanning them for secrets.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    @Sendable func append(_ line: String) {
        lines.withLock { $0.append(line) }
        TestLog.write(line)
    }
}

/// Expects `body` to throw an Odoo fault of one of `kinds`; returns it.
@discardableResult
func expectFault(_ kinds: OdooFault.Kind..., sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Any) async -> OdooFault? {
    let expected = kinds.map(\.rawValue).joined(separator: " or ")
    do {
        _ = try await body()
        Issue.record("expected \(expected), but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let fault as OdooFault {
        #expect(kinds.contains(fault.kind), "got \(fault)", sourceLocation: sourceLocation)
        return fault
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
