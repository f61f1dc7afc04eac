import Core
import Foundation

public enum StoreFactory {
    /// PostgreSQL when `database` is a postgres:// URL, else the embedded SQLite file in `dataDir`.
    public static func open(database: String?, dataDir: String, sqliteSynchronous: SQLiteStore.Synchronous = .full) async throws -> any Store {
        if let database, !database.isEmpty {
            return try await PostgresStore.connect(url: database)
        }
        try ensurePrivateDirectory(dataDir)
        return try await SQLiteStore.open(path: (dataDir as NSString).appendingPathComponent("sidecar.sqlite"), synchronous: sqliteSynchronous)
    }

    /// Creates the data directory with mode 0700 (it holds the database and the master key), or makes
    /// an existing one private: one made beforehand (by hand, by a package) is often 0755.
    public static func ensurePrivateDirectory(_ path: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw StoreError(.invalid, "data_dir: \(path) exists and is not a directory") }
            let mode = (try? fm.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            guard mode & 0o077 != 0 else { return }
            do {
                try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
            } catch {
                let shown = String(mode, radix: 8)
                throw StoreError(.invalid, "data_dir: \(path) is open to other users (mode \(shown)) and cannot be made private: chmod 700 it")
            }
            return
        }
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.unavailable, "data_dir: cannot create \(path): \(error.localizedDescription)")
        }
    }
}
