import AsyncHTTPClient
import Core
import Foundation
import Hummingbird
import NIOCore
import Simulator
import Synchronization
import Testing

/// A simulator on an ephemeral port, and the HTTP moves a Zoho client makes against it.
struct TestSim {
    let sim: ZohoSimulator
    let port: Int
    private let task: Task<Void, any Error>
    var base: String { "http://127.0.0.1:\(port)" }
    static let redirect = "http://127.0.0.1:1/zoho/oauth/callback"

    static func with<T>(
        _ configure: (inout SimConfig) -> Void = { _ in },
        seed: UInt64? = nil,
        stateFile: String? = nil,
        _ body: (TestSim) async throws -> T
    ) async throws -> T {
        var config = SimConfig()
        config.autoApprove = true
        configure(&config)
        let sim = ZohoSimulator(config: config, seed: seed, port: 0, stateFile: stateFile)
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = try await sim.application { cont.yield($0) }
        let task = Task { try await app.runService() }
        var it = ports.makeAsyncIterator()
        let s = TestSim(sim: sim, port: await it.next()!, task: task)
        defer { task.cancel() }
        return try await body(s)
    }

    /// Enough connections per host that concurrency tests really run concurrently.
    static let http: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // See redirects as a browser-less client must: the 302 to redirect_uri is the answer.
        config.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }()

    struct Reply {
        let status: Int
        let headers: [String: String]
        let text: String
        var json: JSONValue { (try? JSONValue.parse(text)) ?? .null }
    }

    func request(
        _ method: String,
        _ path: String,
        body: String? = nil,
        form: [String: String]? = nil,
        token: String? = nil,
        headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var r = HTTPClientRequest(url: path.hasPrefix("http") ? path : base + path)
        r.method = .init(rawValue: method)
        if let token { r.headers.add(name: "Authorization", value: "Zoho-oauthtoken \(token)") }
        for (k, v) in headers { r.headers.add(name: k, value: v) }
        if let form {
            r.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            r.body = .bytes(
                ByteBuffer(
                    string: form.keys.sorted().map { "\($0)=\(form[$0]!.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(
                        separator: "&"
                    )
                )
            )
        } else if let body {
            r.headers.add(name: "Content-Type", value: "application/json")
            r.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await Self.http.execute(r, timeout: timeout)
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        var hs: [String: String] = [:]
        for h in response.headers { hs[h.name.lowercased()] = h.value }
        return Reply(status: Int(response.status.code), headers: hs, text: text)
    }

    func control(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await request(method, "/_sim/" + path, body: body?.serialized()).json
    }

    struct Client {
        let id: String
        let secret: String
    }

    func client(dcs: [String]? = nil) async throws -> Client {
        var body: [String: JSONValue] = ["redirect_uris": [.string(Self.redirect)]]
        if let dcs { body["dcs"] = .array(dcs.map { .string($0) }) }
        let c = try await control("POST", "clients", .object(body))
        return Client(id: c["client_id"]!.stringValue!, secret: c["client_secret"]!.stringValue!)
    }

    /// Consent (auto-approved) → the redirect's query items.
    func consent(
        _ client: Client,
        dc: String = "us",
        scope: String = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.notifications.ALL,ZohoBooks.fullaccess.all",
        state: String = "st8",
        offline: Bool = true
    ) async throws -> [String: String] {
        let q =
            "response_type=code&client_id=\(client.id)&scope=\(scope)&redirect_uri=\(Self.redirect)&access_type=\(offline ? "offline" : "online")&prompt=consent&state=\(state)"
        let reply = try await request("GET", "/\(dc)/accounts/oauth/v2/auth?\(q)")
        #expect(reply.status == 302)
        let location = try #require(reply.headers["location"])
        return Dictionary(uniqueKeysWithValues: (URLComponents(string: location)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    func exchange(_ client: Client, code: String, dc: String = "us", secret: String? = nil) async throws -> Reply {
        try await request(
            "POST",
            "/\(dc)/accounts/oauth/v2/token",
            form: [
                "grant_type": "authorization_code", "client_id": client.id, "client_secret": secret ?? client.secret,
                "redirect_uri": Self.redirect, "code": code,
            ]
        )
    }

    func refresh(_ client: Client, _ refreshToken: String, dc: String = "us") async throws -> Reply {
        try await request(
            "POST",
            "/\(dc)/accounts/oauth/v2/token",
            form: [
                "grant_type": "refresh_token", "client_id": client.id, "client_secret": client.secret, "refresh_token": refreshToken,
            ]
        )
    }

    /// A client with live tokens at `dc`.
    func connect(dc: String = "us", scope: String? = nil) async throws -> (client: Client, access: String, refresh: String) {
        let c = try await client()
        let code = if let scope { try await consent(c, dc: dc, scope: scope) } else { try await consent(c, dc: dc) }
        let t = try await exchange(c, code: code["code"]!, dc: dc).json
        return (c, t["access_token"]!.stringValue!, t["refresh_token"]!.stringValue!)
    }
}

/// A local HTTP server that records what is POSTed to it: the far end of notifications and webhooks.
final class Receiver: Sendable {
    struct Hit: Sendable {
        let path: String
        let query: String
        let headers: [String: String]
        let body: String
    }
    private let hits = Mutex<[Hit]>([])
    var all: [Hit] { hits.withLock { $0 } }

    static func with<T>(_ body: (Receiver, String) async throws -> T) async throws -> T {
        let receiver = Receiver()
        let router = Router()
        router.post("/**") { request, _ -> HTTPResponse.Status in
            let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
            var hs: [String: String] = [:]
            for h in request.headers { hs[h.name.canonicalName.lowercased()] = h.value }
            receiver.hits.withLock { $0.append(Hit(path: request.uri.path, query: request.uri.query ?? "", headers: hs, body: text)) }
            return .ok
        }
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { cont.yield($0.localAddress!.port!) }
        )
        let task = Task { try await app.runService() }
        defer { task.cancel() }
        var it = ports.makeAsyncIterator()
        return try await body(receiver, "http://127.0.0.1:\(await it.next()!)")
    }

    /// Waits until `count` hits arrived (or 5 s passed).
    func wait(for count: Int) async -> [Hit] {
        for _ in 0..<500 where all.count < count { try? await Task.sleep(for: .milliseconds(10)) }
        return all
    }
}
