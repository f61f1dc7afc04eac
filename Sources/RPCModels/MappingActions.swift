import Core
import OdooRPC
import Queue
import Store
import Sync
import ZohoAPI

/// The mapping form's buttons: Validate against Odoo, Initial sync of one mapping, and Restore of the
/// shipped mappings (on a mapping, or on the instance for all of them, the deleted ones included).
public enum MappingActions {
    public static func register(on registry: inout ModelRegistry) {
        let mapping = MappingModels.mapping.name
        registry.register("action_validate", on: mapping) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "action_validate")
            var results: [JSONValue] = []
            for row in try await rows(call) {
                results.append(try await validate(row, call.service))
            }
            return call.ids.count == 1 ? results[0] : .array(results)
        }
        // For the field picker: what the mapping's Zoho module has, custom fields included.
        registry.register("zoho_fields", on: mapping) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "read")
            let zoho = try call.service.components.requireZoho()
            var results: [JSONValue] = []
            for row in try await rows(call) {
                let m = Mapping.adHoc(model: row["odoo_model"].text ?? "", app: row["app"].text ?? "crm", object: row["object"].text ?? "")
                do {
                    results.append(.array(try await zohoFields(m, instance: row["instance_id"].int ?? 0, zoho).map(fieldJSON)))
                } catch let error as ZohoError {
                    throw OdooFault(.userError, "Zoho could not be asked about \(m.app) \(m.object): \(error.message)")
                }
            }
            return call.ids.count == 1 ? results[0] : .array(results)
        }
        registry.register("action_initial_sync", on: mapping) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "action_initial_sync")
            let queue = try call.service.components.requireQueue()
            var jobs: [NewJob] = []
            for row in try await rows(call) {
                let name = row["name"].text ?? ""
                guard row["active"].int == 1 else { throw OdooFault(.userError, "Mapping \(name) is switched off: activate it first.") }
                let found = try await SyncJobs.reconcileJobs(
                    call.service.store,
                    book: call.service.components.book,
                    full: true,
                    instanceID: row["instance_id"].int,
                    mapping: name
                )
                guard !found.isEmpty else {
                    throw OdooFault(
                        .userError,
                        "Mapping \(name) cannot sync yet: its instance must be connected and have \(row["app"].text ?? "its app") among its apps."
                    )
                }
                jobs += found
            }
            return .array(try await queue.enqueue(jobs).map { .int($0) })
        }
        registry.register("action_restore", on: mapping) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "write")
            let byInstance = Dictionary(grouping: try await rows(call)) { $0["instance_id"].int ?? 0 }
            var restored: [String] = []
            for (instance, rows) in byInstance {
                let names = rows.compactMap { $0["shipped"].text }
                guard !names.isEmpty else { continue }
                restored += try await call.service.store.transaction { tx in
                    try await MappingBook.restore(instance, names: names, in: tx)
                }
            }
            call.service.components.book.invalidate()
            return .array(restored.map { .string($0) })
        }
        registry.register("action_restore_mappings", on: SidecarModels.instance.name) { call in
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "write")
            var restored: [String] = []
            for id in call.ids {
                restored += try await call.service.store.transaction { tx in try await MappingBook.restore(id, in: tx) }
            }
            call.service.components.book.invalidate()
            return .array(restored.map { .string($0) })
        }
    }

    /// The fields of the mapping's Zoho module (CRM) or entity (Books), standard and custom.
    static func zohoFields(_ m: Mapping, instance: Int64, _ zoho: ZohoService) async throws -> [ZohoField] {
        m.app == "books"
            ? try await zoho.client.booksFields(instance, entity: m.object)
            : try await zoho.client.crmFields(instance, module: m.object)
    }

    static func fieldJSON(_ f: ZohoField) -> JSONValue {
        [
            "api_name": .string(f.apiName), "label": .string(f.label), "data_type": .string(f.dataType.name), "custom": .bool(f.custom),
            "read_only": .bool(f.readOnly), "mandatory": .bool(f.mandatory),
            "picklist": .array(f.picklist.map { JSONValue.string($0.displayValue) }),
            "lookup_module": f.lookupModule.map(JSONValue.string) ?? false,
        ]
    }

    static func rows(_ call: ActionCall) async throws -> [Row] {
        try await call.service.store.query(SQL("SELECT * FROM mappings WHERE id IN (") + .list(call.ids.map { .int($0) }) + SQL(") ORDER BY id"))
    }

    /// The rules of a saved mapping and its fit to the instance's Odoo; the result is kept on the mapping.
    static func validate(_ row: Row, _ service: ModelService) async throws -> JSONValue {
        let id = row["id"].int ?? 0
        let instance = row["instance_id"].int ?? 0
        let name = row["name"].text ?? ""
        let stored = try await MappingRecords.load(instanceID: instance, in: service.store)
        var check = MappingCheck()
        check.problems = MappingRules.problems(of: name, among: stored)
        let json = stored.first(where: { $0.json["name"]?.stringValue == name })?.json ?? .null
        if check.problems.isEmpty, !MappingBook.hasPairs(json) {
            check.problems.append("mapping \(name) has no field pair yet: add one, then validate it")
        } else if check.problems.isEmpty {
            let m = try Mapping(json: json)
            if let odoo = service.components.odoo {
                do {
                    let odooCheck = try await MappingCheck.odoo(m, client: try await odoo.client(for: instance))
                    check.problems += odooCheck.problems
                    check.notes += odooCheck.notes
                } catch let error as OdooUnavailable {
                    check.problems.append("Odoo could not be asked about \(m.odooModel): \(error.message)")
                } catch let error as OdooFault {
                    check.problems.append("Odoo could not be asked about \(m.odooModel): \(error.message)")
                } catch let error as JobError {
                    check.problems.append("Odoo could not be asked about \(m.odooModel): \(error.message)")
                }
            } else {
                check.notes.append("not checked against Odoo: this sidecar has no Odoo to ask")
            }
            if let zoho = service.components.zoho {
                do {
                    let fields = try await zohoFields(m, instance: instance, zoho)
                    let active = try await service.components.book.mappings(instance).active
                    check.problems += MappingCheck.zoho(m, fields: fields, mappings: active).problems
                } catch let error as ZohoError {
                    check.problems.append("Zoho could not be asked about \(m.app) \(m.object): \(error.message)")
                }
            }
        }
        try await service.store.execute(
            SQL("UPDATE mappings SET last_check = ?, checked_at = ? WHERE id = ?", [.text(check.summary), .int(Clock.now()), .int(id)])
        )
        return [
            "id": .int(id), "name": .string(name), "ok": .bool(check.problems.isEmpty),
            "problems": .array(check.problems.map(JSONValue.string)), "notes": .array(check.notes.map(JSONValue.string)),
        ]
    }
}
