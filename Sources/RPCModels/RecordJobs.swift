import Core
import Queue
import Store
import Sync

extension RecordStatus {
    /// The sync jobs that touch Odoo records: pushes name them, pulls name the Zoho records they are linked to.
    enum Jobs {
        enum Target {
            case push(model: String, ids: [Int64])
            case pull(app: String, object: String, zohoIDs: [String])
        }

        struct Found {
            let id: Int64
            let instance: Int64
            let state: String
            let error: String?
            let date: Micros?
            let target: Target

            var json: JSONValue {
                [
                    "id": .int(id),
                    "state": .string(state),
                    "kind": .string(isPush ? "push" : "pull"),
                    "error": error.map { .string(Secrets.redact($0)) } ?? false,
                    "date": date.map { .string(Clock.odooString($0)) } ?? false,
                ]
            }

            var isPush: Bool {
                if case .push = target { return true }
                return false
            }
        }

        static let waiting = ["pending", "running", "waiting"]

        /// The latest job per record that is still to run, or that failed after the record's last sync on
        /// its instance (a failure a later sync made good is not shown).
        static func load(model: String, ids: [Int64], bindings: [Int64: [Links.Link]], env: Env, store: any Store) async throws -> [Int64: Found] {
            let jobs = try await candidates(model: model, pulls: bindings.values.flatMap { $0 }, states: waiting + ["failed"], env: env, store: store)
            var out: [Int64: Found] = [:]
            for id in ids {
                let links = bindings[id] ?? []
                let touching = jobs.filter { job in
                    guard touches(job, id: id, model: model, links: links) else { return false }
                    guard job.state == "failed" else { return true }
                    let synced = links.filter { $0.instance == job.instance }.compactMap(\.lastSync).max() ?? 0
                    return (job.date ?? 0) > synced
                }
                out[id] = touching.max { $0.id < $1.id }
            }
            return out
        }

        static func touches(_ job: Found, id: Int64, model: String, links: [Links.Link]) -> Bool {
            switch job.target {
            case .push(let jobModel, let jobIDs):
                return jobModel == model && jobIDs.contains(id)
            case .pull(let app, let object, let zohoIDs):
                return links.contains { $0.instance == job.instance && $0.app == app && $0.object == object && zohoIDs.contains($0.zohoID) }
            }
        }

        /// Push jobs of `model` (all pushes when nil), and pull jobs of the Zoho records `pulls` links to (all
        /// pulls when nil), in the given states and the caller's companies.
        static func candidates(model: String?, pulls: [Links.Link]?, states: [String], env: Env, store: any Store) async throws -> [Found] {
            var sql = SQL("SELECT id, instance_id, kind, state, payload, last_error, failed_at, eta FROM jobs WHERE ")
            sql.append(.isIn("state", states.map { .text($0) }) + RecordStatus.inCompanies(env))
            // Narrowings only (the payload is read below): the model's name appears in its pushes' payloads,
            // and a Zoho record's id in its pulls', so a form's status does not read every pull waiting.
            var push = SQL("kind = ?", [.text(SyncJobs.push)])
            if let model { push.append(SQL(" AND payload LIKE ?", [.text("%" + model + "%")])) }
            var pull = SQL("kind = ?", [.text(SyncJobs.pull)])
            if let pulls {
                let instances = Set(pulls.map(\.instance)).sorted().map { SQLValue.int($0) }
                let named = Set(pulls.map(\.zohoID)).sorted().map { SQL("payload LIKE ?", [.text("%" + $0 + "%")]) }
                pull =
                    named.isEmpty
                    ? SQL("1 = 0")
                    : pull + SQL(" AND ") + .isIn("instance_id", instances) + SQL(" AND (") + .joined(named, separator: " OR ") + SQL(")")
            }
            sql.append(SQL(" AND ((") + push + SQL(") OR (") + pull + SQL("))"))
            return try await store.query(sql + SQL(" ORDER BY id")).compactMap(found)
        }

        static func found(_ row: Row) -> Found? {
            guard let id = row["id"].int, let instance = row["instance_id"].int, let state = row["state"].text,
                let payload = row["payload"].text.flatMap({ try? JSONValue.parse($0) })
            else { return nil }
            let target: Target
            if row["kind"].text == SyncJobs.push {
                guard let model = payload["model"]?.stringValue else { return nil }
                target = .push(model: model, ids: payload["ids"]?.arrayValue?.compactMap(\.intValue) ?? [])
            } else {
                guard let app = payload["app"]?.stringValue, let object = payload["object"]?.stringValue else { return nil }
                target = .pull(app: app, object: object, zohoIDs: payload["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
            let date = state == "failed" ? row["failed_at"].int : row["eta"].int
            return Found(id: id, instance: instance, state: state, error: row["last_error"].text, date: date, target: target)
        }
    }
}
