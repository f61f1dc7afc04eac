import Core
import Foundation
import Store
import Testing

/// What every store engine promises. Each test runs against a real SQLite file and a real PostgreSQL.
@Suite("Store contract")
struct StoreContractTests {
    @Test("migrations apply once and leave the schema at the latest version", arguments: TestStores.engines)
    func migrationsAreIdempotent(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            #expect(try await Migrator.currentVersion(store) == Migrator.latest)
            let again = try await Migrator.migrate(store)
            #expect(again.applied.isEmpty)
            #expect(again.current == Migrator.latest)
        }
    }

    @Test("every value kind round-trips unchanged", arguments: TestStores.engines)
    func valuesRoundTrip(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let secret: [UInt8] = [0, 1, 2, 255, 128]
            let id = try await store.transaction { tx in
                try await tx.query(
                    SQL(
                        "INSERT INTO instances (company_id, name, token_expires_at, client_secret_enc, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        [7, "Ünïcode ☃ 'quoted' ?", .int(Int64.max - 1), .blob(secret), .null, 1, 2]
                    )
                )
            }.first?["id"].int
            let rowID = try #require(id)
            let rows = try await store.query(SQL("SELECT * FROM instances WHERE id = ?", [.int(rowID)]))
            let row = try #require(rows.first)
            #expect(row["company_id"] == .int(7))
            #expect(row["name"] == .text("Ünïcode ☃ 'quoted' ?"))
            #expect(row["token_expires_at"] == .int(Int64.max - 1))
            #expect(row["client_secret_enc"] == .blob(secret))
            #expect(row["last_error"] == .null)
            #expect(row["state"] == .text("draft"), "column defaults apply")
        }
    }

    /// A setting upserted and read back in one statement.
    struct PutSetting: PreparedSQL {
        static let text =
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0) ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING key, value"
        let binds: [SQLValue]
    }

    @Test("a prepared statement runs again and again, concurrently, with its own values each time", arguments: TestStores.engines)
    func preparedStatements(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let rows = try await withThrowingTaskGroup(of: [Row].self) { group in
                for n in 0..<40 { group.addTask { try await store.write(PutSetting(binds: [.text("k\(n % 10)"), .text("v\(n)")])) } }
                return try await group.reduce(into: [Row]()) { $0 += $1 }
            }
            #expect(rows.count == 40)
            #expect(Set(rows.compactMap { $0["value"].text }) == Set((0..<40).map { "v\($0)" }))
            let stored = try await store.query(SQL("SELECT count(*) AS n FROM settings WHERE key LIKE 'k%'"))
            #expect(stored.first?["n"].int == 10)
        }
    }

    @Test("SQLite: a data directory made beforehand with mode 0755 is made private (0700) before the database opens in it")
    func dataDirectoryMadePrivate() async throws {
        let dir = try TestStores.temporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        let store = try await StoreFactory.open(database: nil, dataDir: dir)
        await store.close()
        let mode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test("SQLite: the background checkpointer copies the WAL into the database file (commits leave that to it)")
    func backgroundCheckpoint() async throws {
        try await TestStores.withStore(.sqlite) { store in
            let path = try #require((store as? SQLiteStore)?.path)
            func size(_ file: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0 }
            try await Task.sleep(for: .milliseconds(400))  // the migrations' pages settle first
            let before = size(path)
            for n in 0..<300 {
                try await store.execute(
                    SQL(
                        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)",
                        [.text("k\(n)"), .text(String(repeating: "v", count: 2000))]
                    )
                )
            }
            var grown = false
            for _ in 0..<50 where !grown {
                try await Task.sleep(for: .milliseconds(100))
                grown = size(path) > before + 300 * 2000
            }
            #expect(grown, "the database file received the WAL's pages without any commit checkpointing")
        }
    }

    @Test("SQLite: under back-to-back commits the WAL is written from its start again, not grown without end")
    func walRestartsUnderSteadyWrites() async throws {
        let dir = try TestStores.temporaryDirectory()
        let path = dir + "/wal.sqlite"
        // A WAL of 256 pages (1 MiB) is restarted at the next round; passive checkpoints alone never catch up here.
        let store = try await SQLiteStore.open(path: path, walRestartFrames: 256)
        try await store.execute(SQL("CREATE TABLE blobs (b BLOB NOT NULL)"))
        func walSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
        // 64 MiB committed 16 KiB at a time, with no pause between commits.
        let largest = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for _ in 0..<4_096 { try await store.execute(SQL("INSERT INTO blobs VALUES (zeroblob(16384))")) }
                return 0
            }
            group.addTask {
                var largest = 0
                while !Task.isCancelled {
                    largest = max(largest, walSize())
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return largest
            }
            _ = try await group.next()
            group.cancelAll()
            return try await group.reduce(0, max)
        }
        #expect(try await store.scalar(SQL("SELECT count(*) FROM blobs")).int == 4_096)
        await store.close()
        #expect(largest > 0 && largest < 32 << 20, "the WAL reached \(largest >> 20) MiB for 64 MiB committed")
    }

    @Test(
        "SQLite: a write transaction's code runs on the writer connection's own thread, where its statements run, so nothing hands off between threads"
    )
    func writesStayOnTheWriterThread() async throws {
        try await TestStores.withStore(.sqlite) { store in
            let threads = try await store.transaction { tx in
                var seen = Set<String>()
                for n in 0..<30 {
                    try await tx.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)", [.text("t\(n)")]))
                    seen.insert("\(pthread_self()) \(Self.threadName())")
                }
                return seen
            }
            // The writer's pool has one thread, named by NIO "TP-#0"; the shared pool's are "SGLTN-TP-#n".
            #expect(threads.count == 1 && threads.allSatisfy { $0.hasSuffix(" TP-#0") }, "the transaction ran on \(threads)")
            #expect(try await store.scalar(SQL("SELECT count(*) FROM settings WHERE key LIKE 't%'")).int == 30)
        }
    }

    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(
        "a snapshot reads one state of the database: commits made after its first read are not seen, while plain reads see them",
        arguments: TestStores.engines
    )
    func snapshotIsolation(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let insert = SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)", [.text("before")])
            try await store.execute(insert)
            let counted = SQL("SELECT count(*) FROM settings")
            let seen = try await store.snapshot { reader in
                let first = try await reader.scalar(counted).int
                try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('during', 'v', 0)"))
                #expect(try await store.scalar(counted).int == 2, "a plain read sees the commit at once")
                let second = try await reader.scalar(counted).int
                let keys = try await reader.query(SQL("SELECT key FROM settings")).compactMap { $0["key"].text }
                return (first, second, keys)
            }
            #expect(seen.0 == 1)
            #expect(seen.1 == 1)
            #expect(seen.2 == ["before"])
        }
    }

    @Test("concurrent snapshots and plain reads on few reader connections each see their own consistent state", arguments: TestStores.engines)
    func snapshotsUnderWrites(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let writes = Task {
                for n in 0..<400 {
                    try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)", [.text("k\(n)")]))
                }
            }
            // Each checker finds the newest keys and reads them back in the same snapshot: they must all be there.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var checks = 0
                        while checks < 100 {
                            let missing = try await store.snapshot { reader in
                                let keys = try await reader.query(SQL("SELECT key FROM settings ORDER BY key DESC LIMIT 5")).compactMap {
                                    $0["key"].text
                                }
                                guard !keys.isEmpty else { return 0 }
                                let found = try await reader.query(
                                    SQL("SELECT key FROM settings WHERE key IN (") + .list(keys.map { .text($0) }) + SQL(")")
                                )
                                return keys.count - found.count
                            }
                            #expect(missing == 0)
                            checks += 1
                        }
                        return checks
                    }
                }
                for try await _ in group {}
            }
            try await writes.value
        }
    }

    @Test("a transaction that throws leaves nothing behind", arguments: TestStores.engines)
    func rollbackOnThrow(engine: Engine) async throws {
        struct Boom: Error {}
        try await TestStores.withStore(engine) { store in
            await #expect(throws: Boom.self) {
                try await store.transaction { tx in
                    try await tx.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('a', '1', 0)"))
                    throw Boom()
                }
            }
            let count = try await store.scalar(SQL("SELECT count(*) FROM settings")).int
            #expect(count == 0)
        }
    }

    @Test("constraint violations surface as StoreError.constraint", arguments: TestStores.engines)
    func constraintViolation(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('a', '1', 0)"))
            do {
                try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('a', '2', 0)"))
                Issue.record("duplicate primary key was accepted")
            } catch let error as StoreError {
                #expect(error.kind == .constraint)
            }
        }
    }

    @Test("the partial unique index allows one active job per identity key", arguments: TestStores.engines)
    func identityIndex(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let insert = SQL(
                "INSERT INTO jobs (company_id, kind, eta, state, identity_key, created_at, updated_at) VALUES (1, 'k', 0, 'pending', 'same', 0, 0)"
            )
            try await store.execute(insert)
            await #expect(throws: StoreError.self) { try await store.execute(insert) }
            try await store.execute(SQL("UPDATE jobs SET state = 'done'"))
            try await store.execute(insert)
            #expect(try await store.scalar(SQL("SELECT count(*) FROM jobs")).int == 2)
        }
    }

    @Test("concurrent write transactions never lose an update", arguments: TestStores.engines)
    func concurrentWrites(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('n', '0', 0)"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await store.transaction { tx in
                            let lock = tx.engine == .postgres ? " FOR UPDATE" : ""
                            let n = Int(try await tx.scalar(SQL("SELECT value FROM settings WHERE key = 'n'\(lock)")).text ?? "0")!
                            try await tx.execute(SQL("UPDATE settings SET value = ? WHERE key = 'n'", [.text(String(n + 1))]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.scalar(SQL("SELECT value FROM settings WHERE key = 'n'")).text == "40")
        }
    }

    @Test("execute reports the number of rows changed", arguments: TestStores.engines)
    func affectedRows(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            for k in ["a", "b", "c"] { try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, 'x', 0)", [.text(k)])) }
            #expect(try await store.execute(SQL("UPDATE settings SET value = 'y' WHERE key IN (?, ?)", ["a", "b"])) == 2)
            #expect(try await store.execute(SQL("DELETE FROM settings WHERE key = 'zz'")) == 0)
        }
    }

    @Test("the SQLite file is WAL, owner-only, and reopens with its data")
    func sqliteFile() async throws {
        let dir = try TestStores.temporaryDirectory()
        let store = try await StoreFactory.open(database: nil, dataDir: dir)
        _ = try await Migrator.migrate(store)
        #expect(try await store.scalar(SQL("PRAGMA journal_mode")).text == "wal")
        try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('kept', 'yes', 0)"))
        await store.close()
        let path = dir + "/sidecar.sqlite"
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let reopened = try await StoreFactory.open(database: nil, dataDir: dir)
        #expect(try await reopened.scalar(SQL("SELECT value FROM settings WHERE key = 'kept'")).text == "yes")
        await reopened.close()
    }

    @Test(
        "SQLite: two stores on one file (two processes) write at once without an error or a lost row; a lock held past the busy timeout is a clear error, naming no file"
    )
    func sqliteSharedFile() async throws {
        let dir = try TestStores.temporaryDirectory()
        let path = dir + "/shared.sqlite"
        let a = try await SQLiteStore.open(path: path, busyTimeoutMillis: 5000)
        _ = try await Migrator.migrate(a)
        let b = try await SQLiteStore.open(path: path, busyTimeoutMillis: 300)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, store) in [("a", a), ("b", b)] {
                group.addTask {
                    for n in 0..<200 {
                        if n % 2 == 0 {
                            try await store.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)", [.text("\(name)\(n)")]))
                        } else {
                            try await store.transaction { tx in
                                try await tx.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)", [.text("\(name)\(n)")]))
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await a.scalar(SQL("SELECT count(*) FROM settings WHERE key GLOB '[ab][0-9]*'")).int == 400)
        // A writes for longer than B is willing to wait.
        let holding = Task {
            try await a.transaction { tx in
                try await tx.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('held', 'v', 0)"))
                try await Task.sleep(for: .milliseconds(1200))
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        await #expect { try await b.execute(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('late', 'v', 0)")) } throws: {
            ($0 as? StoreError)?.kind == .unavailable && "\($0)".contains("locked by another process") && !"\($0)".contains(dir)
        }
        try await holding.value
        await a.close()
        await b.close()
    }

    @Test("a relaxed commit skips the wait for the disk for itself only; every other commit still waits", arguments: TestStores.engines)
    func relaxedDurability(engine: Engine) async throws {
        try await TestStores.withStore(engine) { store in
            let setting = engine == .postgres ? "SHOW synchronous_commit" : "PRAGMA synchronous"
            let full: SQLValue = engine == .postgres ? .text("on") : .int(2)
            let relaxed: SQLValue = engine == .postgres ? .text("off") : .int(1)
            #expect(try await store.transaction(durability: .relaxed) { try await $0.scalar(SQL(setting)) } == relaxed)
            #expect(try await store.transaction { try await $0.scalar(SQL(setting)) } == full)
            _ = try await store.write(SQL("INSERT INTO settings (key, value, updated_at) VALUES ('relaxed', 'v', 0)"), durability: .relaxed)
            #expect(try await store.write(SQL(setting)).first?.values.first == full, "the connection is back to waiting")
            #expect(try await store.scalar(SQL("SELECT value FROM settings WHERE key = 'relaxed'")).text == "v")
        }
    }

    @Test("an unreachable PostgreSQL gives a clear error naming the address")
    func unreachablePostgres() async throws {
        do {
            TestLog.secret("topsecretpw")
            _ = try await PostgresStore.connect(url: "postgres://u:topsecretpw@127.0.0.1:1/db")
            Issue.record("connected to a closed port")
        } catch let error as StoreError {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"))
            #expect(!error.message.contains("topsecretpw"))
        }
    }

    @Test("a malformed database URL is refused with the expected form")
    func badURL() async throws {
        #expect(throws: StoreError.self) { try PostgresStore.Address(url: "mysql://x") }
    }
}

@Suite("Vault")
struct VaultTests {
    @Test("sealing uses a fresh nonce and opens only with the same key")
    func sealAndOpen() throws {
        let vault = try Vault(base64Key: Vault.generateKey())
        let a = try vault.seal("1000.abcdef0123456789.fedcba")
        let b = try vault.seal("1000.abcdef0123456789.fedcba")
        #expect(a != b)
        #expect(try vault.unseal(a) == "1000.abcdef0123456789.fedcba")
        let other = try Vault(base64Key: Vault.generateKey())
        #expect(throws: StoreError.self) { try other.unseal(a) }
    }

    @Test("the key file is created 0600 and refused when others can read it")
    func keyFile() throws {
        let dir = try TestStores.temporaryDirectory()
        let file = dir + "/master.key"
        _ = try Vault.load(environment: [:], keyFile: file)
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600)
        chmod(file, 0o644)
        #expect(throws: StoreError.self) { try Vault.load(environment: [:], keyFile: file) }
        #expect(throws: StoreError.self) { try Vault.load(environment: ["ZOHO_SIDECAR_MASTER_KEY": "short"], keyFile: file) }
    }
}

@Suite("Key rotation")
struct KeyRotationTests {
    @Test("rotating re-seals every secret: readable with the new key, not with the old", arguments: TestStores.engines)
    func rotate(engine: Engine) async throws {
        try await TestSidecar.with(engine, settings: ["workers": "false"]) { s in
            TestLog.secret("rotate-me-please")
            let id = try #require(try await s.execute("zoho.instance", "create", [["name": "x", "client_secret": "rotate-me-please"]]).intValue)
            let newVault = try Vault(base64Key: Vault.generateKey())
            #expect(try await s.sidecar.vault.rotate(to: newVault, in: s.sidecar.store) == 2, "client secret and webhook secret")
            let sealed = try #require(
                try await s.sidecar.store.query(SQL("SELECT client_secret_enc FROM instances WHERE id = ?", [.int(id)])).first?[0].blob
            )
            #expect(try newVault.unseal(sealed) == "rotate-me-please")
            #expect(throws: StoreError.self) { try s.sidecar.vault.unseal(sealed) }
        }
    }
}
