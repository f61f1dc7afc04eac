import Core
import Foundation
import Logging
import OdooRPC
import RPCModels
import Store

/// Odoo's RPC services (`common`, `object`) over the sidecar's models. Transport-free: the HTTP
/// routes hand it parsed JSON and send back what it returns, for `/jsonrpc` and JSON-2 alike.
public struct RPCEndpoint: Sendable {
    public let models: ModelService
    public let keys: APIKeys
    public let version: String
    let logger: Logger

    public init(models: ModelService, keys: APIKeys, version: String, logger: Logger) {
        self.models = models
        self.keys = keys
        self.version = version
        self.logger = logger
    }

    /// `params` of a JSON-RPC `call`: `{"service": ..., "method": ..., "args": [...]}`.
    public func call(service: String, method: String, args: [JSONValue]) async throws -> JSONValue {
        switch (service, method) {
        case ("common", "version"):
            return versionInfo
        case ("common", "about"):
            return .string("zoho-sidecar \(version): Zoho ↔ Odoo connector sidecar")
        case ("common", "login"):
            return try await authenticate(args, count: 3)
        case ("common", "authenticate"):
            return try await authenticate(args, count: 4)
        case ("db", "list"):
            return ["zoho_sidecar"]
        case ("db", "server_version"):
            return .string(Self.odooSeries)
        case ("object", "execute_kw"), ("object", "execute"):
            guard args.count >= 5, let uid = args[1].intValue, let password = args[2].stringValue,
                let model = args[3].stringValue, let methodName = args[4].stringValue
            else {
                throw OdooFault(.typeError, "execute_kw expects (db, uid, password, model, method, args, kwargs)")
            }
            guard let keyID = try await keys.verify(password), keyID == uid else { throw OdooFault.accessDenied() }
            let positional: [JSONValue]
            var kwargs: [String: JSONValue]
            if method == "execute_kw" {
                positional = args.count > 5 ? (args[5].arrayValue ?? []) : []
                kwargs = args.count > 6 ? (args[6].objectValue ?? [:]) : [:]
            } else {
                positional = Array(args.dropFirst(5))
                kwargs = [:]
            }
            return try await callKw(uid: uid, model: model, method: methodName, args: positional, kwargs: kwargs)
        case ("common", _), ("object", _), ("db", _):
            throw OdooFault(.keyError, "'\(method)'")
        default:
            throw OdooFault(.keyError, "'\(service)'")
        }
    }

    /// The Odoo series whose RPC protocol the sidecar speaks. Clients pick their code path by it
    /// (OdooRPC, for one, takes `/jsonrpc` and `res.users.context_get` from 10.0 on), so it is not
    /// the sidecar's own version, which `sidecar_version` gives.
    public static let odooSeries = "17.0"

    /// `common.version`, and what `/web/webclient/version_info` answers.
    public var versionInfo: JSONValue {
        [
            "server_version": .string(Self.odooSeries), "server_version_info": [17, 0, 0, "final", 0, ""],
            "server_serie": .string(Self.odooSeries), "protocol_version": 1, "server_name": "zoho-sidecar",
            "sidecar_version": .string(version),
        ]
    }

    /// A model method for an authenticated user, with Odoo's positional and keyword arguments.
    public func callKw(uid: Int64, model: String, method: String, args: [JSONValue], kwargs: [String: JSONValue]) async throws -> JSONValue {
        var kwargs = kwargs
        let context = kwargs.removeValue(forKey: "context")?.objectValue ?? [:]
        if model == "res.users", method == "context_get" {
            // What Odoo's clients ask for right after login; the sidecar has no users of its own.
            return ["lang": "en_US", "tz": "UTC", "uid": .int(uid)]
        }
        let named = models.namedArguments(model: model, method: method, args: args, kwargs: kwargs)
        return try await models.call(model: model, method: method, arguments: named, env: try Env(uid: uid, context: context))
    }

    private func authenticate(_ args: [JSONValue], count: Int) async throws -> JSONValue {
        guard args.count >= 3, let login = args[1].stringValue, let password = args[2].stringValue else {
            throw OdooFault(
                .typeError,
                "\(count == 3 ? "login" : "authenticate") expects (db, login, password\(count == 4 ? ", user_agent_env" : ""))"
            )
        }
        // As Odoo: a wrong password answers `false`, not an error.
        guard let id = try await keys.verify(password, login: login) else { return false }
        return .int(id)
    }

    /// JSON-2: `POST /json/2/<model>/<method>` with a bearer key and named arguments.
    public func callJSON2(model: String, method: String, bearer: String?, body: JSONValue) async throws -> JSONValue {
        guard let bearer, let uid = try await keys.verify(bearer) else { throw OdooFault.accessDenied() }
        guard var named = body.isNull ? [:] : body.objectValue else {
            throw OdooFault(.badRequest, "JSON-2 expects a JSON object of named arguments")
        }
        let context = named.removeValue(forKey: "context")?.objectValue ?? [:]
        return try await models.call(model: model, method: method, arguments: named, env: try Env(uid: uid, context: context))
    }

    /// Turns anything thrown into an Odoo fault the client can read; unexpected errors are logged.
    public func fault(from error: any Error) -> OdooFault {
        switch error {
        case let f as OdooFault:
            return f
        case let s as StoreError:
            switch s.kind {
            case .constraint: return OdooFault(.validationError, "The operation conflicts with an existing record: \(s.message)")
            case .unavailable, .diskFull: return OdooFault(.serverError, "The sidecar's store is unavailable: \(s.message)")
            case .invalid: return OdooFault(.serverError, s.message)
            }
        default:
            logger.error("unexpected error: \(Secrets.redact(String(describing: error)))")
            return OdooFault(.serverError, "Internal error in the sidecar; see its log.")
        }
    }
}
