import Core
import Store
import ZohoAPI

extension RecordStatus {
    /// The Zoho records Odoo records are linked to (`bindings`), with their web app links.
    enum Links {
        struct Link {
            let id: Int64
            let instance: Int64
            let instanceName: String
            let app: String
            let object: String
            let zohoID: String
            let url: String?
            let lastSync: Micros?
            let direction: String?

            var json: JSONValue {
                [
                    "id": .int(id),
                    "instance_id": .array([.int(instance), .string(instanceName)]),
                    "zoho_app": .string(app),
                    "zoho_object": .string(object),
                    "zoho_id": .string(zohoID),
                    "url": url.map { .string($0) } ?? false,
                    "last_sync_date": lastSync.map { .string(Clock.odooString($0)) } ?? false,
                    "last_direction": direction.map { .string($0) } ?? false,
                ]
            }
        }

        /// Each record's links, in the caller's companies.
        static func load(model: String, ids: [Int64], env: Env, store: any Store, links: ZohoWebLinks) async throws -> [Int64: [Link]] {
            var sql = SQL(
                "SELECT b.id, b.odoo_id, b.instance_id, i.name, i.data_center, i.books_organization_id, b.zoho_app, b.zoho_object, "
                    + "b.zoho_id, b.last_sync_at, b.last_direction FROM bindings b JOIN instances i ON i.id = b.instance_id "
                    + "WHERE b.odoo_model = ?",
                [.text(model)]
            )
            sql.append(SQL(" AND ") + .isIn("b.odoo_id", ids.map { .int($0) }) + RecordStatus.inCompanies(env, "b.company_id"))
            var out: [Int64: [Link]] = [:]
            for row in try await store.query(sql + SQL(" ORDER BY b.instance_id, b.zoho_app, b.zoho_object, b.id")) {
                guard let odooID = row["odoo_id"].int, let app = row["zoho_app"].text, let object = row["zoho_object"].text,
                    let zohoID = row["zoho_id"].text
                else { continue }
                let url = links.recordURL(
                    dataCenter: row["data_center"].text ?? "us",
                    app: app,
                    module: object,
                    id: zohoID,
                    booksOrganization: row["books_organization_id"].text
                )
                let link = Link(
                    id: row["id"].int ?? 0,
                    instance: row["instance_id"].int ?? 0,
                    instanceName: row["name"].text ?? "",
                    app: app,
                    object: object,
                    zohoID: zohoID,
                    url: url,
                    lastSync: row["last_sync_at"].int,
                    direction: row["last_direction"].text
                )
                out[odooID, default: []].append(link)
            }
            return out
        }

        /// The Odoo records of `model` linked to the given Zoho records (instance, app, module, id).
        static func odooIDs(model: String, zohoRecords: [(Int64, String, String, String)], store: any Store) async throws -> [Int64] {
            guard !zohoRecords.isEmpty else { return [] }
            let wanted = Set(zohoRecords.map { "\($0.0)|\($0.1)|\($0.2)|\($0.3)" })
            let zohoIDs = Array(Set(zohoRecords.map { $0.3 })).map { SQLValue.text($0) }
            let rows = try await store.query(
                SQL("SELECT odoo_id, instance_id, zoho_app, zoho_object, zoho_id FROM bindings WHERE odoo_model = ? AND ", [.text(model)])
                    + .isIn("zoho_id", zohoIDs)
            )
            return rows.compactMap { row in
                let key = "\(row["instance_id"].int ?? 0)|\(row["zoho_app"].text ?? "")|\(row["zoho_object"].text ?? "")|\(row["zoho_id"].text ?? "")"
                return wanted.contains(key) ? row["odoo_id"].int : nil
            }
        }
    }
}
