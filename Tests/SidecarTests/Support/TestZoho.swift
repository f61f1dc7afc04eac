import AsyncHTTPClient
import Core
import Foundation
import Hummingbird
import NIOCore
import Simulator

/// The simulated Zoho for the sidecar's tests, in-process on an ephemeral port.
struct TestZoho {
    let sim: ZohoSimulator
    let base: String

    /// `zoho_url_template` for a sidecar that should talk to this simulator.
    var template: String { base + "/{dc}" }

    static func with<T>(_ configure: (inout SimConfig) -> Void = { _ in }, _ body: (TestZoho) async throws -> T) async throws -> T {
        _ = TestLog.bootstrapped
        var config = SimConfig()
        config.autoApprove = true
        configure(&config)
        let sim = ZohoSimulator(config: config, port: 0)
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = try await sim.application { cont.yield($0) }
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        var it = ports.makeAsyncIterator()
        return try await body(TestZoho(sim: sim, base: "http://127.0.0.1:\(await it.next()!)"))
    }

    func control(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        var r = HTTPClientRequest(url: base + "/_sim/" + path)
        r.method = .init(rawValue: method)
        if let body { r.body = .bytes(ByteBuffer(string: body.serialized())) }
        let response = try await HTTPClient.shared.execute(r, timeout: .seconds(10))
        return (try? JSONValue.parse(Array(try await response.body.collect(upTo: 16 << 20).readableBytesView))) ?? .null
    }

    /// Adds the organisation's own fields to a CRM module, as Zoho's Create Custom Fields API does.
    func addCRMFields(_ module: String, _ fields: [JSONValue]) async throws {
        _ = try await control("POST", "crm/eu/settings/fields?module=\(module)", ["fields": .array(fields)])
    }

    /// A picklist's options in the Create Custom Fields API's shape.
    static func options(_ values: [String]) -> JSONValue {
        .array(values.map { ["display_value": .string($0), "actual_value": .string($0)] })
    }

    /// Token requests Zoho saw, by grant type.
    func tokenRequests(_ grant: String) async throws -> Int {
        try await control("GET", "requests?path_prefix=/accounts/oauth/v2/token").arrayValue?.filter { $0["grant_type"]?.stringValue == grant }.count
            ?? 0
    }
}

/// GET without following redirects, as a browser's first hop is observed.
enum Browser {
    static let client: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }()

    static func get(_ url: String) async throws -> (status: Int, location: String?, body: String) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), response.headers.first(name: "location"), body)
    }
}
