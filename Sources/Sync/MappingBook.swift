import Core
import Foundation
import Store
import Synchronization

/// An instance's mappings as the sync runs them: the active ones that read, in sequence order, and
/// what is wrong with any that does not (it is left out; the others sync).
public struct InstanceMappings: Sendable {
    public let active: [Mapping]
    /// Mapping name → what to change, for stored mappings that could not be read.
    public let broken: [String: String]
    /// Active mappings that have no field pair yet: they sync nothing.
    public let empty: [String]

    public init(active: [Mapping], broken: [String: String] = [:], empty: [String] = []) {
        self.active = active
        self.broken = broken
        self.empty = empty
    }

    public func named(_ name: String) -> Mapping? { active.first { $0.name == name } }

    /// The active mappings of the instance's enabled apps.
    public func forApps(_ apps: [String]) -> [Mapping] { active.filter { apps.contains($0.app) } }
}

/// The mappings each instance runs, kept in the store as records a person edits (`zoho.mapping`,
/// `zoho.mapping.field`). An edit takes effect at the next job: every load compares a stamp of the
/// instance's mapping rows with the one it read them at, so no restart and no message between
/// sidecars is needed.
public final class MappingBook: Sendable {
    let store: any Store
    /// The shipped mappings, copied in for each instance the first time its mappings are read.
    let shipped: [JSONValue]
    private let cache = Mutex<[Int64: Entry]>([:])

    struct Entry {
        let stamp: [SQLValue]
        let checkedAt: Micros
        let mappings: InstanceMappings
    }

    /// How long a webhook's check of what is synced may use what this process read last without
    /// asking the store (an edit through this process is seen at once).
    static let recentMicros: Micros = 1_000_000

    public init(store: any Store, shipped: [JSONValue] = BuiltinMappings.list) {
        self.store = store
        self.shipped = shipped
    }

    /// The instance's mappings as they are in the store now.
    public func mappings(_ instanceID: Int64) async throws -> InstanceMappings {
        var stamp = try await self.stamp(instanceID)
        if stamp.last?.int == 0, try await seed(instanceID) {
            stamp = try await self.stamp(instanceID)
        }
        if let entry = cache.withLock({ $0[instanceID] }), entry.stamp == stamp {
            cache.withLock { $0[instanceID] = Entry(stamp: stamp, checkedAt: Clock.now(), mappings: entry.mappings) }
            return entry.mappings
        }
        let loaded = Self.read(try await MappingRecords.load(instanceID: instanceID, in: store))
        cache.withLock { $0[instanceID] = Entry(stamp: stamp, checkedAt: Clock.now(), mappings: loaded) }
        return loaded
    }

    /// As `mappings`, but what this process read within the last second will do: for the webhook gateway's
    /// per-delivery check and the addon's forwards, where a query each would cost more than the check is
    /// worth.
    public func recent(_ instanceID: Int64) async throws -> InstanceMappings {
        let now = Clock.now()
        let cached: InstanceMappings? = cache.withLock { all in
            guard let entry = all[instanceID] else { return nil }
            if now - entry.checkedAt < Self.recentMicros { return entry.mappings }
            // One delivery asks the store; the others go on with what was read until it has (hundreds of
            // deliveries asking at once queued behind PostgreSQL's pool and tripled their latency).
            all[instanceID] = Entry(stamp: entry.stamp, checkedAt: now, mappings: entry.mappings)
            return nil
        }
        if let cached { return cached }
        return try await mappings(instanceID)
    }

    /// Forgets what was read: called after an edit through this process.
    public func invalidate() {
        cache.withLock { $0.removeAll() }
    }

    /// Changes whenever a mapping of the instance is added, removed, switched or edited (a field pair's
    /// edit touches its mapping's `updated_at`); the last value says whether the instance has had its
    /// copy of the shipped mappings.
    func stamp(_ instanceID: Int64) async throws -> [SQLValue] {
        let sql = SQL(
            """
            SELECT count(*), coalesce(max(updated_at), 0), coalesce(sum(active), 0), coalesce(sum(id), 0),
                (SELECT mappings_seeded FROM instances WHERE id = ?) FROM mappings WHERE instance_id = ?
            """,
            [.int(instanceID), .int(instanceID)]
        )
        return try await store.query(sql).first.map { r in (0..<5).map { r[$0] } } ?? []
    }

    static func read(_ stored: [(json: JSONValue, active: Bool)]) -> InstanceMappings {
        var active: [Mapping] = []
        var broken: [String: String] = [:]
        var empty: [String] = []
        for (json, isActive) in stored where isActive {
            guard hasPairs(json) else {
                empty.append(json["name"]?.stringValue ?? "?")
                continue
            }
            do {
                active.append(try Mapping(json: json))
            } catch {
                broken[json["name"]?.stringValue ?? "?"] = String(describing: error)
            }
        }
        return InstanceMappings(active: active, broken: broken, empty: empty)
    }

    public static func hasPairs(_ json: JSONValue) -> Bool { !(json["fields"]?.arrayValue ?? []).isEmpty }

    /// Copies the shipped mappings in for an instance that never had them; false when it had.
    func seed(_ instanceID: Int64) async throws -> Bool {
        let shipped = self.shipped
        return try await store.transaction { tx in
            try await Self.seed(instanceID, shipped: shipped, in: tx)
        }
    }

    /// The same, inside a transaction (an instance's creation): exactly once per instance, whichever
    /// sidecar gets there first.
    @discardableResult
    public static func seed(_ instanceID: Int64, shipped: [JSONValue] = BuiltinMappings.list, in tx: any SQLExecutor) async throws -> Bool {
        let claimed = try await tx.execute(SQL("UPDATE instances SET mappings_seeded = 1 WHERE id = ? AND mappings_seeded = 0", [.int(instanceID)]))
        guard claimed == 1 else { return false }
        let company = try await tx.scalar(SQL("SELECT company_id FROM instances WHERE id = ?", [.int(instanceID)])).int ?? 1
        for json in shipped {
            try await MappingRecords.insert(json, instanceID: instanceID, companyID: company, shipped: json["name"]?.stringValue, in: tx)
        }
        return true
    }

    /// Puts the shipped mappings back as shipped: each one missing is added again, and each one present
    /// (by its shipped name) gets its shipped definition and field pairs back. Returns the names restored.
    public static func restore(
        _ instanceID: Int64,
        names: [String]? = nil,
        shipped: [JSONValue] = BuiltinMappings.list,
        in tx: any SQLExecutor
    )
        async throws -> [String]
    {
        let company = try await tx.scalar(SQL("SELECT company_id FROM instances WHERE id = ?", [.int(instanceID)])).int ?? 1
        var restored: [String] = []
        for json in shipped {
            guard let name = json["name"]?.stringValue, names?.contains(name) ?? true else { continue }
            let existing = try await tx.query(
                SQL(
                    "SELECT id, active FROM mappings WHERE instance_id = ? AND (shipped = ? OR name = ?)",
                    [.int(instanceID), .text(name), .text(name)]
                )
            )
            var copy = json
            if let row = existing.first, case .object(var o) = copy {
                // Restoring gives back the definition, not the switch: an active mapping stays active.
                o["active"] = .bool(row["active"].int == 1)
                copy = .object(o)
            }
            for row in existing {
                let id = row["id"].int ?? 0
                try await tx.execute(SQL("DELETE FROM mapping_fields WHERE mapping_id = ?", [.int(id)]))
                try await tx.execute(SQL("DELETE FROM mappings WHERE id = ?", [.int(id)]))
            }
            try await MappingRecords.insert(copy, instanceID: instanceID, companyID: company, shipped: name, in: tx)
            restored.append(name)
        }
        try await tx.execute(SQL("UPDATE instances SET mappings_seeded = 1 WHERE id = ?", [.int(instanceID)]))
        return restored
    }
}
