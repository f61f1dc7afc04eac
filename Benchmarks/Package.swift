// swift-tools-version:6.1
import PackageDescription

// In-process micro-benchmarks (ordo-one's `benchmark`), a package of its own so that the main build
// and CI never build them. Run them with scripts/bench-micro.
let package = Package(
    name: "zoho-sidecar-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "zoho-sidecar", path: ".."),
        // MallocInterposer alone: the malloc counts on Swift 6.3 without jemalloc, and without the default
        // RuntimeInterposer trait, whose package is not in the local copy (and ARC counts are not measured).
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The metrics and thresholds the suites share.
        .target(name: "Shared", dependencies: [.product(name: "Benchmark", package: "benchmark")], path: "Shared"),
        benchmark("JSONReader"),
        benchmark("DomainSQL"),
        benchmark("SyncMerge"),
    ],
    swiftLanguageModes: [.v6]
)

/// One suite: `Benchmarks/<name>/<name>.swift` with `let benchmarks = { ... }`, the package's convention.
func benchmark(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "Shared",
            .product(name: "SidecarKit", package: "zoho-sidecar"),
            .product(name: "Benchmark", package: "benchmark"),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
