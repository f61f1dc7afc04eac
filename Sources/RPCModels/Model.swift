import Core
import OdooRPC
import Store

/// How a field is stored and shown, in Odoo's terms (`fields_get` reports these).
public enum FieldType: Sendable, Equatable {
    case integer, float, char, text, boolean, datetime, json
    case selection([Choice])
    case many2one(String)
    /// Write-only: sealed by the `Vault` into `column`, never read back.
    case secret

    public var odooName: String {
        switch self {
        case .integer: "integer"
        case .float: "float"
        case .char, .secret: "char"
        case .text: "text"
        case .boolean: "boolean"
        case .datetime: "datetime"
        case .json: "json"
        case .selection: "selection"
        case .many2one: "many2one"
        }
    }
}

public struct Choice: Sendable, Equatable {
    public let value: String
    public let label: String
    public init(_ value: String, _ label: String) {
        self.value = value
        self.label = label
    }
}

public struct Field: Sendable {
    public let name: String
    public let type: FieldType
    public let label: String
    /// The SQL expression that reads it: a column name, or for derived fields an expression.
    public let column: String
    /// Set by the sidecar only: RPC writes are refused.
    public let readonly: Bool
    public let required: Bool
    /// A derived expression, not a column: readable and searchable, never written.
    public let derived: Bool
    public let help: String
    /// The value a new record gets when `create` does not name the field.
    public let defaultValue: JSONValue?

    static let secretHelp = "Write-only. Stored encrypted. Reads as false; writing false or an empty value keeps the stored one."

    public init(
        _ name: String,
        _ type: FieldType,
        _ label: String,
        column: String? = nil,
        readonly: Bool = false,
        required: Bool = false,
        derived: Bool = false,
        default defaultValue: JSONValue? = nil,
        help: String = ""
    ) {
        self.name = name
        self.type = type
        self.label = label
        self.column = column ?? name
        self.readonly = readonly || derived
        self.required = required
        self.derived = derived
        self.help = help
        self.defaultValue = defaultValue
    }

    public var stored: Bool { !derived }
    public var searchable: Bool { type != .secret && type != .json }
}

/// Checks and defaults that one model adds to the generic create/write, run inside the transaction.
public struct ModelHooks: Sendable {
    public typealias Hook = @Sendable (_ values: inout [String: SQLValue], _ context: HookContext) async throws -> Void
    public var beforeCreate: Hook?
    public var beforeWrite: Hook?
    public var beforeUnlink: (@Sendable (_ ids: [Int64], _ context: HookContext) async throws -> Void)?
    /// After records are created or written, in the same transaction: checks that need the rows as saved.
    public var afterSave: (@Sendable (_ ids: [Int64], _ context: HookContext) async throws -> Void)?
    /// After the records are committed (to tell others they exist).
    public var afterCreate: (@Sendable (_ components: Components) -> Void)?
    /// After any create, write or unlink is committed.
    public var afterChange: (@Sendable (_ components: Components) -> Void)?

    public init(
        beforeCreate: Hook? = nil,
        beforeWrite: Hook? = nil,
        beforeUnlink: (@Sendable (_ ids: [Int64], _ context: HookContext) async throws -> Void)? = nil,
        afterSave: (@Sendable (_ ids: [Int64], _ context: HookContext) async throws -> Void)? = nil,
        afterCreate: (@Sendable (_ components: Components) -> Void)? = nil,
        afterChange: (@Sendable (_ components: Components) -> Void)? = nil
    ) {
        self.beforeCreate = beforeCreate
        self.beforeWrite = beforeWrite
        self.beforeUnlink = beforeUnlink
        self.afterSave = afterSave
        self.afterCreate = afterCreate
        self.afterChange = afterChange
    }
}

public struct HookContext: Sendable {
    public let tx: any SQLExecutor
    public let vault: Vault
    public let env: Env
    public let components: Components
    /// The records written (empty when creating).
    public var ids: [Int64] = []

    public func checkCompany(_ company: Int64) throws {
        guard env.allows(company: company) else {
            throw OdooFault(.accessError, "Company \(company) is not among the allowed companies \(env.companies ?? []).")
        }
    }
}

/// A model the sidecar serves over Odoo's RPC, backed by one table.
public struct Model: Sendable {
    public let name: String
    public let table: String
    public let description: String
    public let fields: [Field]
    /// `display_name`, as SQL over the table's columns.
    public let displayName: String
    public let defaultOrder: String
    public let canCreate: Bool
    public let canWrite: Bool
    public let canUnlink: Bool
    public var hooks: ModelHooks

    public init(
        name: String,
        table: String,
        description: String,
        fields: [Field],
        displayName: String,
        defaultOrder: String = "id desc",
        canCreate: Bool = true,
        canWrite: Bool = true,
        canUnlink: Bool = true,
        hooks: ModelHooks = ModelHooks()
    ) {
        self.name = name
        self.table = table
        self.description = description
        let common = [
            Field("id", .integer, "ID", readonly: true),
            Field("display_name", .char, "Display Name", column: displayName, derived: true),
            Field("company_id", .integer, "Company", help: "Odoo res.company id; every read and write is limited to context.allowed_company_ids."),
            Field("create_date", .datetime, "Created on", column: "created_at", readonly: true),
            Field("write_date", .datetime, "Last Updated on", column: "updated_at", readonly: true),
        ]
        self.fields = common.filter { c in !fields.contains { $0.name == c.name } } + fields
        self.displayName = displayName
        self.defaultOrder = defaultOrder
        self.canCreate = canCreate
        self.canWrite = canWrite
        self.canUnlink = canUnlink
        self.hooks = hooks
    }

    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }

    func requireField(_ name: String) throws -> Field {
        guard let f = field(name) else { throw OdooFault(.valueError, "Invalid field '\(name)' on model '\(self.name)'") }
        return f
    }

    public var hasActive: Bool { field("active") != nil }
}

/// Who is calling and what they may see: Odoo's `context`, with `allowed_company_ids` resolved.
public struct Env: Sendable {
    public let uid: Int64
    public let context: [String: JSONValue]
    /// nil: every company (a sidecar-wide key with no company context).
    public let companies: [Int64]?

    public init(uid: Int64, context: [String: JSONValue] = [:]) throws {
        self.uid = uid
        self.context = context
        if let allowed = context["allowed_company_ids"], !allowed.isNull, allowed != .bool(false) {
            guard let list = allowed.arrayValue else {
                throw OdooFault(.valueError, "context.allowed_company_ids must be a list of company ids")
            }
            let ids = try list.map { v -> Int64 in
                guard let id = v.intValue else { throw OdooFault(.valueError, "context.allowed_company_ids must be a list of company ids") }
                return id
            }
            self.companies = ids
        } else {
            self.companies = nil
        }
    }

    /// The current company: the first allowed one, as in Odoo.
    public var currentCompany: Int64 { companies?.first ?? 1 }

    public func allows(company: Int64) -> Bool { companies?.contains(company) ?? true }
}
