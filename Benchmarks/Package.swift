// swift-tools-version:6.1
import PackageDescription

// Micro benchmarks, a package of their own so the main build and `make test` stay fast.
// Run: cd Benchmarks && swift package --disable-sandbox benchmark
let package = Package(
    name: "chorus-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "chorus", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
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
    ]
)
