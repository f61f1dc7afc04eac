import Core
import Foundation

/// `--state-file`: the simulated Zoho survives restarts (clients, tokens, records, channels).
extension SimState {
    struct Snapshot: Codable {
        var config: SimConfig
        var clockOffsetMicros: Int64
        var clients: [String: Client]
        var grants: [String: Grant]
        var refreshTokens: [String: RefreshToken]
        var accessTokens: [String: AccessToken]
        var orgs: [String: CRMOrg]
        var books: [String: BooksOrg]
    }

    public func save(to path: String) throws {
        let fingerprint = requestLog.count ^ clients.count ^ (orgs.values.map { $0.records.values.map(\.count).reduce(0, +) }.reduce(0, +) << 20)
        guard fingerprint != lastSavedFingerprint else { return }
        let snapshot = Snapshot(
            config: config,
            clockOffsetMicros: clockOffsetMicros,
            clients: clients,
            grants: grants,
            refreshTokens: refreshTokens,
            accessTokens: accessTokens,
            orgs: orgs,
            books: books
        )
        try JSONEncoder().encode(snapshot).write(to: URL(fileURLWithPath: path), options: .atomic)
        lastSavedFingerprint = fingerprint
    }

    public func load(from path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let s = try JSONDecoder().decode(Snapshot.self, from: data)
        (config, clockOffsetMicros, clients, grants, refreshTokens, accessTokens, orgs, books) =
            (s.config, s.clockOffsetMicros, s.clients, s.grants, s.refreshTokens, s.accessTokens, s.orgs, s.books)
    }
}
