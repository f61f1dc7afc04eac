import Core

/// Kinds every sidecar runs: `noop` (benchmarks, smoke tests of a deployment) and `sleep`
/// (payload `{"seconds": n}`: exercising leases, shutdown and rescue on a live sidecar).
public enum BuiltinHandlers {
    public static let all: [Handler] = [
        Handler(kind: "noop") { _ in nil },
        Handler(kind: "sleep") { context in
            let seconds = context.job.payload["seconds"]?.doubleValue ?? 1
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            return ["slept": .double(seconds)]
        },
    ]
}
