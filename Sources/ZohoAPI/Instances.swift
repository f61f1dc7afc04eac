import Core
import Foundation
import Store

/// A Zoho instance as the engine needs it: settings, and its secrets opened from the vault.
public struct Instance: Sendable {
    public let id: Int64
    public let companyID: Int64
    public let name: String
    public let active: Bool
    public let dataCenter: String
    public let edition: String
    public let clientID: String?
    public let clientSecret: String?
    public let scopes: String
    public let redirectURI: String?
    public let returnURL: String?
    public let apps: [String]
    public let booksOrganizationID: String?
    public let state: String
    public let accountsServer: String?
    public let apiDomain: String?
    public let grantedScopes: String?
    public let accessToken: String?
    public let refreshToken: String?
    public let tokenExpiresAt: Micros?
    public let webhookSecret: String?
    /// Which proofs of origin its webhooks may present.
    public let acceptsSecret: Bool
    public let acceptsChannelToken: Bool
    public let acceptsSignature: Bool
    /// CRM modules with a notification channel.
    public let watchModules: [String]

    /// Webhooks reach it only while it is active and not disabled.
    public var receivesWebhooks: Bool { active && state != "disabled" }
}

/// Reads and updates instances for the OAuth and API layers (the RPC layer writes the user's fields).
public struct Instances: Sendable {
    public let store: any Store
    public let vault: Vault

    public init(store: any Store, vault: Vault) {
        self.store = store
        self.vault = vault
    }

    public func load(_ id: Int64) async throws -> Instance? {
        guard let r = try await store.query(SQL("SELECT * FROM instances WHERE id = ?", [.int(id)])).first else { return nil }
        func open(_ column: String) throws -> String? { try r[column].blob.map { try vault.unseal($0) } }
        return Instance(
            id: id,
            companyID: r["company_id"].int ?? 0,
            name: r["name"].text ?? "",
            active: (r["active"].int ?? 1) != 0,
            dataCenter: r["data_center"].text ?? "us",
            edition: r["edition"].text ?? "enterprise",
            clientID: r["client_id"].text,
            clientSecret: try open("client_secret_enc"),
            scopes: r["scopes"].text ?? "ZohoCRM.modules.ALL,ZohoCRM.notifications.ALL",
            redirectURI: r["redirect_uri"].text,
            returnURL: r["return_url"].text,
            apps: (r["apps"].text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []).compactMap(\.stringValue),
            booksOrganizationID: r["books_organization_id"].text,
            state: r["state"].text ?? "draft",
            accountsServer: r["accounts_server"].text,
            apiDomain: r["api_domain"].text,
            grantedScopes: r["granted_scopes"].text,
            accessToken: try open("access_token_enc"),
            refreshToken: try open("refresh_token_enc"),
            tokenExpiresAt: r["token_expires_at"].int,
            webhookSecret: try open("webhook_secret_enc"),
            acceptsSecret: (r["webhook_accept_secret"].int ?? 1) != 0,
            acceptsChannelToken: (r["webhook_accept_token"].int ?? 1) != 0,
            acceptsSignature: (r["webhook_accept_signature"].int ?? 1) != 0,
            watchModules: (r["watch_modules"].text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []).compactMap(\.stringValue)
        )
    }

    /// Stores tokens from Zoho, sealed; a refresh keeps the refresh token it already has.
    public func saveTokens(
        _ id: Int64,
        access: String,
        refresh: String?,
        expiresIn: Double,
        accountsServer: String? = nil,
        apiDomain: String? = nil,
        scopes: String? = nil,
        dataCenter: String? = nil
    ) async throws {
        let now = Clock.now()
        var sets = [
            SQL("access_token_enc = ?", [.blob(try vault.seal(access))]), SQL("token_expires_at = ?", [.int(now + Int64(expiresIn * 1e6))]),
            SQL("last_refresh_at = ?", [.int(now)]), SQL("state = 'connected'"), SQL("last_error = NULL"), SQL("updated_at = ?", [.int(now)]),
        ]
        if let refresh { sets.append(SQL("refresh_token_enc = ?", [.blob(try vault.seal(refresh))])) }
        if let accountsServer { sets.append(SQL("accounts_server = ?", [.text(accountsServer)])) }
        if let apiDomain { sets.append(SQL("api_domain = ?", [.text(apiDomain)])) }
        if let scopes { sets.append(SQL("granted_scopes = ?", [.text(scopes)])) }
        if let dataCenter { sets.append(SQL("data_center = ?", [.text(dataCenter)])) }
        try await store.execute(SQL("UPDATE instances SET ") + .joined(sets, separator: ", ") + SQL(" WHERE id = ?", [.int(id)]))
    }

    public func setState(_ id: Int64, _ state: String, error: String?, in db: (any SQLExecutor)? = nil) async throws {
        try await (db ?? store).execute(
            SQL(
                "UPDATE instances SET state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                [.text(state), error.map { .text(Secrets.redact($0)) } ?? .null, .int(Clock.now()), .int(id)]
            )
        )
    }

    /// Marks the instance as needing re-authorization because Zoho refused `refused`, unless its refresh
    /// token is no longer that one (it was authorized again while the refused request ran): one
    /// compare-and-set, so a late refusal never undoes a new authorization. Returns whether it was marked.
    public func markNeedsReauth(_ id: Int64, refused: String, error: String, in db: (any SQLExecutor)? = nil) async throws -> Bool {
        let db = db ?? store
        guard
            let sealed = try await db.query(SQL("SELECT refresh_token_enc FROM instances WHERE id = ?", [.int(id)])).first?["refresh_token_enc"].blob,
            try vault.unseal(sealed) == refused
        else { return false }
        return try await db.execute(
            SQL(
                "UPDATE instances SET state = 'needs_reauth', last_error = ?, updated_at = ? WHERE id = ? AND refresh_token_enc = ?",
                [.text(Secrets.redact(error)), .int(Clock.now()), .int(id), .blob(sealed)]
            )
        ) > 0
    }

    public func setError(_ id: Int64, _ message: String) async throws {
        try await store.execute(
            SQL("UPDATE instances SET last_error = ?, updated_at = ? WHERE id = ?", [.text(Secrets.redact(message)), .int(Clock.now()), .int(id)])
        )
    }

    public func clearTokens(_ id: Int64, state: String, error: String?, in db: (any SQLExecutor)? = nil) async throws {
        try await (db ?? store).execute(
            SQL(
                "UPDATE instances SET access_token_enc = NULL, refresh_token_enc = NULL, token_expires_at = NULL, state = ?, last_error = ?, updated_at = ? WHERE id = ?",
                [.text(state), error.map { .text(Secrets.redact($0)) } ?? .null, .int(Clock.now()), .int(id)]
            )
        )
    }

    /// A named lease shared by every sidecar on the database: true if `holder` now holds `name`.
    public func tryLock(_ name: String, holder: String, seconds: Double) async throws -> Bool {
        let now = Clock.now()
        let rows = try await store.write(
            SQL(
                """
                INSERT INTO locks (name, holder, expires_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE locks.expires_at < ?
                RETURNING holder
                """,
                [.text(name), .text(holder), .int(now + Int64(seconds * 1e6)), .int(now)]
            )
        )
        return rows.first?["holder"].text == holder
    }

    /// Extends a lease `holder` holds; false when it lost it.
    public func renewLock(_ name: String, holder: String, seconds: Double) async throws -> Bool {
        try await store.execute(
            SQL(
                "UPDATE locks SET expires_at = ? WHERE name = ? AND holder = ?",
                [.int(Clock.now() + Int64(seconds * 1e6)), .text(name), .text(holder)]
            )
        ) == 1
    }

    public func unlock(_ name: String, holder: String) async {
        _ = try? await store.execute(SQL("DELETE FROM locks WHERE name = ? AND holder = ?", [.text(name), .text(holder)]))
    }
}
