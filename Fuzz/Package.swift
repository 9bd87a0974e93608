// swift-tools-version:6.1
// Coverage-guided fuzzing of MQTTCore with libFuzzer (Linux). A package of its own so the main package never
// builds it; `Sources/MQTTCore` is a symbolic link to the real module. See README.md.
import PackageDescription

let package = Package(
    name: "Fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .target(
            name: "MQTTCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(name: "CFuzzEntry"),
        .executableTarget(
            name: "FuzzMQTTCodec",
            dependencies: ["MQTTCore", "CFuzzEntry", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
