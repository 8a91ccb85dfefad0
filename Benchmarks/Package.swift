// swift-tools-version:6.1
import PackageDescription

// Micro benchmarks, a package of their own so the main build and `make test` stay fast.
// Run: cd Benchmarks && swift package --disable-sandbox benchmark

// The main package's language settings, for the end-to-end load tools below.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "chorus-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        // End-to-end latency of the model gateway: an upstream that answers like a provider, and an open-loop
        // load generator. scripts/bench/llm-latency.sh runs them.
        .executable(name: "llm-upstream", targets: ["LLMUpstream"]),
        .executable(name: "llm-load", targets: ["LLMLoad"]),
    ],
    dependencies: [
        .package(name: "chorus", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
    ],
    targets: [
        .executableTarget(
            name: "PIIBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "SecurityHub", package: "chorus"),
            ],
            path: "Benchmarks/PIIBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "FlowBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "FlowEngine", package: "chorus"),
            ],
            path: "Benchmarks/FlowBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .target(
            name: "LLMLatencyShared",
            path: "LLMLatency/Shared",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "LLMUpstream",
            dependencies: [
                "LLMLatencyShared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "LLMLatency/Upstream",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "LLMLoad",
            dependencies: [
                "LLMLatencyShared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "LLMLatency/Load",
            swiftSettings: strictSettings
        ),
    ]
)
