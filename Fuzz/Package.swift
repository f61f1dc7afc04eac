// swift-tools-version:6.1
import PackageDescription

// libFuzzer harnesses, one executable per parser that faces the network. A package of its own so
// that the main build never compiles them; scripts/fuzz builds it with -sanitize=fuzzer,address.
let package = Package(
    name: "zoho-sidecar-fuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fuzz-json", targets: ["FuzzJSON"]),
        .executable(name: "fuzz-domain", targets: ["FuzzDomain"]),
        .executable(name: "fuzz-webhook", targets: ["FuzzWebhook"]),
        .executable(name: "fuzz-xmlrpc", targets: ["FuzzXMLRPC"]),
        .executable(name: "fuzz-oauth", targets: ["FuzzOAuth"]),
    ],
    dependencies: [
        .package(name: "zoho-sidecar", path: ".."),
        // For the URI type the OAuth callback's route reads its query from.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // libFuzzer's driver, for the harnesses' main (the toolchain's libFuzzer provides it).
        .systemLibrary(name: "CLibFuzzer"),
        // What every harness shares: its main, and `expect`, a crash when a property breaks.
        .target(name: "FuzzCheck", dependencies: ["CLibFuzzer"]),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzCheck", .product(name: "SidecarKit", package: "zoho-sidecar")]),
        .executableTarget(name: "FuzzDomain", dependencies: ["FuzzCheck", .product(name: "SidecarKit", package: "zoho-sidecar")]),
        .executableTarget(name: "FuzzWebhook", dependencies: ["FuzzCheck", .product(name: "SidecarKit", package: "zoho-sidecar")]),
        .executableTarget(name: "FuzzXMLRPC", dependencies: ["FuzzCheck", .product(name: "SidecarKit", package: "zoho-sidecar")]),
        .executableTarget(
            name: "FuzzOAuth",
            dependencies: [
                "FuzzCheck",
                .product(name: "SidecarKit", package: "zoho-sidecar"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
