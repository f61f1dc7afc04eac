/// The logical schema, the same on both engines. Times are epoch microseconds (`{int}`); secrets are
/// AES-GCM sealed boxes (`{blob}`, see `Vault`); JSON documents are text. Every row that belongs to
/// a company carries `company_id` (Odoo's `res.company` id).
enum Schema {
    /// The channel the jobs trigger notifies on PostgreSQL; idle workers LISTEN on it.
    static let jobsChannel = "zoho_sidecar_jobs"

    static let migrations: [Migration] = [
        Migration(
            version: 1,
            name: "initial",
            statements: [
                """
                CREATE TABLE api_keys (
                    id {pk},
                    name {text} NOT NULL,
                    key_hash {text} NOT NULL UNIQUE,
                    prefix {text} NOT NULL,
                    created_at {int} NOT NULL,
                    last_used_at {int},
                    revoked_at {int}
                )
                """,
                """
                CREATE TABLE instances (
                    id {pk},
                    company_id {int} NOT NULL,
                    name {text} NOT NULL,
                    active {int} NOT NULL DEFAULT 1,
                    data_center {text} NOT NULL DEFAULT 'us',
                    edition {text} NOT NULL DEFAULT 'enterprise',
                    client_id {text},
                    client_secret_enc {blob},
                    scopes {text},
                    redirect_uri {text},
                    return_url {text},
                    apps {text} NOT NULL DEFAULT '["crm"]',
                    books_organization_id {text},
                    desk_org_id {text},
                    state {text} NOT NULL DEFAULT 'draft',
                    accounts_server {text},
                    api_domain {text},
                    granted_scopes {text},
                    access_token_enc {blob},
                    refresh_token_enc {blob},
                    token_expires_at {int},
                    last_refresh_at {int},
                    last_error {text},
                    webhook_secret_enc {blob},
                    odoo_url {text},
                    odoo_db {text},
                    odoo_user {text},
                    odoo_api_key_enc {blob},
                    sync_progress {text},
                    created_at {int} NOT NULL,
                    updated_at {int} NOT NULL
                )
                """,
                "CREATE INDEX instances_company ON instances (company_id)",
                """
                CREATE TABLE jobs (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int},
                    kind {text} NOT NULL,
                    payload {text} NOT NULL DEFAULT '{}',
                    priority {int} NOT NULL DEFAULT 10,
                    eta {int} NOT NULL,
                    state {text} NOT NULL DEFAULT 'pending',
                    attempts {int} NOT NULL DEFAULT 0,
                    max_attempts {int} NOT NULL DEFAULT 5,
                    identity_key {text},
                    last_error {text},
                    error_chain {text},
                    last_exchange {text},
                    result {text},
                    worker {text},
                    lease_until {int},
                    created_at {int} NOT NULL,
                    started_at {int},
                    done_at {int},
                    failed_at {int},
                    cancelled_at {int},
                    updated_at {int} NOT NULL
                )
                """,
                // Claiming reads only pending rows in priority order: a partial index keeps that cheap however many are done.
                "CREATE INDEX jobs_claim ON jobs (priority, eta, id) WHERE state = 'pending'",
                "CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'running'",
                // Every index on jobs is rewritten on each state change, twice per job: keep only those that
                // pay for themselves (counts per instance and state; everything else scans rarely).
                "CREATE INDEX jobs_instance_state ON jobs (instance_id, state)",
                // At most one active job per identity key, enforced by the database rather than read-then-insert.
                "CREATE UNIQUE INDEX jobs_identity ON jobs (identity_key) WHERE identity_key IS NOT NULL AND state IN ('pending', 'running', 'waiting')",
                """
                CREATE TABLE bindings (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int} NOT NULL,
                    odoo_model {text} NOT NULL,
                    odoo_id {int} NOT NULL,
                    zoho_app {text} NOT NULL,
                    zoho_object {text} NOT NULL,
                    zoho_id {text} NOT NULL,
                    sync_hash {text},
                    last_sync_at {int},
                    last_direction {text},
                    zoho_modified_time {text},
                    odoo_write_date {text},
                    origin_stamp {text},
                    origin_at {int},
                    created_at {int} NOT NULL,
                    updated_at {int} NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX bindings_zoho ON bindings (instance_id, zoho_app, zoho_object, zoho_id)",
                "CREATE UNIQUE INDEX bindings_odoo ON bindings (instance_id, zoho_app, zoho_object, odoo_model, odoo_id)",
                "CREATE INDEX bindings_company ON bindings (company_id)",
                """
                CREATE TABLE webhook_events (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int} NOT NULL,
                    app {text} NOT NULL,
                    object {text} NOT NULL,
                    received_at {int} NOT NULL,
                    body_sha256 {text} NOT NULL,
                    dedup_key {text},
                    size {int} NOT NULL,
                    verdict {text} NOT NULL,
                    job_id {int},
                    detail {text}
                )
                """,
                "CREATE INDEX webhook_events_received ON webhook_events (received_at)",
                "CREATE INDEX webhook_events_instance ON webhook_events (instance_id, verdict)",
                // Dedup window: one row per (instance, key) until it expires; the primary key is the guard,
                // so two sidecars on one database cannot both accept the same delivery.
                """
                CREATE TABLE webhook_dedup (
                    instance_id {int} NOT NULL,
                    dedup_key {text} NOT NULL,
                    expires_at {int} NOT NULL,
                    PRIMARY KEY (instance_id, dedup_key)
                )
                """,
                """
                CREATE TABLE logs (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int},
                    job_id {int},
                    level {text} NOT NULL,
                    source {text} NOT NULL DEFAULT 'sidecar',
                    message {text} NOT NULL,
                    cause {text},
                    stack {text},
                    created_at {int} NOT NULL
                )
                """,
                "CREATE INDEX logs_created ON logs (created_at)",
                "CREATE INDEX logs_company_level ON logs (company_id, level)",
                """
                CREATE TABLE settings (
                    key {text} PRIMARY KEY,
                    value {text} NOT NULL,
                    updated_at {int} NOT NULL
                )
                """,
                """
                CREATE TABLE sync_cursors (
                    instance_id {int} NOT NULL,
                    mapping {text} NOT NULL,
                    side {text} NOT NULL,
                    cursor {text},
                    updated_at {int} NOT NULL,
                    PRIMARY KEY (instance_id, mapping, side)
                )
                """,
                // OAuth `state` values: single use, bound to an instance, short-lived.
                """
                CREATE TABLE oauth_states (
                    nonce {text} PRIMARY KEY,
                    instance_id {int} NOT NULL,
                    expires_at {int} NOT NULL,
                    used_at {int}
                )
                """,
                // An instance whose jobs must wait: Zoho said 429 (until a time) or the instance needs
                // re-authorization (until far in the future). Claiming skips its jobs; one row pauses them all.
                """
                CREATE TABLE instance_pauses (
                    instance_id {int} PRIMARY KEY,
                    until_at {int} NOT NULL,
                    reason {text} NOT NULL
                )
                """,
                // Named leases for work that must run once at a time across processes (token refresh on SQLite).
                """
                CREATE TABLE locks (
                    name {text} PRIMARY KEY,
                    holder {text} NOT NULL,
                    expires_at {int} NOT NULL
                )
                """,
            ],
            postgresOnly: [
                // Every insert of jobs wakes idle workers of every sidecar on the database, at commit
                // (replaced in version 8).
                """
                CREATE FUNCTION zoho_sidecar_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify('\(jobsChannel)', ''); RETURN NULL; END $$
                """,
                "CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_jobs_notify()",
            ]
        ),
        Migration(
            version: 2,
            name: "webhook gateway",
            statements: [
                // Which proofs of origin an instance's webhooks may present (see Webhooks.Authenticity).
                "ALTER TABLE instances ADD COLUMN webhook_accept_secret {int} NOT NULL DEFAULT 1",
                "ALTER TABLE instances ADD COLUMN webhook_accept_token {int} NOT NULL DEFAULT 1",
                "ALTER TABLE instances ADD COLUMN webhook_accept_signature {int} NOT NULL DEFAULT 1",
                // The CRM modules Zoho should notify the sidecar about (one notification channel each).
                "ALTER TABLE instances ADD COLUMN watch_modules {text} NOT NULL DEFAULT '[\"Accounts\",\"Contacts\"]'",
                // CRM notification channels the sidecar holds, renewed before they expire.
                """
                CREATE TABLE channels (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int} NOT NULL,
                    module {text} NOT NULL,
                    channel_id {text} NOT NULL,
                    expires_at {int} NOT NULL,
                    renewed_at {int} NOT NULL,
                    UNIQUE (instance_id, module)
                )
                """,
                "CREATE INDEX channels_expiry ON channels (expires_at)",
                "CREATE INDEX webhook_dedup_expiry ON webhook_dedup (expires_at)",
                "CREATE INDEX webhook_events_company ON webhook_events (company_id, received_at)",
            ]
        ),
        Migration(
            version: 3,
            name: "sync base values",
            statements: [
                // The values both sides last agreed on (JSON, per Odoo field): the base of the three-way merge
                // that lets an edit in Odoo and another in Zoho, to different fields, both survive.
                "ALTER TABLE bindings ADD COLUMN sync_values {text}"
            ]
        ),
        Migration(
            version: 4,
            name: "zoho read time",
            statements: [
                // Zoho's Modified_Time of the record as the sidecar last read it before writing to it: with the
                // Modified_Time of that write, the window in which a person's edit could have been overwritten.
                "ALTER TABLE bindings ADD COLUMN zoho_read_time {text}"
            ]
        ),
        Migration(
            version: 5,
            name: "field change times",
            statements: [
                // When each field last changed on each side, as learnt from callbacks and forwards (see Sync.FieldClock).
                """
                CREATE TABLE field_changes (
                    instance_id {int} NOT NULL,
                    side {text} NOT NULL,
                    object {text} NOT NULL,
                    record_id {text} NOT NULL,
                    field {text} NOT NULL,
                    changed_at {int} NOT NULL,
                    read_at {int},
                    fingerprint {text},
                    written_fingerprint {text},
                    value {text},
                    PRIMARY KEY (instance_id, side, object, record_id, field)
                )
                """,
                "CREATE INDEX field_changes_time ON field_changes (changed_at)",
                // Superseded by the per-field windows of the sidecar's writes (side zoho_write above).
                "ALTER TABLE bindings DROP COLUMN zoho_read_time",
            ]
        ),
        Migration(
            version: 6,
            name: "tallies",
            statements: [
                // Counts kept by the database itself as rows change, so the dashboard and /metrics read a
                // few rows instead of counting millions of jobs (see Monitoring.Tallies). `metric` is one of
                //   jobs          key kind/state, minute 0: jobs in the store now;
                //   job_outcomes  key kind/done|failed|retried, per minute: what finished or was retried;
                //   bindings      key app/object/odoo model, minute 0: bindings now;
                //   webhooks      key app/verdict, per minute: audited deliveries.
                // instance_id 0 stands for "no instance"; company_id keeps each company's counts its own.
                """
                CREATE TABLE tallies (
                    metric {text} NOT NULL,
                    company_id {int} NOT NULL,
                    instance_id {int} NOT NULL,
                    key {text} NOT NULL,
                    minute {int} NOT NULL,
                    n {int} NOT NULL
                )
                """,
                "INSERT INTO tallies SELECT 'jobs', company_id, coalesce(instance_id, 0), kind || '/' || state, 0, count(*) FROM jobs GROUP BY company_id, coalesce(instance_id, 0), kind || '/' || state",
                "INSERT INTO tallies SELECT 'bindings', company_id, instance_id, zoho_app || '/' || zoho_object || '/' || odoo_model, 0, count(*) FROM bindings GROUP BY company_id, instance_id, zoho_app || '/' || zoho_object || '/' || odoo_model",
            ],
            postgresOnly: Schema.postgresTallies,
            sqliteOnly: Schema.sqliteTallies
        ),
        Migration(
            version: 7,
            name: "waiting jobs",
            statements: [
                // The few jobs waiting for re-authorization, found without scanning the rest (see JobQueue.releaseStrandedWaits).
                "CREATE INDEX jobs_waiting ON jobs (instance_id) WHERE state = 'waiting'"
            ]
        ),
        Migration(
            version: 8,
            name: "wake-ups after commit",
            statements: [],
            postgresOnly: [
                // Workers of other sidecars are woken by a NOTIFY after the commit (Queue.Announcer): one
                // from a trigger inside it made every inserting transaction wait for the others' flushes.
                "DROP TRIGGER jobs_notify ON jobs",
                "DROP FUNCTION zoho_sidecar_jobs_notify()",
            ]
        ),
        Migration(
            version: 9,
            name: "rejected records",
            statements: [
                // Records one side refused during a sync (see Sync.Rejections): one row per record and mapping,
                // kept until the record syncs, so a person can see it, fix the data and watch it cross.
                // `record_key` is odoo:<id> when the Odoo record is known, else zoho:<id>. `blocking_zoho_id`
                // is the Zoho record holding the value Zoho called a duplicate: its change retries this one.
                """
                CREATE TABLE sync_rejections (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int} NOT NULL,
                    mapping {text} NOT NULL,
                    record_key {text} NOT NULL,
                    odoo_model {text} NOT NULL,
                    odoo_id {int},
                    zoho_app {text} NOT NULL,
                    zoho_object {text} NOT NULL,
                    zoho_id {text},
                    rejected_by {text} NOT NULL,
                    operation {text} NOT NULL,
                    code {text},
                    field {text},
                    message {text} NOT NULL,
                    blocking_zoho_id {text},
                    attempts {int} NOT NULL,
                    first_seen_at {int} NOT NULL,
                    last_seen_at {int} NOT NULL,
                    created_at {int} NOT NULL,
                    updated_at {int} NOT NULL,
                    UNIQUE (instance_id, mapping, record_key)
                )
                """,
                "CREATE INDEX sync_rejections_blocking ON sync_rejections (instance_id, blocking_zoho_id)",
            ]
        ),
        Migration(
            version: 10,
            name: "shared Zoho call counts",
            statements: [
                // Zoho calls per limit key and time bucket (Queue.CallLedger): every sidecar on the database
                // counts against one allowance, and a restart does not forget the day's calls.
                """
                CREATE TABLE zoho_call_counts (
                    counter {text} NOT NULL,
                    bucket {int} NOT NULL,
                    calls {int} NOT NULL,
                    PRIMARY KEY (counter, bucket)
                )
                """
            ]
        ),
        Migration(
            version: 11,
            name: "mappings as records",
            statements: [
                // What each instance syncs (Sync.MappingBook): the shipped mappings are copied in for every
                // instance (`instances.mappings_seeded`), and a person edits, adds or switches them off over RPC.
                // The field pairs' transform options (value tables, the mapping a lookup goes through) are JSON.
                """
                CREATE TABLE mappings (
                    id {pk},
                    company_id {int} NOT NULL,
                    instance_id {int} NOT NULL,
                    name {text} NOT NULL,
                    sequence {int} NOT NULL DEFAULT 10,
                    active {int} NOT NULL DEFAULT 1,
                    shipped {text},
                    odoo_model {text} NOT NULL,
                    odoo_domain {text} NOT NULL DEFAULT '[]',
                    odoo_defaults {text} NOT NULL DEFAULT '{}',
                    app {text} NOT NULL,
                    object {text} NOT NULL,
                    match_odoo {text} NOT NULL,
                    match_zoho {text} NOT NULL,
                    conflict {text} NOT NULL DEFAULT 'newest',
                    on_odoo_delete {text} NOT NULL DEFAULT 'delete',
                    on_zoho_delete {text} NOT NULL DEFAULT 'archive',
                    last_check {text},
                    checked_at {int},
                    created_at {int} NOT NULL,
                    updated_at {int} NOT NULL,
                    UNIQUE (instance_id, name)
                )
                """,
                """
                CREATE TABLE mapping_fields (
                    id {pk},
                    company_id {int} NOT NULL,
                    mapping_id {int} NOT NULL,
                    sequence {int} NOT NULL DEFAULT 10,
                    odoo {text} NOT NULL,
                    zoho {text} NOT NULL,
                    direction {text} NOT NULL DEFAULT 'both',
                    transform {text} NOT NULL DEFAULT 'plain',
                    options {text} NOT NULL DEFAULT '{}',
                    odoo_until {int},
                    odoo_from_parent {int} NOT NULL DEFAULT 0,
                    created_at {int} NOT NULL,
                    updated_at {int} NOT NULL
                )
                """,
                "CREATE INDEX mapping_fields_mapping ON mapping_fields (mapping_id, sequence)",
                "ALTER TABLE instances ADD COLUMN mappings_seeded {int} NOT NULL DEFAULT 0",
            ]
        ),
        Migration(
            version: 12,
            name: "failed jobs tally",
            // failed_jobs: key kind, minute of failed_at; the jobs failed now, by when they failed
            // (see SchemaFailedTally), so the dashboard's "failed in the last day" is the list's count.
            statements: [Schema.failedTallyFill],
            postgresOnly: Schema.postgresFailedTally,
            sqliteOnly: Schema.sqliteFailedTally
        ),
        Migration(
            version: 13,
            name: "bindings by Odoo record",
            statements: [
                // The Zoho line on every Odoo form asks for one model's records in all instances
                // (RecordStatus): the unique index starts with the instance, so each call read every binding.
                "CREATE INDEX bindings_odoo_record ON bindings (odoo_model, odoo_id)"
            ]
        ),
    ]
}
