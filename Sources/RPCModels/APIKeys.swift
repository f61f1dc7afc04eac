import Core
import Crypto
import Foundation
import OdooRPC
import Store

/// Keys that RPC clients (the Odoo addon, operators' scripts) present as their password. Only a
/// SHA-256 of each key is stored: keys are 32 random bytes, so a slow hash would add nothing.
public struct APIKeys: Sendable {
    public let store: any Store

    public init(store: any Store) { self.store = store }

    public struct Key: Sendable {
        public let id: Int64
        public let name: String
        public let prefix: String
        public let createdAt: Micros
        public let lastUsedAt: Micros?
        public let revokedAt: Micros?
    }

    static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).hex
    }

    /// Creates a key and returns it in clear: the only time it is ever seen.
    public func create(name: String) async throws -> (id: Int64, key: String) {
        guard !name.isEmpty else { throw OdooFault(.validationError, "an API key needs a name (--name)") }
        let key = "zsk_" + Random.token(bytes: 32)
        let id =
            try await store.transaction { tx in
                try await tx.query(
                    SQL(
                        "INSERT INTO api_keys (name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                        [.text(name), .text(Self.hash(key)), .text(String(key.prefix(8))), .int(Clock.now())]
                    )
                )
            }.first?[0].int ?? 0
        return (id, key)
    }

    public func list() async throws -> [Key] {
        try await store.query(SQL("SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id")).map {
            Key(
                id: $0["id"].int ?? 0,
                name: $0["name"].text ?? "",
                prefix: $0["prefix"].text ?? "",
                createdAt: $0["created_at"].int ?? 0,
                lastUsedAt: $0["last_used_at"].int,
                revokedAt: $0["revoked_at"].int
            )
        }
    }

    /// Revokes by id or by name; returns how many keys were revoked.
    public func revoke(_ idOrName: String) async throws -> Int {
        let now = Clock.now()
        if let id = Int64(idOrName) {
            return try await store.execute(SQL("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.int(now), .int(id)]))
        }
        return try await store.execute(SQL("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", [.int(now), .text(idOrName)]))
    }

    /// Whether the key with this id exists and is not revoked (a web session opened with it lives on).
    public func isLive(id: Int64) async throws -> Bool {
        try await store.query(SQL("SELECT id FROM api_keys WHERE id = ? AND revoked_at IS NULL", [.int(id)])).isEmpty == false
    }

    /// The key's id when `key` is a live key (and, if given, named `login`); nil otherwise.
    public func verify(_ key: String, login: String? = nil) async throws -> Int64? {
        guard key.hasPrefix("zsk_"), key.utf8.count < 200 else { return nil }
        let rows = try await store.query(SQL("SELECT id, name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", [.text(Self.hash(key))]))
        guard let row = rows.first, let id = row["id"].int else { return nil }
        // The hash lookup already compared the secret; the login is a label, compared only to match Odoo's API.
        if let login, !login.isEmpty, login != row["name"].text, login != String(id) { return nil }
        return id
    }
}
