import ArgumentParser
import Core
import Foundation
import Queue
import Server
import Store

/// `zoho-sidecar jobs …`: the queue's operations for operators, as tables or `--json`.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Inspect and operate the job queue.",
        subcommands: [List.self, Show.self, Retry.self, Cancel.self, RequeueFailed.self, Purge.self, Settings.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @Option(help: "Only jobs in this state.") var state: String?
        @Option(help: "Only jobs of this instance.") var instance: Int64?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "JSON instead of a table.") var json = false
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await withSidecar(options) { sidecar in
                var sql = SQL("SELECT id, state, kind, instance_id, attempts, max_attempts, eta, last_error FROM jobs WHERE 1=1")
                if let state { sql.append(" AND state = ?", .text(state)) }
                if let instance { sql.append(" AND instance_id = ?", .int(instance)) }
                sql.append(" ORDER BY id DESC LIMIT ?", .int(Int64(limit)))
                let rows = try await sidecar.store.query(sql)
                printRows(rows, json: json, columns: ["id", "state", "kind", "instance_id", "attempts", "max_attempts", "eta", "last_error"])
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything about one job (secrets masked).")
        @Argument var id: Int64
        @Flag(help: "JSON instead of lines.") var json = false
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await withSidecar(options) { sidecar in
                let rows = try await sidecar.store.query(SQL("SELECT * FROM jobs WHERE id = ?", [.int(id)]))
                guard let row = rows.first else { throw CLIError("no job \(id)") }
                if json { return printRows([row], json: true, columns: row.columns, single: true) }
                for (name, value) in zip(row.columns, row.values) {
                    print("\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(show(value, column: name))")
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Failed or cancelled jobs back to pending.")
        @Argument var ids: [Int64]
        @Flag(help: "JSON instead of a line.") var json = false
        @OptionGroup var options: SettingsOptions
        func run() async throws {
            try await withSidecar(options) { sidecar in
                report("retried", try await sidecar.queue.retry(ids), json: json)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending, waiting or failed jobs to cancelled.")
        @Argument var ids: [Int64]
        @Flag(help: "JSON instead of a line.") var json = false
        @OptionGroup var options: SettingsOptions
        func run() async throws {
            try await withSidecar(options) { sidecar in
                report("cancelled", try await sidecar.queue.cancel(ids), json: json)
            }
        }
    }

    struct RequeueFailed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "requeue-failed", abstract: "Every failed job back to pending.")
        @Option(help: "Only this instance's.") var instance: Int64?
        @Flag(help: "JSON instead of a line.") var json = false
        @OptionGroup var options: SettingsOptions
        func run() async throws {
            try await withSidecar(options) { sidecar in
                report("requeued", try await sidecar.queue.requeueFailed(instanceID: instance), json: json)
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete done and cancelled jobs older than N days.")
        @Option(help: "Age in days (default: the retention_days queue setting).") var days: Double?
        @Flag(help: "JSON instead of a line.") var json = false
        @OptionGroup var options: SettingsOptions
        func run() async throws {
            try await withSidecar(options) { sidecar in
                let retention = Double(try await QueueSettings.load(sidecar.store).retentionDays)
                report("purged", try await sidecar.queue.purge(olderThanDays: days ?? retention), json: json)
            }
        }
    }

    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show queue settings, or change them: jobs settings concurrency=8 lease_seconds=900."
        )
        @Argument(help: "key=value pairs to change.") var changes: [String] = []
        @OptionGroup var options: SettingsOptions
        func run() async throws {
            try await withSidecar(options) { sidecar in
                var settings = try await QueueSettings.load(sidecar.store)
                if !changes.isEmpty {
                    var values: [String: JSONValue] = [:]
                    for change in changes {
                        let kv = change.split(separator: "=", maxSplits: 1).map(String.init)
                        guard kv.count == 2 else { throw ValidationError("expected key=value, got \(change)") }
                        values[kv[0]] = (try? JSONValue.parse(kv[1])) ?? .string(kv[1])
                    }
                    do {
                        settings = try settings.merging(values)
                        try await settings.save(sidecar.store)
                    } catch let error as JobError {
                        throw ValidationError(error.message)
                    }
                }
                print(settings.json.serialized())
            }
        }
    }
}

func show(_ value: SQLValue, column: String) -> String {
    switch value {
    case .null: return "-"
    case .int(let i): return ["eta", "lease_until"].contains(column) || column.hasSuffix("_at") ? Clock.odooString(i) : String(i)
    case .double(let d): return String(d)
    case .text(let t): return Secrets.redact(t)
    case .blob: return "(sealed)"
    case .intArray, .textArray: return "(array)"
    }
}

/// "retried 3 job(s)", or {"retried": 3} with --json.
func report(_ verb: String, _ n: Int, json: Bool) {
    print(json ? JSONValue.object([verb: .int(Int64(n))]).serialized() : "\(verb) \(n) job(s)")
}

/// Rows as a table, or as a JSON list (one object with `single`), secrets masked either way.
func printRows(_ rows: [Row], json: Bool, columns: [String], single: Bool = false) {
    if json {
        let objects: [JSONValue] = rows.map { row in
            .object(
                Dictionary(
                    uniqueKeysWithValues: columns.map { c in
                        (
                            c,
                            { () -> JSONValue in
                                switch row[c] {
                                case .null: return .null
                                case .int(let i): return .int(i)
                                case .double(let d): return .double(d)
                                case .text(let t): return .string(Secrets.redact(t))
                                case .blob: return "(sealed)"
                                case .intArray, .textArray: return "(array)"
                                }
                            }()
                        )
                    }
                )
            )
        }
        print((single ? objects.first ?? .null : .array(objects)).serialized())
        return
    }
    let cells = rows.map { row in columns.map { String(show(row[$0], column: $0).prefix(60)) } }
    let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
    func line(_ values: [String]) -> String {
        zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }
    print(line(columns.map { $0.uppercased() }))
    for c in cells { print(line(c)) }
}
