import AsyncHTTPClient
import Core
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The simulator as a server: one process serves every data centre under `/<dc>/accounts/…` and
/// `/<dc>/api/…`, plus the control API under `/_sim/…`. Tests start it in-process on port 0.
public struct ZohoSimulator: Sendable {
    public let state: SimState
    public let host: String
    public let port: Int
    let stateFile: String?
    let logger: Logger

    public init(
        config: SimConfig = SimConfig(),
        seed: UInt64? = nil,
        host: String = "127.0.0.1",
        port: Int = 9100,
        stateFile: String? = nil,
        logger: Logger = Logger(label: "zoho-sim")
    ) {
        self.state = SimState(config: config, seed: seed, notifier: Notifier())
        self.host = host
        self.port = port
        self.stateFile = stateFile
        self.logger = logger
    }

    /// The HTTP application; `onRunning` gets the bound port.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol {
        if let stateFile { try await state.load(from: stateFile) }
        let state = self.state
        let host = self.host
        var services: [any Service] = []
        if let stateFile { services.append(Persister(state: state, path: stateFile)) }
        return Application(
            responder: SimResponder(state: state),
            configuration: .init(address: .hostname(host, port: port), serverName: "zoho-sim"),
            services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await state.setBaseURL("http://\(host):\(port)")
                await onRunning(port)
            },
            logger: logger
        )
    }
}

struct SimContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

struct SimResponder: HTTPResponder {
    let state: SimState

    func respond(to request: Request, context: SimContext) async throws -> Response {
        var parts = request.uri.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let dc = parts.isEmpty ? "" : parts.removeFirst()
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let body = try await request.body.collect(upTo: 32 << 20)
        let sim = SimRequest(
            method: request.method.rawValue,
            path: parts,
            dc: dc,
            query: SimRequest.parseQuery(request.uri.query ?? ""),
            headers: headers,
            body: Array(body.readableBytesView)
        )
        var response: SimResponse
        switch await state.admit(sim) {
        case .respond(let r): response = r
        case .proceed(let heavy, let replyLost):
            let latency = await state.apiLatency
            if latency > 0 { try? await Task.sleep(for: .milliseconds(latency)) }
            let answer = await state.complete(sim, heavy: heavy)
            response = replyLost ? SimState.dropped : answer
        }
        switch response.effect {
        case .none: break
        case .dropConnection:
            try? await context.channel.close()
            throw CancellationError()
        case .hold(let seconds):
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }
        var fields = HTTPFields()
        for (k, v) in response.headers { if let name = HTTPField.Name(k) { fields.append(HTTPField(name: name, value: v)) } }
        return Response(status: .init(code: response.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }
}

/// Saves the simulator's state to its file every second when it changed, and once more at shutdown.
struct Persister: Service {
    let state: SimState
    let path: String

    func run() async throws {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            try? await state.save(to: path)
        }
        try await state.save(to: path)
    }
}
