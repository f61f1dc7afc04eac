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
        let records = orgs.values.map { $0.records.values.map(\.count).reduce(0, +) }.reduce(0, +)
        // Control edits are not in the request log: the custom fields count on their own.
        var customFields = 0
        for org in orgs.values { customFields += (org.customFields ?? [:]).values.map(\.count).reduce(0, +) }
        for org in books.values { customFields += org.customFields?.count ?? 0 }
        let fingerprint = requestLog.count ^ clients.count ^ (records << 20) ^ (customFields << 44)
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
        let s = try JSONDecoder().decode(Snapshot.self, from: Data(Self.withDefaultConfig(Array(data)).serializedBytes()))
        (config, clockOffsetMicros, clients, grants, refreshTokens, accessTokens, orgs, books) =
            (s.config, s.clockOffsetMicros, s.clients, s.grants, s.refreshTokens, s.accessTokens, s.orgs, s.books)
        // A file from before a module existed has no table for it.
        for dc in orgs.keys { orgs[dc]!.addMissingModules() }
        duplicates.removeAll()
    }

    /// The saved snapshot with every setting it lacks at its default: a file written before a setting
    /// existed still loads.
    static func withDefaultConfig(_ bytes: [UInt8]) throws -> JSONValue {
        let saved = try JSONValue.parse(bytes)
        guard case .object(var top) = saved, let config = top["config"]?.objectValue,
            var merged = try JSONValue.parse(Array(JSONEncoder().encode(SimConfig()))).objectValue
        else { return saved }
        merged.merge(config) { _, kept in kept }
        top["config"] = .object(merged)
        return .object(top)
    }
}
