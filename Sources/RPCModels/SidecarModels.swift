import Core
import OdooRPC
import Store
import Sync

/// The models the sidecar serves. Their fields are the reference in `docs/models.md`
/// (generated from these definitions; a test keeps the two in step).
public enum SidecarModels {
    public static let dataCenters: [Choice] = [
        Choice("us", "United States"), Choice("eu", "Europe"), Choice("in", "India"), Choice("au", "Australia"),
        Choice("jp", "Japan"), Choice("ca", "Canada"), Choice("sa", "Saudi Arabia"), Choice("cn", "China"),
        Choice("uk", "United Kingdom"),
    ]

    public static let instanceStates: [Choice] = [
        Choice("draft", "Draft"), Choice("connected", "Connected"), Choice("needs_reauth", "Needs re-authorization"),
        Choice("error", "Error"), Choice("disabled", "Disabled"),
    ]

    public static let jobStates: [Choice] = [
        Choice("pending", "Pending"), Choice("running", "Running"), Choice("done", "Done"), Choice("failed", "Failed"),
        Choice("cancelled", "Cancelled"), Choice("waiting", "Waiting for re-authorization"),
    ]

    public static let apps: [Choice] = [
        Choice("crm", "Zoho CRM"), Choice("books", "Zoho Books"), Choice("people", "Zoho People"), Choice("desk", "Zoho Desk"),
    ]

    public static let instance = Model(
        name: "zoho.instance",
        table: "instances",
        description: "A Zoho account (organisation) connected through OAuth2.",
        fields: [
            Field("name", .char, "Name", required: true),
            Field("active", .boolean, "Active", default: true),
            Field(
                "data_center",
                .selection(dataCenters),
                "Data Centre",
                required: true,
                default: "us",
                help: "Where the Zoho account lives; decides the accounts server and API domain."
            ),
            Field(
                "edition",
                .selection([
                    Choice("free", "Free"), Choice("standard", "Standard"), Choice("professional", "Professional"),
                    Choice("enterprise", "Enterprise"), Choice("ultimate", "Ultimate"),
                ]),
                "CRM Edition",
                default: "enterprise",
                help: "Sets the API concurrency the sidecar stays under."
            ),
            Field("client_id", .char, "Client ID"),
            Field("client_secret", .secret, "Client Secret", column: "client_secret_enc", help: Field.secretHelp),
            Field(
                "client_secret_set",
                .boolean,
                "Client Secret Set",
                column: "(CASE WHEN client_secret_enc IS NULL THEN 0 ELSE 1 END)",
                derived: true
            ),
            Field("scopes", .char, "Scopes", help: "Comma-separated Zoho scopes, e.g. ZohoCRM.modules.ALL,ZohoBooks.fullaccess.all"),
            Field("redirect_uri", .char, "Redirect URI", help: "The sidecar's /zoho/oauth/callback as registered in Zoho's API console."),
            Field("return_url", .char, "Return URL", help: "Where the browser goes after consent (the Odoo instance form)."),
            Field("apps", .json, "Enabled Apps", default: ["crm"], help: "List of apps: crm, books, people, desk."),
            Field("books_organization_id", .char, "Books Organization ID"),
            Field("desk_org_id", .char, "Desk orgId"),
            Field("state", .selection(instanceStates), "State", readonly: true, default: "draft"),
            Field("accounts_server", .char, "Accounts Server", readonly: true),
            Field("api_domain", .char, "API Domain", readonly: true),
            Field("granted_scopes", .char, "Granted Scopes", readonly: true),
            Field("token_expiry", .datetime, "Access Token Expiry", column: "token_expires_at", readonly: true),
            Field("last_refresh", .datetime, "Last Token Refresh", column: "last_refresh_at", readonly: true),
            Field(
                "has_refresh_token",
                .boolean,
                "Has Refresh Token",
                column: "(CASE WHEN refresh_token_enc IS NULL THEN 0 ELSE 1 END)",
                derived: true
            ),
            Field("last_error", .text, "Last Error", readonly: true),
            Field(
                "webhook_secret_set",
                .boolean,
                "Webhook Secret Set",
                column: "(CASE WHEN webhook_secret_enc IS NULL THEN 0 ELSE 1 END)",
                derived: true
            ),
            Field(
                "webhook_accept_secret",
                .boolean,
                "Accept Shared Secret",
                default: true,
                help: "Webhooks may prove their origin with the webhook secret in an X-Zoho-Webhook-Secret header or a ?key= parameter."
            ),
            Field(
                "webhook_accept_token",
                .boolean,
                "Accept Channel Token",
                default: true,
                help: "CRM notifications may prove their origin with the channel token the sidecar gave Zoho when subscribing."
            ),
            Field(
                "webhook_accept_signature",
                .boolean,
                "Accept Signature",
                default: true,
                help: "Books/Billing webhooks may prove their origin with X-Zoho-Webhook-Signature (HMAC-SHA256 keyed with the webhook secret)."
            ),
            Field(
                "watch_modules",
                .json,
                "Watched CRM Modules",
                default: ["Accounts", "Contacts"],
                help: "CRM modules Zoho notifies the sidecar about; one notification channel each, renewed before it expires."
            ),
            Field(
                "channel_expiry",
                .datetime,
                "Next Channel Expiry",
                column: "(SELECT min(expires_at) FROM channels c WHERE c.instance_id = instances.id)",
                derived: true
            ),
            Field("odoo_url", .char, "Odoo URL", help: "Odoo the sidecar writes to for this instance (empty: the sidecar-wide setting)."),
            Field("odoo_db", .char, "Odoo Database"),
            Field("odoo_user", .char, "Odoo User"),
            Field("odoo_api_key", .secret, "Odoo API Key", column: "odoo_api_key_enc", help: Field.secretHelp),
            Field("sync_progress", .json, "Initial Sync Progress", readonly: true),
            Field(
                "rejection_count",
                .integer,
                "Rejected Records",
                column: "(SELECT count(*) FROM sync_rejections r WHERE r.instance_id = instances.id)",
                derived: true,
                help: "Records Zoho or Odoo refused that have not gone through since (zoho.sync.rejection)."
            ),
        ],
        displayName: "name",
        defaultOrder: "name, id",
        hooks: ModelHooks(
            beforeCreate: { values, ctx in
                if values["webhook_secret_enc"] == nil {
                    values["webhook_secret_enc"] = .blob(try ctx.vault.seal(Random.token(bytes: 24)))
                }
                try checkApps(values["apps"])
            },
            beforeWrite: { values, ctx in
                try checkApps(values["apps"])
                if let text = values["apps"]?.text, let apps = try? JSONValue.parse(text).arrayValue {
                    try await SyncJobs.cancelDropped(instanceIDs: ctx.ids, keeping: apps.compactMap(\.stringValue), in: ctx.tx)
                }
            },
            beforeUnlink: { ids, ctx in
                let busy =
                    try await ctx.tx.scalar(
                        SQL("SELECT count(*) FROM jobs WHERE instance_id IN (") + .list(ids.map { .int($0) })
                            + SQL(") AND state IN ('pending', 'running', 'waiting')")
                    ).int ?? 0
                let linked =
                    try await ctx.tx.scalar(SQL("SELECT count(*) FROM bindings WHERE instance_id IN (") + .list(ids.map { .int($0) }) + SQL(")")).int
                    ?? 0
                if busy > 0 || linked > 0 {
                    throw OdooFault(
                        .userError,
                        "This instance still has \(busy) active jobs and \(linked) bindings: archive it (active = false) or disable it instead of deleting it."
                    )
                }
                // Its rejected records and mappings have no home without it.
                try await ctx.tx.execute(SQL("DELETE FROM sync_rejections WHERE instance_id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
                try await ctx.tx.execute(
                    SQL("DELETE FROM mapping_fields WHERE mapping_id IN (SELECT id FROM mappings WHERE instance_id IN (")
                        + .list(ids.map { .int($0) })
                        + SQL("))")
                )
                try await ctx.tx.execute(SQL("DELETE FROM mappings WHERE instance_id IN (") + .list(ids.map { .int($0) }) + SQL(")"))
            },
            afterSave: { ids, ctx in
                // A new instance starts with its own copy of the shipped mappings, to edit as it likes.
                for id in ids { try await MappingBook.seed(id, in: ctx.tx) }
            }
        )
    )

    static func checkApps(_ value: SQLValue?) throws {
        guard let text = value?.text else { return }
        guard let list = try? JSONValue.parse(text).arrayValue, list.allSatisfy({ v in apps.contains { $0.value == v.stringValue } }) else {
            throw OdooFault(.validationError, "Wrong value for zoho.instance.apps: \(text) (expected a list drawn from crm, books, people, desk)")
        }
    }

    /// How much of a long error a list shows.
    static let summaryLength = 160

    /// `column` cut to `summaryLength` characters with an ellipsis, as SQL both engines read.
    static func summary(_ column: String) -> String {
        "(CASE WHEN length(\(column)) > \(summaryLength) THEN substr(\(column), 1, \(summaryLength - 1)) || '…' ELSE \(column) END)"
    }

    public static let job = Model(
        name: "zoho.job",
        table: "jobs",
        description: "A unit of sync work in the durable queue.",
        fields: [
            Field("instance_id", .many2one("zoho.instance"), "Instance"),
            Field("kind", .char, "Kind", required: true, help: "The registered handler that runs the job."),
            Field("payload", .json, "Payload", default: [:]),
            Field("priority", .integer, "Priority", default: 10, help: "Lower runs first."),
            Field("eta", .datetime, "Run After"),
            Field("state", .selection(jobStates), "State", readonly: true, default: "pending"),
            Field("attempts", .integer, "Attempts", readonly: true),
            Field("max_attempts", .integer, "Max Attempts", default: 5),
            Field("identity_key", .char, "Identity Key", help: "At most one active job per key."),
            Field("last_error", .text, "Last Error", readonly: true),
            Field(
                "error_summary",
                .char,
                "Error",
                column: summary("last_error"),
                derived: true,
                help: "The last error cut to \(summaryLength) characters, for lists; the form shows all of it."
            ),
            Field("error_chain", .json, "Error Causes", readonly: true),
            Field(
                "last_exchange",
                .json,
                "Last Zoho Exchange",
                readonly: true,
                help: "The request/response of the last Zoho call, masked and capped."
            ),
            Field("result", .json, "Result", readonly: true),
            Field("worker", .char, "Worker", readonly: true),
            Field("lease_until", .datetime, "Lease Until", readonly: true),
            Field("date_started", .datetime, "Started", column: "started_at", readonly: true),
            Field("date_done", .datetime, "Done", column: "done_at", readonly: true),
            Field("date_failed", .datetime, "Failed", column: "failed_at", readonly: true),
            Field("date_cancelled", .datetime, "Cancelled", column: "cancelled_at", readonly: true),
        ],
        displayName: "(kind || ' #' || id)",
        hooks: ModelHooks(beforeCreate: { values, ctx in
            if values["eta"] == nil { values["eta"] = .int(Clock.now()) }
            // A job belongs to its instance's company.
            if let instance = values["instance_id"]?.int,
                let company = try await ctx.tx.scalar(SQL("SELECT company_id FROM instances WHERE id = ?", [.int(instance)])).int
            {
                values["company_id"] = .int(company)
                try ctx.checkCompany(company)
            }
        })
    )

    public static let binding = Model(
        name: "zoho.binding",
        table: "bindings",
        description: "The link between one Odoo record and one Zoho record.",
        fields: [
            Field("instance_id", .many2one("zoho.instance"), "Instance", required: true),
            Field("odoo_model", .char, "Odoo Model", required: true),
            Field("odoo_id", .integer, "Odoo Record ID", required: true),
            Field("zoho_app", .selection(apps), "Zoho App", required: true),
            Field("zoho_object", .char, "Zoho Module", required: true),
            Field("zoho_id", .char, "Zoho Record ID", required: true),
            Field("sync_hash", .char, "Sync Hash", help: "SHA-256 of the mapped values last synced, canonicalised."),
            Field("last_sync_date", .datetime, "Last Synced", column: "last_sync_at"),
            Field("last_direction", .selection([Choice("push", "Odoo → Zoho"), Choice("pull", "Zoho → Odoo")]), "Last Direction"),
            Field("zoho_modified_time", .char, "Zoho Modified_Time"),
            Field("odoo_write_date", .char, "Odoo write_date"),
        ],
        displayName: "(odoo_model || ',' || odoo_id || ' ↔ ' || zoho_object || '/' || zoho_id)"
    )

    public static let webhookEvent = Model(
        name: "zoho.webhook.event",
        table: "webhook_events",
        description: "The audit log of webhook deliveries.",
        fields: [
            Field("instance_id", .many2one("zoho.instance"), "Instance", readonly: true),
            Field("app", .char, "App", readonly: true),
            Field("object", .char, "Object", readonly: true),
            Field("received_at", .datetime, "Received", readonly: true),
            Field("body_sha256", .char, "Body SHA-256", readonly: true),
            Field("dedup_key", .char, "Dedup Key", readonly: true),
            Field("size", .integer, "Size (bytes)", readonly: true),
            Field(
                "verdict",
                .selection([
                    Choice("accepted", "Accepted"), Choice("duplicate", "Duplicate"), Choice("unauthorized", "Unauthorized"),
                    Choice("rejected", "Rejected"), Choice("limited", "Rate limited"),
                ]),
                "Verdict",
                readonly: true
            ),
            Field("job_id", .many2one("zoho.job"), "Job", readonly: true),
            Field("detail", .text, "Detail", readonly: true),
            // Audit rows never change: both of Odoo's dates are the receipt.
            Field("create_date", .datetime, "Created on", column: "received_at", readonly: true),
            Field("write_date", .datetime, "Last Updated on", column: "received_at", readonly: true),
        ],
        displayName: "(app || '/' || object || ' #' || id)",
        canCreate: false,
        canWrite: false
    )

    public static let log = Model(
        name: "zoho.log",
        table: "logs",
        description: "The error centre: what went wrong, where, and why.",
        fields: [
            Field("instance_id", .many2one("zoho.instance"), "Instance", readonly: true),
            Field("job_id", .many2one("zoho.job"), "Job", readonly: true),
            Field(
                "level",
                .selection([Choice("debug", "Debug"), Choice("info", "Info"), Choice("warning", "Warning"), Choice("error", "Error")]),
                "Level",
                readonly: true
            ),
            Field("source", .char, "Source", readonly: true),
            Field("message", .text, "Message", readonly: true),
            Field(
                "message_summary",
                .char,
                "Summary",
                column: summary("message"),
                derived: true,
                help: "The message cut to \(summaryLength) characters, for lists; the form shows all of it."
            ),
            Field("cause", .text, "Cause Chain", readonly: true),
            Field("stack", .text, "Stack", readonly: true),
            // Entries never change once written.
            Field("write_date", .datetime, "Last Updated on", column: "created_at", readonly: true),
        ],
        displayName: "(level || ': ' || substr(message, 1, 60))",
        canCreate: false,
        canWrite: false
    )

    public static let rejection = Model(
        name: "zoho.sync.rejection",
        table: "sync_rejections",
        description: "A record Zoho or Odoo refused during a sync, kept until it goes through.",
        fields: [
            Field("instance_id", .many2one("zoho.instance"), "Instance", readonly: true),
            Field("mapping", .char, "Mapping", readonly: true, help: "The mapping whose sync was refused, e.g. crm_accounts."),
            Field("odoo_model", .char, "Odoo Model", readonly: true),
            Field("odoo_id", .integer, "Odoo Record ID", readonly: true, help: "Empty when Odoo refused to create the record."),
            Field("zoho_app", .selection(apps), "Zoho App", readonly: true),
            Field("zoho_object", .char, "Zoho Module", readonly: true),
            Field("zoho_id", .char, "Zoho Record ID", readonly: true, help: "Empty when Zoho refused to create the record."),
            Field(
                "rejected_by",
                .selection([Choice("zoho", "Zoho"), Choice("odoo", "Odoo"), Choice("mapping", "Mapping")]),
                "Refused By",
                readonly: true,
                help: "Mapping: a value the mapping cannot convert, such as a picklist value outside its value table."
            ),
            Field("operation", .selection([Choice("create", "Create"), Choice("update", "Update")]), "Operation", readonly: true),
            Field("code", .char, "Zoho Code", readonly: true, help: "Zoho's own code, e.g. DUPLICATE_DATA or INVALID_DATA."),
            Field("zoho_field", .char, "Zoho Field", column: "field", readonly: true),
            Field("message", .text, "Error", readonly: true, help: "What was refused and what to change."),
            Field(
                "blocking_zoho_id",
                .char,
                "Duplicate Of (Zoho)",
                readonly: true,
                help: "The Zoho record that already has the value: a change to it tries this record again."
            ),
            Field("attempts", .integer, "Attempts", readonly: true),
            Field("first_seen", .datetime, "First Refused", column: "first_seen_at", readonly: true),
            Field("last_seen", .datetime, "Last Attempt", column: "last_seen_at", readonly: true),
        ],
        displayName: "(mapping || ': ' || coalesce(odoo_model || ',' || odoo_id, zoho_object || '/' || zoho_id))",
        defaultOrder: "last_seen desc, id desc",
        canCreate: false,
        canWrite: false,
        canUnlink: false
    )

    public static let all: [Model] = [instance, job, binding, webhookEvent, log, rejection, MappingModels.mapping, MappingModels.field]
}
