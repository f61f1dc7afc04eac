import Benchmark

/// What every micro-benchmark measures, and how far a figure may move before `baseline check` fails.
public enum Suite {
    /// Wall clock per operation, operations per second, and mallocs per operation.
    public static var metrics: [BenchmarkMetric] { [.wallClock, .throughput, .mallocCountTotal] }

    /// Tolerances in percent, from repeated runs of one build on the shared 2-core VM (docs/benchmarks.md).
    /// Wall clock is checked at p0, the fastest iteration (every iteration does the same work): it still
    /// moved up to 1.9x with the other sessions' builds and fuzzers, p50 as much and p90 up to 10x, so only
    /// a slowdown beyond 2x fails. Mallocs per operation were the same to the unit in every run: 1%.
    public static var thresholds: [BenchmarkMetric: BenchmarkThresholds] {
        [
            .wallClock: BenchmarkThresholds(relative: [.p0: 100]),
            // The inverse of wall clock: shown, not checked twice (a metric without an entry gets the package's 5%).
            .throughput: BenchmarkThresholds(),
            .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 1]),
        ]
    }

    /// One configuration for all: one operation per iteration (at least a few microseconds, well above
    /// the clock's cost), so that iterations are short enough for some to run without being preempted.
    public static func configuration() -> Benchmark.Configuration {
        Benchmark.Configuration(
            metrics: metrics,
            timeUnits: .microseconds,
            warmupIterations: 10,
            maxDuration: .seconds(2),
            maxIterations: 10_000,
            thresholds: thresholds
        )
    }
}
