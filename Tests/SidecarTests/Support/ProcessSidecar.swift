import AsyncHTTPClient
import Core
import Foundation
import NIOCore
import OdooRPC
import Store
import Testing

/// The real `zoho-sidecar` binary as a child process on a fixed port, for tests that kill it.
/// Its output goes to the suite's log directory (scanned for secrets) or its data directory.
final class ProcessSidecar: @unchecked Sendable {
    let dataDir: String
    let database: String?
    let port: Int
    let settings: [String: String]
    private(set) var apiKey = ""
    private var process: Process?
    private let lock = NSLock()

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static var binary: String {
        if let bin = ProcessInfo.processInfo.environment["SIDECAR_BIN"] { return bin }
        // The test bundle sits beside the products it was built with.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") || dir.path.contains(".xctest/") {
            while dir.lastPathComponent != "debug" && dir.lastPathComponent != "release" && dir.path != "/" { dir.deleteLastPathComponent() }
        }
        return dir.appendingPathComponent("zoho-sidecar").path
    }

    init(engine: Engine, settings: [String: String], port: Int? = nil) async throws {
        dataDir = try TestStores.temporaryDirectory()
        database = try await TestStores.databaseURL(for: engine)
        self.port = try port ?? Self.freePort()
        self.settings = settings
        let output = try run(["apikey", "create", "--name", "chaos"])
        apiKey = output.split(separator: "\n").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        TestLog.secret(apiKey)
    }

    var arguments: [String] {
        var args = ["--data-dir", dataDir]
        if let database { args += ["--database", database] }
        return args
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in settings { env["ZOHO_SIDECAR_" + k.uppercased()] = v }
        return env
    }

    var logPath: String {
        let dir = TestLog.directory ?? dataDir
        return (dir as NSString).appendingPathComponent("process-sidecar-\(port).log")
    }

    /// A CLI command to completion; its standard output.
    @discardableResult
    func run(_ command: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = command + arguments
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try logHandle()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw StoreError(.unavailable, "zoho-sidecar \(command.joined(separator: " ")) exited \(p.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func logHandle() throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        handle.seekToEndOfFile()
        return handle
    }

    /// Starts `serve` and waits until /healthz answers.
    func start() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["serve", "--port", String(port)] + arguments
        p.environment = environment
        let log = try logHandle()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        lock.withLock { process = p }
        // Generous for a debug build among a busy parallel test run; a healthy start returns at once.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            // Short tries: until the port is open, the client retries a request's connection up to its timeout.
            if (try? await get("/healthz", timeout: .seconds(2)))?.status == 200 { return }
            guard p.isRunning else {
                throw StoreError(.unavailable, "zoho-sidecar exited with \(p.terminationStatus) on start; its log ends:\n\(logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The log's folder is gone once the suite ends: its end goes into the failure itself.
        throw StoreError(.unavailable, "zoho-sidecar did not answer /healthz within 60 s; its log ends:\n\(logTail())")
    }

    /// Everything the process wrote so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(3_000))
    }

    /// SIGKILL: no chance to finish anything.
    func kill() {
        guard let p = lock.withLock({ process }) else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// SIGTERM: the graceful way; returns the exit status.
    @discardableResult
    func terminate() -> Int32 {
        guard let p = lock.withLock({ process }), p.isRunning else { return 0 }
        p.terminate()
        p.waitUntilExit()
        return p.terminationStatus
    }

    var rssMB: Double {
        guard let p = lock.withLock({ process }), p.isRunning,
            let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw StoreError(.unavailable, "no free port") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    // MARK: RPC

    func get(_ path: String, timeout: TimeAmount = .seconds(10)) async throws -> (status: Int, text: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: timeout)
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    func execute(_ model: String, _ method: String, _ args: [JSONValue] = [], _ kwargs: [String: JSONValue] = [:]) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + "/jsonrpc")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let envelope = Envelope.request(
            id: 1,
            service: "object",
            method: "execute_kw",
            args: ["db", 1, .string(apiKey), .string(model), .string(method), .array(args), .object(kwargs)]
        )
        request.body = .bytes(ByteBuffer(bytes: envelope.serializedBytes()))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let reply = try JSONValue.parse(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        if let error = reply["error"] { throw OdooFault(data: error["data"] ?? .null) ?? OdooFault(.serverError, error.serialized()) }
        return reply["result"] ?? .null
    }
}

extension ProcessSidecar {
    /// A CRM instance on the simulator, authorized through its consent; its id and the OAuth client id.
    func connect(_ zoho: TestZoho, name: String) async throws -> (instance: Int64, clientID: String) {
        let secret = "client-\(UUID().uuidString)"
        TestLog.secret(secret)
        let redirect = baseURL + "/zoho/oauth/callback"
        let client = try await zoho.control("POST", "clients", ["redirect_uris": [.string(redirect)], "client_secret": .string(secret)])
        let clientID = try #require(client["client_id"]?.stringValue)
        let instance = try #require(
            try await execute(
                "zoho.instance",
                "create",
                [
                    [
                        "name": .string(name), "data_center": "eu", "client_id": .string(clientID), "client_secret": .string(secret),
                        "redirect_uri": .string(redirect),
                        "scopes": "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.org.READ,ZohoCRM.notifications.ALL",
                    ]
                ]
            ).intValue
        )
        try await ChaosTests.authorize(self, instance)
        return (instance, clientID)
    }
}
