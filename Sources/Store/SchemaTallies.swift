/// The triggers that keep `tallies` in step with jobs, bindings and the webhook audit log.
///
/// SQLite has one writer, so its row triggers add to one row per count (an upsert). PostgreSQL has
/// many: updating one row per count would make every transaction that touches jobs queue behind
/// the others, so its statement triggers append one delta row per count and statement instead, and
/// `Tallies.compact` folds the deltas together now and then. Readers sum either way.
extension Schema {
    static let tallyConflict = "ON CONFLICT (metric, company_id, instance_id, key, minute) DO UPDATE SET n = tallies.n + excluded.n"

    /// A job's outcome for `job_outcomes`: finished, failed, or back to pending with its attempt spent
    /// (a retry or a rescue; a release on shutdown or a 429 gives the attempt back and is no retry).
    static func outcomeCase(_ new: String) -> String {
        "CASE WHEN \(new).state IN ('done', 'failed') THEN \(new).state ELSE 'retried' END"
    }

    static func outcomeFilter(old: String, new: String) -> String {
        "(\(old).state <> \(new).state AND (\(new).state IN ('done', 'failed') OR (\(old).state = 'running' AND \(new).state = 'pending' AND \(new).attempts >= \(old).attempts)))"
    }

    static let sqliteTallies: [String] = [
        "CREATE UNIQUE INDEX tallies_key ON tallies (metric, company_id, instance_id, key, minute)",
        """
        CREATE TRIGGER jobs_tally_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO tallies VALUES ('jobs', new.company_id, coalesce(new.instance_id, 0), new.kind || '/' || new.state, 0, 1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs BEGIN
            INSERT INTO tallies VALUES ('jobs', old.company_id, coalesce(old.instance_id, 0), old.kind || '/' || old.state, 0, -1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER jobs_tally_update AFTER UPDATE OF state, kind, instance_id, company_id ON jobs
        WHEN old.state IS NOT new.state OR old.kind IS NOT new.kind OR old.instance_id IS NOT new.instance_id OR old.company_id IS NOT new.company_id BEGIN
            INSERT INTO tallies VALUES ('jobs', old.company_id, coalesce(old.instance_id, 0), old.kind || '/' || old.state, 0, -1) \(tallyConflict);
            INSERT INTO tallies VALUES ('jobs', new.company_id, coalesce(new.instance_id, 0), new.kind || '/' || new.state, 0, 1) \(tallyConflict);
            INSERT INTO tallies SELECT 'job_outcomes', new.company_id, coalesce(new.instance_id, 0), new.kind || '/' || \(outcomeCase("new")),
                new.updated_at / 60000000, 1 WHERE \(outcomeFilter(old: "old", new: "new")) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER bindings_tally_insert AFTER INSERT ON bindings BEGIN
            INSERT INTO tallies VALUES ('bindings', new.company_id, new.instance_id, new.zoho_app || '/' || new.zoho_object || '/' || new.odoo_model, 0, 1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER bindings_tally_delete AFTER DELETE ON bindings BEGIN
            INSERT INTO tallies VALUES ('bindings', old.company_id, old.instance_id, old.zoho_app || '/' || old.zoho_object || '/' || old.odoo_model, 0, -1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER bindings_tally_update AFTER UPDATE OF company_id, instance_id, zoho_app, zoho_object, odoo_model ON bindings
        WHEN old.company_id IS NOT new.company_id OR old.instance_id IS NOT new.instance_id OR old.zoho_app IS NOT new.zoho_app OR old.zoho_object IS NOT new.zoho_object
          OR old.odoo_model IS NOT new.odoo_model BEGIN
            INSERT INTO tallies VALUES ('bindings', old.company_id, old.instance_id, old.zoho_app || '/' || old.zoho_object || '/' || old.odoo_model, 0, -1) \(tallyConflict);
            INSERT INTO tallies VALUES ('bindings', new.company_id, new.instance_id, new.zoho_app || '/' || new.zoho_object || '/' || new.odoo_model, 0, 1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER webhook_events_tally AFTER INSERT ON webhook_events BEGIN
            INSERT INTO tallies VALUES ('webhooks', new.company_id, new.instance_id, new.app || '/' || new.verdict, new.received_at / 60000000, 1) \(tallyConflict);
        END
        """,
    ]

    /// Counts a later migration adds to the jobs' trigger function, per operation.
    struct JobsTallyParts {
        var insert = ""
        var delete = ""
        var update = ""
    }

    /// The jobs' statement trigger function: `jobs` and `job_outcomes`, and `more` (a later migration
    /// replaces the function with its counts added, so a statement on jobs still fires one trigger).
    static func postgresJobsTally(_ create: String, more: JobsTallyParts = JobsTallyParts()) -> String {
        """
        \(create) zoho_sidecar_tally_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO tallies SELECT 'jobs', company_id, coalesce(instance_id, 0), kind || '/' || state, 0, count(*) FROM new_rows GROUP BY 2, 3, 4;
                \(more.insert)
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO tallies SELECT 'jobs', company_id, coalesce(instance_id, 0), kind || '/' || state, 0, -count(*) FROM old_rows GROUP BY 2, 3, 4;
                \(more.delete)
            ELSE
                INSERT INTO tallies SELECT 'jobs', c, i, k, 0, sum(d) FROM (
                    SELECT o.company_id AS c, coalesce(o.instance_id, 0) AS i, o.kind || '/' || o.state AS k, -1 AS d
                      FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                     WHERE (o.state, o.kind, o.instance_id, o.company_id) IS DISTINCT FROM (nw.state, nw.kind, nw.instance_id, nw.company_id)
                    UNION ALL
                    SELECT nw.company_id, coalesce(nw.instance_id, 0), nw.kind || '/' || nw.state, 1
                      FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                     WHERE (o.state, o.kind, o.instance_id, o.company_id) IS DISTINCT FROM (nw.state, nw.kind, nw.instance_id, nw.company_id)
                ) t GROUP BY c, i, k HAVING sum(d) <> 0;
                INSERT INTO tallies SELECT 'job_outcomes', nw.company_id, coalesce(nw.instance_id, 0), nw.kind || '/' || \(outcomeCase("nw")),
                       nw.updated_at / 60000000, count(*)
                  FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                 WHERE \(outcomeFilter(old: "o", new: "nw"))
                 GROUP BY 2, 3, 4, 5;
                \(more.update)
            END IF;
            RETURN NULL;
        END $$
        """
    }

    static let postgresTallies: [String] = [
        "CREATE INDEX tallies_metric ON tallies (metric, minute)",
        postgresJobsTally("CREATE FUNCTION"),
        "CREATE TRIGGER jobs_tally_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_jobs()",
        "CREATE TRIGGER jobs_tally_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_jobs()",
        "CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_jobs()",
        """
        CREATE FUNCTION zoho_sidecar_tally_bindings() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO tallies SELECT 'bindings', company_id, instance_id, zoho_app || '/' || zoho_object || '/' || odoo_model, 0, count(*) FROM new_rows GROUP BY 2, 3, 4;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO tallies SELECT 'bindings', company_id, instance_id, zoho_app || '/' || zoho_object || '/' || odoo_model, 0, -count(*) FROM old_rows GROUP BY 2, 3, 4;
            ELSE
                -- Most updates (hashes, times) leave the counted columns alone and add nothing.
                INSERT INTO tallies SELECT 'bindings', c, i, k, 0, sum(d) FROM (
                    SELECT o.company_id AS c, o.instance_id AS i, o.zoho_app || '/' || o.zoho_object || '/' || o.odoo_model AS k, -1 AS d
                      FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                     WHERE (o.company_id, o.instance_id, o.zoho_app, o.zoho_object, o.odoo_model) IS DISTINCT FROM (nw.company_id, nw.instance_id, nw.zoho_app, nw.zoho_object, nw.odoo_model)
                    UNION ALL
                    SELECT nw.company_id, nw.instance_id, nw.zoho_app || '/' || nw.zoho_object || '/' || nw.odoo_model, 1
                      FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                     WHERE (o.company_id, o.instance_id, o.zoho_app, o.zoho_object, o.odoo_model) IS DISTINCT FROM (nw.company_id, nw.instance_id, nw.zoho_app, nw.zoho_object, nw.odoo_model)
                ) t GROUP BY c, i, k HAVING sum(d) <> 0;
            END IF;
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER bindings_tally_insert AFTER INSERT ON bindings REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_bindings()",
        "CREATE TRIGGER bindings_tally_update AFTER UPDATE ON bindings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_bindings()",
        "CREATE TRIGGER bindings_tally_delete AFTER DELETE ON bindings REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_bindings()",
        """
        CREATE FUNCTION zoho_sidecar_tally_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO tallies SELECT 'webhooks', company_id, instance_id, app || '/' || verdict, received_at / 60000000, count(*) FROM new_rows GROUP BY 2, 3, 4, 5;
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER webhook_events_tally AFTER INSERT ON webhook_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zoho_sidecar_tally_webhooks()",
    ]
}
