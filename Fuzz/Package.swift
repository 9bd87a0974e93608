// swift-tools-version:6.1
// Coverage-guided fuzzing with libFuzzer (Linux): the MQTT codec, and the decoders behind the HTTP listeners
// (registration bodies and headers, the management API's request decoder, JSON and form parsing), and the NATS
// parser of the cluster's bus. A package of its own so the main package never builds it; `Sources/MQTTCore`,
// `Sources/JSONCore`, `Sources/CloudAPI`, `Sources/DeviceAuth` and `Sources/NATSCore` are symbolic links to the real modules. See README.md; `scripts/test` runs each fuzzer briefly.
import PackageDescription

let package = Package(
    name: "Fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "MQTTCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "JSONCore",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]
        ),
        .target(
            name: "CloudAPI",
            dependencies: ["JSONCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "DeviceAuth",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "NATSCore", dependencies: ["JSONCore"]),
        .target(name: "CFuzzEntry"),
        .executableTarget(
            name: "FuzzMQTTCodec",
            dependencies: ["MQTTCore", "CFuzzEntry", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzNATSParser",
            dependencies: ["NATSCore", "CFuzzEntry"]
        ),
        .executableTarget(
            name: "FuzzHTTPDecoders",
            dependencies: ["CloudAPI", "JSONCore", "DeviceAuth", "CFuzzEntry"]
        ),
    ]
)
