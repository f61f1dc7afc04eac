// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "zoho-sidecar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zoho-sidecar", targets: ["SidecarCLI"]),
        .executable(name: "zoho-sim", targets: ["ZohoSim"]),
        .executable(name: "odoo-standin", targets: ["OdooStandInServer"]),
        // The modules, for the packages beside this one (Fuzz/, Benchmarks/) that drive them in-process.
        .library(
            name: "SidecarKit",
            targets: ["Core", "Store", "Queue", "OdooRPC", "ZohoAPI", "Sync", "Webhooks", "Monitoring", "RPCModels", "Server", "LeakChecks"]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Ids, JSON values, errors, secret masking: shared by everything, depends on nothing of ours.
        .target(
            name: "Core",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // One store interface, two engines (SQLite via SQLiteNIO, PostgreSQL via PostgresNIO), migrations.
        .target(
            name: "Store",
            dependencies: [
                "Core",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The durable job queue: enqueue, claim (SKIP LOCKED), workers, backoff, leases and rescue.
        .target(name: "Queue", dependencies: ["Core", "Store"]),
        // Zoho: data centres, OAuth2 and the token keeper, the API client with limits, error classification.
        .target(
            name: "ZohoAPI",
            dependencies: [
                "Core", "Store", "Queue",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // libxml2, the XML parser Foundation's XMLParser wraps, called directly: XMLParser on Linux leaks
        // memory for every malformed document and reads some malformed ones as parsed.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // Odoo's wire format: the JSON-RPC envelope, error shape, and the client to Odoo.
        .target(
            name: "OdooRPC",
            dependencies: [
                "Core",
                "CLibXML2",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The sync engine: job kinds and payloads, mappings, push / pull / reconcile.
        .target(
            name: "Sync",
            dependencies: [
                "Core", "Store", "Queue", "ZohoAPI", "OdooRPC",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // A small Odoo for CI (res.partner over /jsonrpc and JSON-2), where a real one cannot run.
        .target(
            name: "OdooStandIn",
            dependencies: [
                "Core", "OdooRPC",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The webhook gateway: proof of origin, parsing, dedup, burst limits, group-committed enqueue.
        .target(
            name: "Webhooks",
            dependencies: [
                "Core", "Store", "Queue", "ZohoAPI", "Sync",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // What operators watch: dashboard figures from the store's tallies, the Prometheus export.
        .target(
            name: "Monitoring",
            dependencies: [
                "Core", "Store",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The models the sidecar exposes over Odoo's RPC: field metadata, domains → SQL, company access.
        .target(name: "RPCModels", dependencies: ["Core", "Store", "OdooRPC", "Queue", "ZohoAPI", "Sync", "Monitoring"]),
        // HTTP transport: /jsonrpc, /json/2, health.
        .target(
            name: "Server",
            dependencies: [
                "Core", "Store", "RPCModels", "OdooRPC", "Queue", "ZohoAPI", "Webhooks", "Sync", "Monitoring",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The offline Zoho: accounts, CRM, Books, notifications, faults. Depends on nothing above but Core.
        .target(
            name: "Simulator",
            dependencies: [
                "Core",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What no error message may say (store errors, Swift internals): the properties the tests and fuzzers check.
        .target(name: "LeakChecks"),
        .executableTarget(
            name: "SidecarCLI",
            dependencies: [
                "Core", "Store", "RPCModels", "Server", "Queue", "Monitoring", "ZohoAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ZohoSim",
            dependencies: [
                "Simulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The stand-in as a process, for scripts/bench-sync.
        .executableTarget(
            name: "OdooStandInServer",
            dependencies: [
                "Core", "OdooStandIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "SidecarTests",
            dependencies: [
                "Core", "Store", "RPCModels", "Server", "OdooRPC", "Simulator", "Queue", "ZohoAPI", "Webhooks", "Sync", "OdooStandIn", "Monitoring",
                "LeakChecks",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "Core", "Simulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
