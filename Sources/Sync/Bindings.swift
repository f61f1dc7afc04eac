import Core
import Store

/// The link between one Odoo record and one Zoho record, with what was last agreed between them.
public struct Binding: Sendable, Equatable {
    public let id: Int64
    public let instanceID: Int64
    public let odooModel: String
    public let odooID: Int64
    public let app: String
    public let object: String
    public let zohoID: String
    public let syncHash: String?
    /// The values agreed at the last sync, in Odoo's terms (the base of the three-way merge).
    public let syncValues: [String: JSONValue]?
    /// Zoho's Modified_Time and Odoo's write_date right after the sidecar last synced the pair: a side
    /// that still shows them has not changed since (the origin stamp that recognises echoes).
    public let zohoModifiedTime: String?
    public let odooWriteDate: String?

    public init(
        id: Int64,
        instanceID: Int64,
        odooModel: String,
        odooID: Int64,
        app: String,
        object: String,
        zohoID: String,
        syncHash: String?,
        syncValues: [String: JSONValue]? = nil,
        zohoModifiedTime: String? = nil,
        odooWriteDate: String? = nil
    ) {
        self.id = id
        self.instanceID = instanceID
        self.odooModel = odooModel
        self.odooID = odooID
        self.app = app
        self.object = object
        self.zohoID = zohoID
        self.syncHash = syncHash
        self.syncValues = syncValues
        self.zohoModifiedTime = zohoModifiedTime
        self.odooWriteDate = odooWriteDate
    }

    init(row: Row) {
        id = row["id"].int ?? 0
        instanceID = row["instance_id"].int ?? 0
        odooModel = row["odoo_model"].text ?? ""
        odooID = row["odoo_id"].int ?? 0
        app = row["zoho_app"].text ?? ""
        object = row["zoho_object"].text ?? ""
        zohoID = row["zoho_id"].text ?? ""
        syncHash = row["sync_hash"].text
        syncValues = row["sync_values"].text.flatMap { try? JSONValue.parse($0) }?.objectValue
        zohoModifiedTime = row["zoho_modified_time"].text
        odooWriteDate = row["odoo_write_date"].text
    }

    /// True when `hash` differs from what was last agreed (or nothing was).
    public func hasChanged(_ hash: String) -> Bool { syncHash != hash }
}

/// Reads and writes bindings. Both unique indexes hold: one binding per Zoho record and one per Odoo
/// record, per instance and module.
public struct Bindings: Sendable {
    public let store: any Store

    public init(store: any Store) { self.store = store }

    static let columns =
        "id, instance_id, odoo_model, odoo_id, zoho_app, zoho_object, zoho_id, sync_hash, sync_values, zoho_modified_time, odoo_write_date"

    public func byOdoo(_ instanceID: Int64, _ m: Mapping, _ ids: [Int64]) async throws -> [Int64: Binding] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await store.query(
            SQL(
                "SELECT \(Self.columns) FROM bindings WHERE instance_id = ? AND zoho_app = ? AND zoho_object = ? AND odoo_model = ? AND odoo_id IN (",
                [.int(instanceID), .text(m.app), .text(m.object), .text(m.odooModel)]
            ) + .list(ids.map { .int($0) }) + SQL(")")
        )
        return Dictionary(rows.map { (Binding(row: $0).odooID, Binding(row: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    public func byZoho(_ instanceID: Int64, _ m: Mapping, _ ids: [String]) async throws -> [String: Binding] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await store.query(
            SQL(
                "SELECT \(Self.columns) FROM bindings WHERE instance_id = ? AND zoho_app = ? AND zoho_object = ? AND zoho_id IN (",
                [.int(instanceID), .text(m.app), .text(m.object)]
            ) + .list(ids.map { .text($0) }) + SQL(")")
        )
        return Dictionary(rows.map { (Binding(row: $0).zohoID, Binding(row: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// A pair to link, and what was agreed between its records.
    public struct Link: Sendable {
        public var odooID: Int64
        public var zohoID: String
        public var hash: String?
        public var values: [String: JSONValue]?
        public var direction: String
        public var zohoModifiedTime: String?
        public var odooWriteDate: String?
    }

    /// Links the pair (replacing whatever either record was linked to) and records what was agreed.
    @discardableResult
    public func set(
        instanceID: Int64,
        companyID: Int64,
        _ m: Mapping,
        odooID: Int64,
        zohoID: String,
        hash: String?,
        values: [String: JSONValue]? = nil,
        direction: String,
        zohoModifiedTime: String?,
        odooWriteDate: String?
    ) async throws -> Binding {
        let link = Link(
            odooID: odooID,
            zohoID: zohoID,
            hash: hash,
            values: values,
            direction: direction,
            zohoModifiedTime: zohoModifiedTime,
            odooWriteDate: odooWriteDate
        )
        return try await set(instanceID: instanceID, companyID: companyID, m, [link])[0]
    }

    /// Links the pairs in one transaction: the records a slice created cost one commit, not one each.
    @discardableResult
    public func set(instanceID: Int64, companyID: Int64, _ m: Mapping, _ links: [Link]) async throws -> [Binding] {
        guard !links.isEmpty else { return [] }
        let now = Clock.now()
        return try await store.transaction { tx in
            var made: [Binding] = []
            for l in links {
                try await tx.execute(
                    SQL(
                        "DELETE FROM bindings WHERE instance_id = ? AND zoho_app = ? AND zoho_object = ? AND ((zoho_id = ?) OR (odoo_model = ? AND odoo_id = ?))",
                        [.int(instanceID), .text(m.app), .text(m.object), .text(l.zohoID), .text(m.odooModel), .int(l.odooID)]
                    )
                )
                let rows = try await tx.query(
                    SQL(
                        """
                        INSERT INTO bindings (company_id, instance_id, odoo_model, odoo_id, zoho_app, zoho_object, zoho_id, sync_hash, sync_values, last_sync_at,
                                              last_direction, zoho_modified_time, odoo_write_date, origin_stamp, origin_at, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING \(Self.columns)
                        """,
                        [
                            .int(companyID), .int(instanceID), .text(m.odooModel), .int(l.odooID), .text(m.app), .text(m.object), .text(l.zohoID),
                            SQLValue(l.hash),
                            SQLValue(l.values.map { JSONValue.object($0).serialized() }),
                            .int(now), .text(l.direction), SQLValue(l.zohoModifiedTime), SQLValue(l.odooWriteDate), .text(l.direction),
                            .int(now), .int(now), .int(now),
                        ]
                    )
                )
                made.append(Binding(row: rows[0]))
            }
            return made
        }
    }

    /// Records a completed sync of a bound pair.
    public func update(
        _ id: Int64,
        hash: String?,
        values: [String: JSONValue]? = nil,
        direction: String?,
        zohoModifiedTime: String?,
        odooWriteDate: String?
    ) async throws {
        let now = Clock.now()
        var sets = [SQL("updated_at = ?", [.int(now)]), SQL("last_sync_at = ?", [.int(now)])]
        if let hash { sets.append(SQL("sync_hash = ?", [.text(hash)])) }
        if let values { sets.append(SQL("sync_values = ?", [.text(JSONValue.object(values).serialized())])) }
        if let direction {
            sets += [SQL("last_direction = ?", [.text(direction)]), SQL("origin_stamp = ?", [.text(direction)]), SQL("origin_at = ?", [.int(now)])]
        }
        if let zohoModifiedTime { sets.append(SQL("zoho_modified_time = ?", [.text(zohoModifiedTime)])) }
        if let odooWriteDate { sets.append(SQL("odoo_write_date = ?", [.text(odooWriteDate)])) }
        try await store.execute(SQL("UPDATE bindings SET ") + .joined(sets, separator: ", ") + SQL(" WHERE id = ?", [.int(id)]))
    }

    /// Forgets a link (orphan protection: the record on one side is gone).
    public func remove(_ id: Int64) async throws {
        try await store.execute(SQL("DELETE FROM bindings WHERE id = ?", [.int(id)]))
    }
}
