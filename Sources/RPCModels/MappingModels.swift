import Core
import OdooRPC
import Store
import Sync

/// What each instance syncs, as records a person (or another Odoo module) edits: `zoho.mapping` and its
/// field pairs, `zoho.mapping.field`. Every save is checked (`MappingRules`) before it commits, and
/// takes effect at the sync's next job.
public enum MappingModels {
    public static let transforms: [Choice] = [
        Choice("plain", "Same value"), Choice("name_split", "Name ↔ first and last name"),
        Choice("selection", "Value table"), Choice("country", "Country ↔ name"), Choice("html", "HTML ↔ text"),
        Choice("lookup", "Lookup through another mapping"), Choice("date", "Date"), Choice("datetime", "Date and time"),
        Choice("integer", "Whole number"), Choice("decimal", "Decimal"), Choice("currency", "Currency amount"),
        Choice("boolean", "Checkbox"), Choice("many2one", "Picklist ↔ Odoo record"), Choice("tags", "Multi-select ↔ tags"),
        Choice("user", "Zoho user ↔ Odoo user"),
    ]

    public static let mapping = Model(
        name: "zoho.mapping",
        table: "mappings",
        description: "How one Odoo model and one Zoho module correspond for an instance.",
        fields: [
            Field("instance_id", .many2one("zoho.instance"), "Instance", required: true),
            Field("name", .char, "Name", required: true, help: "Unique per instance; sync cursors and rejected records are kept under it."),
            Field("sequence", .integer, "Sequence", default: 10, help: "Lower syncs first: a mapping others look up goes before them."),
            Field("active", .boolean, "Active", default: true),
            Field("shipped", .char, "Shipped As", readonly: true, help: "The shipped mapping this one was copied from: Restore puts it back."),
            Field("odoo_model", .char, "Odoo Model", required: true),
            Field("odoo_domain", .json, "Odoo Domain", default: [], help: "Which records of the model belong to this mapping."),
            Field("odoo_defaults", .json, "Defaults in Odoo", default: [:], help: "Values a record created in Odoo from Zoho gets."),
            Field("zoho_app", .selection(SidecarModels.apps), "Zoho App", column: "app", required: true, default: "crm"),
            Field("zoho_module", .char, "Zoho Module", column: "object", required: true, help: "e.g. Contacts, Leads, or Books' contact."),
            Field("match_odoo", .char, "Match on (Odoo)", required: true, help: "First linking: records with equal values are the same."),
            Field("match_zoho", .char, "Match on (Zoho)", required: true),
            Field(
                "conflict",
                .selection([Choice("newest", "Newest change wins"), Choice("odoo", "Odoo wins"), Choice("zoho", "Zoho wins")]),
                "On Conflict",
                default: "newest"
            ),
            Field(
                "on_odoo_delete",
                .selection([Choice("delete", "Delete in Zoho"), Choice("keep", "Keep in Zoho")]),
                "Deleted in Odoo",
                default: "delete"
            ),
            Field(
                "on_zoho_delete",
                .selection([Choice("archive", "Archive in Odoo"), Choice("delete", "Delete in Odoo"), Choice("keep", "Keep in Odoo")]),
                "Deleted in Zoho",
                default: "archive"
            ),
            Field("last_check", .text, "Last Check", readonly: true, help: "What Validate found, in words."),
            Field("checked_at", .datetime, "Checked", readonly: true),
            Field(
                "binding_count",
                .integer,
                "Linked Records",
                column:
                    "(SELECT count(*) FROM bindings b WHERE b.instance_id = mappings.instance_id AND b.odoo_model = mappings.odoo_model AND b.zoho_app = mappings.app AND b.zoho_object = mappings.object)",
                derived: true
            ),
            Field(
                "last_sync",
                .datetime,
                "Last Synced",
                column:
                    "(SELECT max(b.last_sync_at) FROM bindings b WHERE b.instance_id = mappings.instance_id AND b.odoo_model = mappings.odoo_model AND b.zoho_app = mappings.app AND b.zoho_object = mappings.object)",
                derived: true
            ),
            Field(
                "rejection_count",
                .integer,
                "Rejected Records",
                column: "(SELECT count(*) FROM sync_rejections r WHERE r.instance_id = mappings.instance_id AND r.mapping = mappings.name)",
                derived: true
            ),
        ],
        displayName: "name",
        defaultOrder: "instance_id, sequence, id",
        hooks: ModelHooks(
            beforeCreate: { values, ctx in
                try await inheritCompany(&values, from: "instances", id: values["instance_id"]?.int, ctx)
            },
            beforeWrite: { values, ctx in
                guard let name = values["name"]?.text else { return }
                let renamed = try await ctx.tx.scalar(
                    SQL("SELECT count(*) FROM mappings WHERE name <> ? AND id IN (", [.text(name)]) + .list(ctx.ids.map { .int($0) }) + SQL(")")
                )
                if renamed.int ?? 0 > 0 {
                    throw OdooFault(
                        .validationError,
                        "A mapping's name cannot change: its sync cursors and rejected records are kept under it. Create a new mapping instead."
                    )
                }
            },
            beforeUnlink: { ids, ctx in
                try await ctx.tx.execute(SQL("DELETE FROM mapping_fields WHERE mapping_id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
            },
            afterSave: { ids, ctx in try await check(mappingIDs: ids, ctx.tx) },
            afterChange: { components in components.book.invalidate() }
        )
    )

    public static let field = Model(
        name: "zoho.mapping.field",
        table: "mapping_fields",
        description: "One field pair of a mapping: an Odoo field and the Zoho field(s) it corresponds to.",
        fields: [
            Field("mapping_id", .many2one("zoho.mapping"), "Mapping", required: true),
            Field("sequence", .integer, "Sequence", default: 10),
            Field("odoo_field", .char, "Odoo Field", column: "odoo", required: true),
            Field("zoho_fields", .char, "Zoho Field(s)", column: "zoho", required: true, help: "API names, comma-separated (two for name_split)."),
            Field(
                "direction",
                .selection([Choice("both", "Both ways"), Choice("to_zoho", "Odoo → Zoho"), Choice("to_odoo", "Zoho → Odoo")]),
                "Direction",
                default: "both"
            ),
            Field("transform", .selection(transforms), "Transform", default: "plain"),
            Field(
                "options",
                .json,
                "Options",
                default: [:],
                help: "The transform's options: {\"values\": {odoo: zoho}} for a value table, {\"mapping\": name} for a lookup."
            ),
            Field("odoo_until", .integer, "Until Odoo", help: "The last Odoo series whose model has the field (empty: every series)."),
            Field("odoo_from_parent", .boolean, "From Parent", help: "Odoo copies the field from a contact's company: not synced on such contacts."),
        ],
        displayName: "(odoo || ' ↔ ' || zoho)",
        defaultOrder: "mapping_id, sequence, id",
        hooks: ModelHooks(
            beforeCreate: { values, ctx in
                try await inheritCompany(&values, from: "mappings", id: values["mapping_id"]?.int, ctx)
            },
            beforeUnlink: { ids, ctx in try await touchMappings(ofPairs: ids, ctx.tx) },
            afterSave: { ids, ctx in
                let parents = try await touchMappings(ofPairs: ids, ctx.tx)
                try await check(mappingIDs: parents, ctx.tx)
            },
            afterChange: { components in components.book.invalidate() }
        )
    )

    /// A mapping belongs to its instance's company, a pair to its mapping's.
    static func inheritCompany(_ values: inout [String: SQLValue], from table: String, id: Int64?, _ ctx: HookContext) async throws {
        guard let id, let company = try await ctx.tx.scalar(SQL("SELECT company_id FROM \(table) WHERE id = ?", [.int(id)])).int else { return }
        values["company_id"] = .int(company)
        try ctx.checkCompany(company)
    }

    /// A pair's edit is its mapping's: the sync sees the mapping changed (`MappingBook`'s stamp).
    @discardableResult
    static func touchMappings(ofPairs ids: [Int64], _ tx: any SQLExecutor) async throws -> [Int64] {
        let rows = try await tx.query(SQL("SELECT DISTINCT mapping_id FROM mapping_fields WHERE id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
        let parents = rows.compactMap { $0["mapping_id"].int }
        guard !parents.isEmpty else { return [] }
        try await tx.execute(
            SQL("UPDATE mappings SET updated_at = ? WHERE id IN (", [.int(Clock.now())]) + .list(parents.map { .int($0) }) + SQL(")")
        )
        return parents
    }

    /// Refuses the save when a mapping it touches would not run, saying what to change.
    static func check(mappingIDs ids: [Int64], _ tx: any SQLExecutor) async throws {
        let rows = try await tx.query(SQL("SELECT DISTINCT instance_id, name FROM mappings WHERE id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
        for (instance, names) in Dictionary(grouping: rows, by: { $0["instance_id"].int ?? 0 }) {
            let stored = try await MappingRecords.load(instanceID: instance, in: tx)
            let problems = names.flatMap { MappingRules.problems(of: $0["name"].text ?? "", among: stored) }
            guard problems.isEmpty else { throw OdooFault(.validationError, problems.joined(separator: "\n")) }
        }
    }
}
