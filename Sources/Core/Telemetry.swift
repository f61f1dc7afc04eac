import CoreMetrics

/// The sidecar's own metrics, named once here so every part counts the same way. Backed by
/// swift-metrics: the server hands in a Prometheus factory (exported at `/metrics`), tests and
/// tools that export nothing use `.none`.
public struct Telemetry: Sendable {
    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) { self.factory = factory }

    public static let none = Telemetry(factory: NOOPMetricsHandler.instance)

    /// A job's attempt ended: `outcome` is done, failed, retry or waiting.
    public func jobFinished(kind: String, outcome: String, duration: Duration) {
        Counter(label: "zoho_sidecar_jobs_finished_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory).increment()
        Timer(label: "zoho_sidecar_job_duration_seconds", dimensions: [("kind", kind)], factory: factory).recordNanoseconds(duration.nanoseconds)
        if outcome == "retry" {
            Counter(label: "zoho_sidecar_job_retries_total", dimensions: [("kind", kind)], factory: factory).increment()
        }
    }

    /// A call to Zoho answered with `status` (0: no answer: timeout, connection lost).
    public func zohoCall(app: String, status: Int) {
        Counter(label: "zoho_sidecar_zoho_api_calls_total", dimensions: [("app", app), ("status", String(status))], factory: factory).increment()
        if status == 429 {
            Counter(label: "zoho_sidecar_zoho_rate_limited_total", dimensions: [("app", app)], factory: factory).increment()
        }
    }

    public func tokenRefresh(succeeded: Bool) {
        Counter(label: "zoho_sidecar_token_refreshes_total", dimensions: [("result", succeeded ? "ok" : "failed")], factory: factory).increment()
    }

    /// A webhook delivery's verdict (accepted, duplicate, unauthorized, rejected, limited, not_found, unavailable).
    public func webhook(verdict: String) {
        Counter(label: "zoho_sidecar_webhooks_total", dimensions: [("verdict", verdict)], factory: factory).increment()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
