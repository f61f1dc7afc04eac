import Core
import Crypto
import Foundation
import Glibc

/// Encrypts secrets at rest: AES-256-GCM with a fresh random nonce per value. The master key comes
/// from `ZOHO_SIDECAR_MASTER_KEY` (base64 of 32 bytes) or from a key file created on first start with
/// mode 0600. Stored form: 1 version byte, then nonce ‖ ciphertext ‖ tag (CryptoKit's combined box).
public struct Vault: Sendable {
    // Raw bytes: SymmetricKey is not Sendable, and building one per call costs nothing measurable.
    private let keyBytes: [UInt8]
    static let version: UInt8 = 1

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(base64Key: String) throws {
        guard let data = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw StoreError(.invalid, "master key: expected base64 of 32 random bytes (try: head -c32 /dev/urandom | base64)")
        }
        self.keyBytes = Array(data)
    }

    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The key from the environment variable if set, else from `keyFile`, creating it (0600) if missing.
    public static func load(environment: [String: String], keyFile: String) throws -> Vault {
        if let env = environment["ZOHO_SIDECAR_MASTER_KEY"], !env.isEmpty {
            return try Vault(base64Key: env)
        }
        let fm = FileManager.default
        if !fm.fileExists(atPath: keyFile) {
            let fd = Glibc.open(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { throw StoreError(.unavailable, "cannot create master key file \(keyFile): \(String(cString: strerror(errno)))") }
            let text = generateKey() + "\n"
            let written = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
            guard written > 0 else { throw StoreError(.unavailable, "cannot write master key file \(keyFile)") }
        }
        var info = stat()
        if stat(keyFile, &info) == 0, info.st_mode & 0o077 != 0 {
            throw StoreError(
                .invalid,
                "master key file \(keyFile) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it"
            )
        }
        guard let text = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw StoreError(.unavailable, "cannot read master key file \(keyFile)")
        }
        return try Vault(base64Key: text)
    }

    /// A key for another purpose (signing OAuth states), derived so the master key itself is never reused.
    public func derivedKey(_ purpose: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: key))
    }

    public func seal(_ plaintext: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw StoreError(.invalid, "AES-GCM produced no combined box") }
        return [Self.version] + Array(combined)
    }

    public func unseal(_ sealed: [UInt8]) throws -> String {
        guard sealed.first == Self.version, sealed.count > 1 + 12 + 16 else {
            throw StoreError(.invalid, "stored secret is not a sealed value of this vault")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(sealed.dropFirst()))
            let plain = String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
            Secrets.register(plain)
            return plain
        } catch {
            throw StoreError(
                .invalid,
                "stored secret cannot be decrypted with this master key (was the key changed without `zoho-sidecar keys rotate`?)"
            )
        }
    }

    /// The columns that hold sealed secrets, for `keys rotate` and for audits of the database file.
    public static let sealedColumns: [(table: String, column: String)] = [
        ("instances", "client_secret_enc"), ("instances", "access_token_enc"), ("instances", "refresh_token_enc"),
        ("instances", "webhook_secret_enc"), ("instances", "odoo_api_key_enc"),
    ]
}

extension Vault {
    /// Re-seals every stored secret under `newVault` in one transaction: all or nothing, so a
    /// failure half-way leaves everything readable with the old key. Returns how many values moved.
    public func rotate(to newVault: Vault, in store: any Store) async throws -> Int {
        let old = self
        return try await store.transaction { tx in
            var n = 0
            for (table, column) in Vault.sealedColumns {
                for row in try await tx.query(SQL("SELECT id, \(column) AS sealed FROM \(table) WHERE \(column) IS NOT NULL")) {
                    guard let id = row["id"].int, let sealed = row["sealed"].blob else { continue }
                    let plain = try old.unseal(sealed)
                    try await tx.execute(SQL("UPDATE \(table) SET \(column) = ? WHERE id = ?", [.blob(try newVault.seal(plain)), .int(id)]))
                    n += 1
                }
            }
            return n
        }
    }
}
