// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // A warning in the package's own code fails the build (dependencies keep their warnings to themselves).
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "iothub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "iothub", targets: ["iothub"]),
        .executable(name: "iothub-device", targets: ["iothub-device"]),
        .library(name: "DeviceAuth", targets: ["DeviceAuth"]),
        .library(name: "JSONCore", targets: ["JSONCore"]),
        .library(name: "CloudAPI", targets: ["CloudAPI"]),
        .library(name: "IoTHubDevice", targets: ["IoTHubDevice"]),
        .library(name: "HubServer", targets: ["HubServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: pure leaf modules (no I/O)
        .target(
            name: "DeviceAuth",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // JSON values with member order kept, parser and serializer: shared by the device SDK, the device
        // services and the management API.
        .target(
            name: "JSONCore",
            dependencies: [
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CloudAPI",
            dependencies: [
                "JSONCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Counts by label in time buckets over a rolling window (the console's overview: registrations per
        // minute by refusal reason, MQTT publishes per second and per minute); no I/O, no dependencies.
        .target(name: "HubStatistics", swiftSettings: swiftSettings),
        .target(
            name: "DeviceServices",
            dependencies: ["JSONCore", "DeviceAuth"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Registry",
            dependencies: [
                "DeviceAuth", "HubStatistics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MQTTCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BrokerCore",
            dependencies: [
                "MQTTCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: drivers and services
        .target(
            name: "MQTTServer",
            dependencies: [
                "BrokerCore", "MQTTCore", "CPollShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistrySQLite",
            dependencies: [
                "Registry", "DeviceAuth",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The registry's stores on PostgreSQL (issue 16): the cluster's shared registry, records as columns.
        .target(
            name: "RegistryPostgres",
            dependencies: [
                "Registry", "DeviceAuth",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BrokerPostgres",
            dependencies: [
                "BrokerCore", "MQTTCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BrokerSQLite",
            dependencies: [
                "BrokerCore", "MQTTCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubCA",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubHTTP",
            dependencies: [
                "CloudAPI", "JSONCore", "DeviceAuth", "Registry", "HubCA", "DeviceServices", "HubStatistics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The operator web console (`/console` on the management listener): server-rendered pages over the
        // management actions, operators with bcrypt passwords, sessions, CSRF tokens, the operator audit.
        .target(
            name: "HubConsole",
            dependencies: [
                "HubHTTP", "Registry", "JSONCore", "DeviceAuth", "CloudAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubServer",
            dependencies: [
                "HubHTTP", "HubConsole", "Registry", "RegistrySQLite", "RegistryPostgres", "NATSClient", "NATSCore", "BrokerSQLite", "BrokerPostgres", "HubCA", "CloudAPI", "JSONCore", "MQTTServer", "BrokerCore", "DeviceAuth", "MQTTCore", "DeviceServices", "HubStatistics",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "IoTHubDevice",
            dependencies: [
                "DeviceAuth", "MQTTCore", "JSONCore", "DeviceServices",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "iothub",
            dependencies: [
                "HubServer", "HubConsole", "Registry", "CloudAPI", "JSONCore", "DeviceAuth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "iothub-device",
            dependencies: [
                "IoTHubDevice", "DeviceAuth", "DeviceServices", "JSONCore", "MQTTCore",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "iothub-bench",
            dependencies: [
                "DeviceAuth", "CloudAPI", "JSONCore", "MQTTCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Heap allocation counts of the codec and the subscription tree (issue 6); the C target interposes
        // malloc and is linked into this executable only.
        .target(name: "CAllocationCounter", cSettings: [.treatAllWarnings(as: .error)]),
        .target(name: "CPollShims", cSettings: [.treatAllWarnings(as: .error)]),
        .executableTarget(
            name: "iothub-alloc-bench",
            dependencies: [
                "CAllocationCounter", "MQTTCore", "BrokerCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HubTesting",
            dependencies: [
                "HubServer", "MQTTServer", "CloudAPI", "JSONCore", "DeviceAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: tests
        // Pure NATS protocol logic (parser, encoder, subjects, headers): the cluster's bus, no I/O.
        .target(name: "NATSCore", dependencies: ["JSONCore"], swiftSettings: swiftSettings),
        // A NATS client over SwiftNIO: connection state machine, reconnect, bounded subscriptions, requests.
        .target(
            name: "NATSClient",
            dependencies: [
                "NATSCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "NATSCoreTests", dependencies: ["NATSCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NATSClientTests",
            dependencies: ["NATSClient", "NATSCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Against a real nats-server the tests start on loopback (scripts/test installs Debian's nats-server).
        .testTarget(
            name: "NATSIntegrationTests",
            dependencies: [
                "NATSClient", "NATSCore", "HubTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DeviceAuthTests", dependencies: ["DeviceAuth"], swiftSettings: swiftSettings),
        .testTarget(name: "JSONCoreTests", dependencies: ["JSONCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CloudAPITests", dependencies: ["CloudAPI", "JSONCore", "DeviceAuth"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "RegistrySQLite", "DeviceAuth", "HubStatistics", .product(name: "SQLiteNIO", package: "sqlite-nio")],
            swiftSettings: swiftSettings
        ),
        // One suite over the store protocols, run for SQLite (a temporary file) and PostgreSQL (the throwaway server
        // scripts/postgres-test-server starts; IOTHUB_TEST_POSTGRES_URL).
        .testTarget(
            name: "RegistryStoreConformanceTests",
            dependencies: [
                "Registry", "RegistrySQLite", "RegistryPostgres", "DeviceAuth",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IoTHubDeviceTests",
            dependencies: ["IoTHubDevice", "DeviceAuth", "MQTTCore", "JSONCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "HubCATests", dependencies: ["HubCA"], swiftSettings: swiftSettings),
        .testTarget(name: "HubStatisticsTests", dependencies: ["HubStatistics"], swiftSettings: swiftSettings),
        .testTarget(name: "HubConsoleTests", dependencies: ["HubConsole"], swiftSettings: swiftSettings),
        .testTarget(name: "DeviceServicesTests", dependencies: ["DeviceServices", "JSONCore", "DeviceAuth"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BrokerCoreTests",
            dependencies: ["BrokerCore", "MQTTCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTCoreTests",
            dependencies: [
                "MQTTCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "HubTesting", "HubServer", "HubConsole", "CloudAPI", "JSONCore", "DeviceAuth", "IoTHubDevice", "Registry", "RegistrySQLite", "HubCA", "MQTTCore",
                "MQTTServer", "BrokerCore", "BrokerSQLite", "BrokerPostgres", "RegistryPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
