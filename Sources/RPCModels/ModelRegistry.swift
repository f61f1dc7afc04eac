import Core
import OdooRPC
import Store

/// A method beyond CRUD (`action_retry`, `get_dashboard_stats`, …), added by the module that owns it.
public struct ActionCall: Sendable {
    public let model: Model
    public let ids: [Int64]
    /// Named arguments (positional ones after `ids` arrive as `args`).
    public let arguments: [String: JSONValue]
    public let env: Env
    public let service: ModelService
}

public typealias Action = @Sendable (ActionCall) async throws -> JSONValue

/// The models the sidecar serves and the actions registered on them.
public struct ModelRegistry: Sendable {
    public private(set) var models: [String: Model] = [:]
    public private(set) var actions: [String: [String: Action]] = [:]
    /// Positional parameter names of each action (`["ids"]` for record actions).
    public private(set) var parameters: [String: [String: [String]]] = [:]

    public init(_ models: [Model] = SidecarModels.all) {
        for m in models { self.models[m.name] = m }
    }

    public func model(_ name: String) -> Model? { models[name] }

    /// Adds a method; `parameters` names its positional arguments (record actions take `ids`).
    public mutating func register(_ method: String, on model: String, parameters: [String] = ["ids"], _ action: @escaping Action) {
        precondition(models[model] != nil, "unknown model \(model)")
        actions[model, default: [:]][method] = action
        self.parameters[model, default: [:]][method] = parameters
    }

    public mutating func setHooks(_ hooks: ModelHooks, on model: String) {
        models[model]?.hooks = hooks
    }

    public func action(_ method: String, on model: String) -> Action? { actions[model]?[method] }
}
