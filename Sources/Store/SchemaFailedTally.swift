/// The `failed_jobs` tally: the jobs failed now, per minute of their failure (`failed_at`).
///
/// `job_outcomes` counts failures as they happen, so a job that fails, is retried by hand and fails
/// again counts twice, and a failed job that is requeued and then done still counts: it cannot match
/// the list of failed jobs. This count follows the rows instead: +1 at the failure's minute when a
/// job turns failed, -1 at that same minute when it stops being failed (retried, requeued, purged).
/// Summed from a minute on, it is exactly the failed jobs whose `failed_at` is at or after that minute.
extension Schema {
    /// A failed job's minute; a failed job without `failed_at` (none today) counts at minute 0, outside
    /// every window, as the list filtered on `date_failed` leaves it out too.
    static func failedMinute(_ row: String) -> String {
        "coalesce(\(row).failed_at / 60000000, 0)"
    }

    static func failedChanged(old: String, new: String) -> String {
        "(\(old).state, \(old).failed_at, \(old).kind, \(old).instance_id, \(old).company_id)"
            + " IS DISTINCT FROM (\(new).state, \(new).failed_at, \(new).kind, \(new).instance_id, \(new).company_id)"
    }

    static let failedTallyFill =
        "INSERT INTO tallies SELECT 'failed_jobs', company_id, coalesce(instance_id, 0), kind, \(failedMinute("jobs")), count(*) FROM jobs"
        + " WHERE state = 'failed' GROUP BY company_id, coalesce(instance_id, 0), kind, \(failedMinute("jobs"))"

    static let sqliteFailedTally: [String] = [
        """
        CREATE TRIGGER jobs_tally_failed_insert AFTER INSERT ON jobs WHEN new.state = 'failed' BEGIN
            INSERT INTO tallies VALUES ('failed_jobs', new.company_id, coalesce(new.instance_id, 0), new.kind, \(failedMinute("new")), 1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER jobs_tally_failed_delete AFTER DELETE ON jobs WHEN old.state = 'failed' BEGIN
            INSERT INTO tallies VALUES ('failed_jobs', old.company_id, coalesce(old.instance_id, 0), old.kind, \(failedMinute("old")), -1) \(tallyConflict);
        END
        """,
        """
        CREATE TRIGGER jobs_tally_failed_update AFTER UPDATE OF state, failed_at, kind, instance_id, company_id ON jobs
        WHEN (old.state = 'failed' OR new.state = 'failed')
          AND (old.state IS NOT new.state OR old.failed_at IS NOT new.failed_at OR old.kind IS NOT new.kind
            OR old.instance_id IS NOT new.instance_id OR old.company_id IS NOT new.company_id) BEGIN
            INSERT INTO tallies SELECT 'failed_jobs', old.company_id, coalesce(old.instance_id, 0), old.kind, \(failedMinute("old")), -1
                WHERE old.state = 'failed' \(tallyConflict);
            INSERT INTO tallies SELECT 'failed_jobs', new.company_id, coalesce(new.instance_id, 0), new.kind, \(failedMinute("new")), 1
                WHERE new.state = 'failed' \(tallyConflict);
        END
        """,
    ]

    /// Added to the jobs' statement trigger function (`postgresJobsTally`) rather than a trigger of its
    /// own: every statement on jobs (claims, finishing) would fire a second one. Most statements touch no
    /// failed row: they cost a scan of the statement's own rows, no join.
    static let postgresFailedTally: [String] = [
        postgresJobsTally(
            "CREATE OR REPLACE FUNCTION",
            more: JobsTallyParts(
                insert: """
                    INSERT INTO tallies SELECT 'failed_jobs', company_id, coalesce(instance_id, 0), kind, \(failedMinute("new_rows")), count(*)
                      FROM new_rows WHERE state = 'failed' GROUP BY 2, 3, 4, 5;
                    """,
                delete: """
                    INSERT INTO tallies SELECT 'failed_jobs', company_id, coalesce(instance_id, 0), kind, \(failedMinute("old_rows")), -count(*)
                      FROM old_rows WHERE state = 'failed' GROUP BY 2, 3, 4, 5;
                    """,
                update: """
                    IF EXISTS (SELECT 1 FROM old_rows WHERE state = 'failed') OR EXISTS (SELECT 1 FROM new_rows WHERE state = 'failed') THEN
                        INSERT INTO tallies SELECT 'failed_jobs', c, i, k, m, sum(d) FROM (
                            SELECT o.company_id AS c, coalesce(o.instance_id, 0) AS i, o.kind AS k, \(failedMinute("o")) AS m, -1 AS d
                              FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                             WHERE o.state = 'failed' AND \(failedChanged(old: "o", new: "nw"))
                            UNION ALL
                            SELECT nw.company_id, coalesce(nw.instance_id, 0), nw.kind, \(failedMinute("nw")), 1
                              FROM old_rows o JOIN new_rows nw ON nw.id = o.id
                             WHERE nw.state = 'failed' AND \(failedChanged(old: "o", new: "nw"))
                        ) t GROUP BY c, i, k, m HAVING sum(d) <> 0;
                    END IF;
                    """
            )
        )
    ]
}
