import Core
import OdooRPC
import Queue
import Store
import Sync

/// The sync engine over RPC: the addon's post-commit forwarding (`zoho.job.enqueue_push`) and the
/// binding helpers of `zoho.binding`.
public enum SyncActions {
    public static func register(on registry: inout ModelRegistry) {
        registry.register("enqueue_push", on: SidecarModels.job.name, parameters: ["model", "ids", "operation", "fields", "values"]) { call in
            let queue = try call.service.components.requireQueue()
            let book = call.service.components.book
            guard let model = call.arguments["model"]?.stringValue,
                let ids = call.arguments["ids"]?.arrayValue?.compactMap(\.intValue), !ids.isEmpty
            else {
                throw OdooFault(.validationError, "enqueue_push needs a model and a non-empty list of record ids")
            }
            let operation = call.arguments["operation"]?.stringValue ?? "write"
            guard ["create", "write", "unlink"].contains(operation) else {
                throw OdooFault(.validationError, "operation must be create, write or unlink, not \(operation)")
            }
            // Every active instance of the caller's companies that maps this model gets the records.
            var sql = SQL("SELECT id, company_id, apps FROM instances WHERE active = 1 AND state <> 'disabled'")
            if let companies = call.env.companies { sql.append(SQL(" AND company_id IN (") + .list(companies.map { .int($0) }) + SQL(")")) }
            let rows = try await call.service.store.query(sql + SQL(" ORDER BY id"))
            // The fields written, when the caller says, and the values written where it knows them: a field
            // edited on both sides goes to the side that wrote it last, and a value not among these came later.
            let values = call.arguments["values"]?.objectValue ?? [:]
            let fields = Set((call.arguments["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []) + values.keys).sorted()
            let now = Clock.now() / 1000
            var jobs: [NewJob] = []
            var changes: [FieldChange] = []
            for row in rows {
                let apps = (row["apps"].text.flatMap { try? JSONValue.parse($0) }?.arrayValue ?? []).compactMap(\.stringValue)
                guard let id = row["id"].int else { continue }
                // Every forwarded write asks: what this process read within the last second will do.
                let mappings = try await book.recent(id).forApps(apps).filter { $0.odooModel == model }
                guard !mappings.isEmpty else { continue }
                if operation == "write" {
                    // Only the fields a mapping syncs: the clock needs no others, and no other value is kept.
                    let synced = Set(mappings.flatMap { $0.fields.map(\.odoo) })
                    changes += ids.flatMap { record in
                        fields.filter(synced.contains).map {
                            FieldChange(
                                instanceID: id,
                                side: .odoo,
                                object: model,
                                recordID: String(record),
                                field: $0,
                                time: now,
                                fingerprint: values[$0].map { FieldClock.fingerprint($0) },
                                value: values[$0].flatMap { $0.serialized().utf8.count <= 2000 ? $0 : nil }
                            )
                        }
                    }
                }
                for chunk in stride(from: 0, to: ids.count, by: SyncJobs.batchLimit) {
                    let part = Array(ids[chunk..<min(chunk + SyncJobs.batchLimit, ids.count)])
                    jobs.append(
                        NewJob(
                            kind: SyncJobs.push,
                            payload: PushRequest(model: model, ids: part, operation: operation, source: "odoo").json,
                            companyID: row["company_id"].int ?? call.env.currentCompany,
                            instanceID: id
                        )
                    )
                }
            }
            try await FieldClock.record(changes, call.service.store)
            return .array(try await queue.enqueue(jobs).map { .int($0) })
        }

        // The instance form's sync buttons: catch up now, or page through everything (the initial import/export).
        for (method, full) in [("action_sync_now", false), ("action_initial_sync", true)] {
            registry.register(method, on: SidecarModels.instance.name) { call in
                try await call.service.checkAccess(call.model, call.ids, call.env, operation: method)
                let queue = try call.service.components.requireQueue()
                let book = call.service.components.book
                var ids: [JSONValue] = []
                for id in call.ids {
                    let jobs = try await SyncJobs.reconcileJobs(call.service.store, book: book, full: full, instanceID: id)
                    guard !jobs.isEmpty else { throw OdooFault(.userError, "Instance \(id) is not connected: authorize it first.") }
                    ids += try await queue.enqueue(jobs).map { .int($0) }
                }
                return .array(ids)
            }
        }

        let binding = SidecarModels.binding.name
        registry.register("has_changed", on: binding, parameters: ["ids", "sync_hash"]) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "read")
            let hash = call.arguments["sync_hash"]?.stringValue
            let rows = try await call.service.store.query(
                SQL("SELECT id, sync_hash FROM bindings WHERE id IN (") + .list(call.ids.map { .int($0) }) + SQL(")")
            )
            let changed = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"].int ?? 0, $0["sync_hash"].text != hash) })
            return call.ids.count == 1
                ? .bool(changed[call.ids[0]] ?? true)
                : .object(Dictionary(uniqueKeysWithValues: call.ids.map { ("\($0)", .bool(changed[$0] ?? true)) }))
        }
        registry.register("update_hash", on: binding, parameters: ["ids", "sync_hash"]) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "write")
            guard let hash = call.arguments["sync_hash"]?.stringValue else { throw OdooFault(.validationError, "update_hash needs a sync_hash") }
            try await call.service.store.execute(
                SQL(
                    "UPDATE bindings SET sync_hash = ?, last_sync_at = ?, updated_at = ? WHERE id IN (",
                    [.text(hash), .int(Clock.now()), .int(Clock.now())]
                ) + .list(call.ids.map { .int($0) }) + SQL(")")
            )
            return true
        }
        registry.register("get_binding", on: binding, parameters: ["instance_id", "zoho_app", "zoho_object", "zoho_id", "odoo_model", "odoo_id"]) {
            call in
            let a = call.arguments
            guard let instance = a["instance_id"]?.intValue, let app = a["zoho_app"]?.stringValue, let object = a["zoho_object"]?.stringValue else {
                throw OdooFault(.validationError, "get_binding needs instance_id, zoho_app, zoho_object and either zoho_id or odoo_model and odoo_id")
            }
            var sql = SQL(
                "SELECT id FROM bindings WHERE instance_id = ? AND zoho_app = ? AND zoho_object = ?",
                [.int(instance), .text(app), .text(object)]
            )
            if let companies = call.env.companies { sql.append(SQL(" AND company_id IN (") + .list(companies.map { .int($0) }) + SQL(")")) }
            if let zid = a["zoho_id"]?.stringValue {
                sql.append(SQL(" AND zoho_id = ?", [.text(zid)]))
            } else if let model = a["odoo_model"]?.stringValue, let oid = a["odoo_id"]?.intValue {
                sql.append(SQL(" AND odoo_model = ? AND odoo_id = ?", [.text(model), .int(oid)]))
            } else {
                throw OdooFault(.validationError, "get_binding needs zoho_id, or odoo_model and odoo_id")
            }
            return try await call.service.store.scalar(sql).int.map { .int($0) } ?? false
        }
        registry.register(
            "set_binding",
            on: binding,
            parameters: ["instance_id", "zoho_app", "zoho_object", "zoho_id", "odoo_model", "odoo_id", "sync_hash"]
        ) { call in
            let a = call.arguments
            guard let instance = a["instance_id"]?.intValue, let app = a["zoho_app"]?.stringValue, let object = a["zoho_object"]?.stringValue,
                let zid = a["zoho_id"]?.stringValue, let model = a["odoo_model"]?.stringValue, let oid = a["odoo_id"]?.intValue
            else {
                throw OdooFault(.validationError, "set_binding needs instance_id, zoho_app, zoho_object, zoho_id, odoo_model and odoo_id")
            }
            guard let company = try await call.service.store.scalar(SQL("SELECT company_id FROM instances WHERE id = ?", [.int(instance)])).int,
                call.env.allows(company: company)
            else { throw OdooFault(.accessError, "Instance \(instance) is not one of your companies'.") }
            let m = Mapping.adHoc(model: model, app: app, object: object)
            let b = try await Bindings(store: call.service.store).set(
                instanceID: instance,
                companyID: company,
                m,
                odooID: oid,
                zohoID: zid,
                hash: a["sync_hash"]?.stringValue,
                direction: "manual",
                zohoModifiedTime: nil,
                odooWriteDate: nil
            )
            return .int(b.id)
        }
    }
}
