import ArgumentParser
import AsyncHTTPClient
import Core
import Foundation
import Monitoring
import Server
import Store

/// `zoho-sidecar stats`: the dashboard's figures (get_dashboard_stats) from the store.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Jobs, outcomes, lag, webhooks and bindings, as the dashboard shows them."
    )
    @Flag(help: "JSON instead of tables.") var json = false
    @OptionGroup var options: SettingsOptions

    func run() async throws {
        let stats = try await withSidecar(options) { try await DashboardStats.compute($0.store) }
        if json {
            print(stats.serialized())
            return
        }
        let jobs = stats["jobs"] ?? [:]
        print("jobs      " + DashboardStats.states.map { "\($0) \(jobs[$0]?.intValue ?? 0)" }.joined(separator: "  "))
        for window in ["last_hour", "last_day"] {
            let w = stats[window] ?? [:]
            print(
                "\(window.replacingOccurrences(of: "_", with: " ").padding(toLength: 10, withPad: " ", startingAt: 0))done \(w["done"]?.intValue ?? 0)  failed \(w["failed"]?.intValue ?? 0)  retried \(w["retried"]?.intValue ?? 0)"
            )
        }
        let t = stats["throughput"] ?? [:]
        print(
            "throughput  \(t["done_last_minute"]?.intValue ?? 0) done in the last minute, \(t["done_per_minute_last_hour"]?.doubleValue ?? 0)/min over the hour"
        )
        print("queue lag   \(stats["queue_lag_seconds"]?.doubleValue ?? 0) s")
        let hooks = stats["webhooks"]?["last_day"]?.objectValue ?? [:]
        print(
            "webhooks    "
                + (hooks.isEmpty ? "none in the last day" : hooks.keys.sorted().map { "\($0) \(hooks[$0]?.intValue ?? 0)" }.joined(separator: "  "))
        )
        print("")
        let columns = ["id", "name", "state"] + DashboardStats.states + ["failed_24h"]
        table(
            columns,
            (stats["instances"]?.arrayValue ?? []).map { i in
                [String(i["instance_id"]?.intValue ?? 0), i["name"]?.stringValue ?? "", i["state"]?.stringValue ?? "-"]
                    + DashboardStats.states.map { String(i["jobs"]?[$0]?.intValue ?? 0) } + [String(i["last_day"]?["failed"]?.intValue ?? 0)]
            }
        )
        let bindings = stats["bindings"]?.arrayValue ?? []
        if !bindings.isEmpty {
            print("")
            table(
                ["instance", "app", "object", "odoo_model", "bindings"],
                bindings.map { b in
                    [
                        String(b["instance_id"]?.intValue ?? 0), b["app"]?.stringValue ?? "", b["object"]?.stringValue ?? "",
                        b["odoo_model"]?.stringValue ?? "",
                        String(b["count"]?.intValue ?? 0),
                    ]
                }
            )
        }
    }
}

/// `zoho-sidecar instances list|test|refresh`.
struct InstancesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instances",
        abstract: "Zoho instances: list, test the connection, refresh the token.",
        subcommands: [List.self, Test.self, Refresh.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every instance with its state and token expiry (never a secret).")
        @Flag(help: "JSON instead of a table.") var json = false
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            try await withSidecar(options) { sidecar in
                let rows = try await sidecar.store.query(
                    SQL(
                        "SELECT id, company_id, name, active, data_center, apps, state, token_expires_at, last_refresh_at, last_error FROM instances ORDER BY id"
                    )
                )
                printRows(
                    rows,
                    json: json,
                    columns: [
                        "id", "company_id", "name", "active", "data_center", "apps", "state", "token_expires_at", "last_refresh_at", "last_error",
                    ]
                )
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One cheap call per enabled app: reachability and latency. Exits 1 when an app fails."
        )
        @Argument var id: Int64
        @Flag(help: "JSON instead of lines.") var json = false
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            let result = try await withSidecar(options) { sidecar in
                do { return try await sidecar.zoho.testConnection(id) } catch { throw CLIError(Secrets.redact("\(error)")) }
            }
            let apps = result["apps"]?.objectValue ?? [:]
            if json {
                print(result.serialized())
            } else {
                for (app, r) in apps.sorted(by: { $0.key < $1.key }) {
                    let ok = r["ok"]?.boolValue == true
                    print("\(app): " + (ok ? "ok in \(r["latency_ms"]?.intValue ?? 0) ms" : "FAILED: \(r["message"]?.stringValue ?? "unreachable")"))
                }
            }
            if apps.values.contains(where: { $0["ok"]?.boolValue != true }) { throw ExitCode(1) }
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refresh the instance's access token now.")
        @Argument var id: Int64
        @Flag(help: "JSON instead of a line.") var json = false
        @OptionGroup var options: SettingsOptions

        func run() async throws {
            let instance = try await withSidecar(options) { sidecar in
                do {
                    let current = try await sidecar.zoho.instances.load(id)
                    return try await sidecar.zoho.keeper.refresh(id, rejected: current?.accessToken, validUntil: Int64.max)
                } catch {
                    throw CLIError(Secrets.redact("\(error)"))
                }
            }
            let expiry = instance.tokenExpiresAt.map(Clock.odooString) ?? "-"
            print(
                json
                    ? JSONValue.object(["id": .int(id), "state": .string(instance.state), "token_expires_at": .string(expiry)]).serialized()
                    : "instance \(id): \(instance.state), access token valid until \(expiry) UTC"
            )
        }
    }
}

/// `zoho-sidecar health`: asks a running sidecar's /readyz; exits 1 when it is not ready or not there.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Is the running sidecar ready? (its /readyz); exit status 1 when not."
    )
    @Option(help: "The sidecar's base URL (default http://<host>:<port> from the settings).") var url: String?
    @Flag(help: "JSON instead of lines.") var json = false
    @OptionGroup var options: SettingsOptions

    func run() async throws {
        let settings = try options.resolve()
        let base = url ?? "http://\(settings["host"] ?? "127.0.0.1"):\(settings["port"] ?? "8169")"
        var report: JSONValue
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/readyz"), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            report = (try? JSONValue.parse(body.readableBytesView)) ?? ["status": "error", "errors": ["/readyz answered something that is not JSON"]]
        } catch {
            report = ["status": "error", "errors": .array([.string("no sidecar answers at \(base): \(Secrets.redact("\(error)"))")])]
        }
        if json {
            print(report.serialized())
        } else {
            print("status: \(report["status"]?.stringValue ?? "?")")
            for key in ["store", "schema_version", "workers"] { if let v = report[key] { print("\(key): \(v.stringValue ?? v.serialized())") } }
            for e in report["errors"]?.arrayValue ?? [] { print("error: \(e.stringValue ?? "")") }
        }
        if report["status"] != "ok" { throw ExitCode(1) }
    }
}

func table(_ columns: [String], _ rows: [[String]]) {
    let widths = columns.indices.map { i in max(columns[i].count, rows.map { $0[i].count }.max() ?? 0) }
    func line(_ values: [String]) -> String {
        zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }
    print(line(columns.map { $0.uppercased() }))
    for r in rows { print(line(r)) }
}
