import Core
import Prometheus
import Store
import Synchronization

/// `GET /metrics`: the counters and histograms the parts record through `Telemetry` as they work,
/// plus gauges read from the store's tallies at each scrape (jobs by state and kind, bindings, lag),
/// so every sidecar on one database reports the same queue.
public final class MetricsExport: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let store: any Store
    /// Label sets set at the last scrape: a count that disappeared is reported as 0, not left stale.
    private let lastSeen = Mutex<[String: Set<[String]>]>([:])

    public init(store: any Store) { self.store = store }

    public var telemetry: Telemetry { Telemetry(factory: PrometheusMetricsFactory(registry: registry)) }

    /// The text exposition format. The gauges are refreshed first; if the store does not answer,
    /// `zoho_sidecar_store_up` says so and the counters are still served.
    public func render() async -> String {
        do {
            let jobs = try await Tallies.read(store, metric: "jobs")
            let bindings = try await Tallies.read(store, metric: "bindings")
            let lag = try await DashboardStats.queueLag(store, now: Clock.now())
            setGauges(
                "zoho_sidecar_jobs",
                help: "Jobs in the store by instance, kind and state.",
                labels: ["instance", "kind", "state"],
                jobs.map { c in
                    let (kind, state) = DashboardStats.split(c.key)
                    return ([String(c.instanceID), kind, state], Double(c.n))
                }
            )
            setGauges(
                "zoho_sidecar_bindings",
                help: "Bindings by instance and mapping (app/object/Odoo model).",
                labels: ["instance", "mapping"],
                bindings.map { ([String($0.instanceID), $0.key], Double($0.n)) }
            )
            gauge("zoho_sidecar_queue_lag_seconds", "How long the most overdue pending job has waited past its due time.").set(to: lag)
            gauge("zoho_sidecar_store_up", "1 when the store answered this scrape.").set(to: 1)
        } catch {
            gauge("zoho_sidecar_store_up", "1 when the store answered this scrape.").set(to: 0)
        }
        return registry.emitToString()
    }

    private func setGauges(_ name: String, help: String, labels: [String], _ values: [([String], Double)]) {
        var summed: [[String]: Double] = [:]
        for (v, n) in values { summed[v, default: 0] += n }
        let stale = lastSeen.withLock { seen -> Set<[String]> in
            defer { seen[name] = Set(summed.keys) }
            return (seen[name] ?? []).subtracting(summed.keys)
        }
        for v in stale { summed[v] = 0 }
        for (v, n) in summed {
            gauge(name, help, labels: Array(zip(labels, v))).set(to: n)
        }
    }

    private func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }
}
