import Core
import Foundation
import Monitoring
import OdooRPC
import Queue
import Store
import Sync
import ZohoAPI

/// `zoho.job`'s methods beyond CRUD: the queue's operations, over RPC.
public enum JobActions {
    public static func register(on registry: inout ModelRegistry) {
        let model = SidecarModels.job.name
        registry.register("action_retry", on: model) { call in
            let queue = try call.service.components.requireQueue()
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "retry")
            return .int(Int64(try await queue.retry(call.ids)))
        }
        registry.register("action_cancel", on: model) { call in
            let queue = try call.service.components.requireQueue()
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "cancel")
            return .int(Int64(try await queue.cancel(call.ids)))
        }
        registry.register("action_requeue", on: model) { call in
            let queue = try call.service.components.requireQueue()
            try await call.service.checkAccess(call.model, call.ids, call.env, operation: "requeue")
            return .int(Int64(try await queue.requeue(call.ids)))
        }
        // The dashboard's figures for the caller's allowed companies (see Monitoring.DashboardStats).
        registry.register("get_dashboard_stats", on: model, parameters: []) { call in
            try await DashboardStats.compute(call.service.store, companies: call.env.companies)
        }
        registry.register("requeue_failed", on: model, parameters: ["instance_id"]) { call in
            let queue = try call.service.components.requireQueue()
            let instance = call.arguments["instance_id"]?.intValue
            return .int(Int64(try await queue.requeueFailed(instanceID: instance, companies: call.env.companies)))
        }
        registry.register("purge_done", on: model, parameters: ["days"]) { call in
            let queue = try call.service.components.requireQueue()
            let settings = try await QueueSettings.load(queue.store)
            let days = call.arguments["days"]?.doubleValue ?? Double(settings.retentionDays)
            // Beyond a century the cutoff in microseconds overflows Int64 and would stop the process.
            guard (0...36_500).contains(days) else {
                throw OdooFault(.valueError, "days must be a number from 0 to 36500")
            }
            return .int(Int64(try await queue.purge(olderThanDays: days, companies: call.env.companies)))
        }
        registry.register("enqueue", on: model, parameters: ["kind", "payload", "instance_id", "priority", "eta", "identity_key", "max_attempts"]) {
            call in
            let queue = try call.service.components.requireQueue()
            let handlers = call.service.components.handlers
            let a = call.arguments
            guard let kind = a["kind"]?.stringValue else { throw OdooFault(.validationError, "enqueue needs a kind") }
            guard handlers[kind] != nil else {
                throw OdooFault(
                    .validationError,
                    "No handler is registered for job kind '\(kind)'. Known kinds: \(handlers.kinds.joined(separator: ", "))."
                )
            }
            var company = call.env.currentCompany
            if let instance = a["instance_id"]?.intValue {
                guard let c = try await call.service.store.scalar(SQL("SELECT company_id FROM instances WHERE id = ?", [.int(instance)])).int else {
                    throw OdooFault(.validationError, "Instance \(instance) does not exist.")
                }
                guard call.env.allows(company: c) else { throw OdooFault(.accessError, "Instance \(instance) belongs to another company.") }
                company = c
            }
            let job = NewJob(
                kind: kind,
                payload: a["payload"] ?? [:],
                companyID: company,
                instanceID: a["instance_id"]?.intValue,
                priority: Int(a["priority"]?.intValue ?? 10),
                eta: a["eta"]?.stringValue.flatMap(Clock.parseOdoo),
                maxAttempts: (a["max_attempts"]?.intValue).map(Int.init) ?? handlers[kind]?.maxAttempts,
                identityKey: a["identity_key"]?.stringValue
            )
            return .int(try await queue.enqueue(job))
        }
        registry.register("get_queue_settings", on: model, parameters: []) { call in
            try await QueueSettings.load(call.service.store).json
        }
        registry.register("set_queue_settings", on: model, parameters: ["values"]) { call in
            let store = call.service.store
            var settings = try await QueueSettings.load(store)
            let changes = call.arguments["values"]?.objectValue ?? [:]
            do {
                settings = try settings.merging(changes)
                try await settings.save(store)
                try await call.service.components.workers?.reloadSettings()
            } catch let error as JobError {
                throw OdooFault(.validationError, error.message)
            }
            return settings.json
        }
        // RPC `create` is enqueue: the kind must be known, and jobs get the queue's default attempts.
        var hooks = registry.model(model)!.hooks
        let create = hooks.beforeCreate
        hooks.beforeCreate = { values, ctx in
            try await create?(&values, ctx)
            let handlers = ctx.components.handlers
            guard let kind = values["kind"]?.text, handlers[kind] != nil else {
                throw OdooFault(
                    .validationError,
                    "No handler is registered for job kind '\(values["kind"]?.text ?? "")'. Known kinds: \(handlers.kinds.joined(separator: ", "))."
                )
            }
            if values["max_attempts"] == nil, let limit = handlers[kind]?.maxAttempts { values["max_attempts"] = .int(Int64(limit)) }
        }
        hooks.afterCreate = { components in components.queue?.announce() }
        registry.setHooks(hooks, on: model)
    }
}

/// The running parts of the sidecar that model actions use; empty when only the schema is needed (docs).
public struct Components: Sendable {
    public var queue: JobQueue?
    public var handlers: HandlerRegistry
    public var workers: WorkerPool?
    public var zoho: ZohoService?
    public var odoo: OdooTargets?
    /// Each instance's mappings, as the sync engine runs them (nil: read from the model service's store).
    public var mappings: MappingBook?

    public init(
        queue: JobQueue? = nil,
        handlers: HandlerRegistry = HandlerRegistry(),
        workers: WorkerPool? = nil,
        zoho: ZohoService? = nil,
        odoo: OdooTargets? = nil,
        mappings: MappingBook? = nil
    ) {
        self.queue = queue
        self.handlers = handlers
        self.workers = workers
        self.zoho = zoho
        self.odoo = odoo
        self.mappings = mappings
    }

    /// The mappings, set by `ModelService` when none were given.
    var book: MappingBook { mappings! }

    func requireZoho() throws -> ZohoService {
        guard let zoho else { throw OdooFault(.userError, "Zoho access is not configured in this sidecar.") }
        return zoho
    }

    func requireQueue() throws -> JobQueue {
        guard let queue else { throw OdooFault(.userError, "The job queue is not running in this sidecar.") }
        return queue
    }
}

extension QueueSettings {
    public var json: JSONValue {
        (try? JSONValue.parse(Array(Coders.encoder.encode(self)))) ?? [:]
    }

    /// Applies snake_case changes (`{"concurrency": 8}`); unknown keys and bad values are refused by name.
    public func merging(_ changes: [String: JSONValue]) throws -> QueueSettings {
        guard case .object(var current) = json else { return self }
        for (k, v) in changes {
            guard current[k] != nil else {
                throw JobError(.permanent, "unknown queue setting '\(k)' (known: \(current.keys.sorted().joined(separator: ", ")))")
            }
            current[k] = v
        }
        guard let merged = try? Coders.decoder.decode(QueueSettings.self, from: Data(JSONValue.object(current).serializedBytes())) else {
            throw JobError(.permanent, "invalid queue setting value in \(JSONValue.object(changes).serialized())")
        }
        try merged.validate()
        return merged
    }
}
