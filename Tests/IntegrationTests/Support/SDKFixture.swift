import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import IoTHubDevice
import JSONCore
import Registry
import XCTest

/// An in-process hub on ephemeral ports plus what the device SDK tests need: products in each
/// registration mode, the SDK configuration pointing at the hub, temporary identity files.
final class SDKFixture: Sendable {
    let hub: TestHub
    let files: String

    private init(hub: TestHub, files: String) {
        self.hub = hub
        self.files = files
    }

    static func start(dataDirectory: String? = nil, configure: (inout HubConfiguration) -> Void = { _ in }) async throws -> SDKFixture {
        let files = NSTemporaryDirectory() + "sdk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        return SDKFixture(hub: try await TestHub.start(dataDirectory: dataDirectory, configure: configure), files: files)
    }

    func stop() async {
        await hub.stopAndRemove()
        try? FileManager.default.removeItem(atPath: files)
    }

    /// Reconnects quickly in tests.
    static let fastReconnect = ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), multiplier: 2, jitter: 0.2)

    /// The SDK configuration for this hub: TCP, or TLS on the MQTTS port trusting the hub CA.
    func configuration(tls: Bool = false, endpoint: RegistrationClient.Endpoint = .v2(.hmacSHA256)) async throws -> DeviceConfiguration {
        let caPEM = tls ? String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: hub.dataDirectory + "/ca/ca.cert.pem")), as: UTF8.self) : nil
        return DeviceConfiguration(
            registrationURL: try XCTUnwrap(URL(string: hub.httpURL)),
            registrationEndpoint: endpoint,
            mqttHost: "127.0.0.1",
            mqttPort: tls ? await hub.port(.mqtts) : await hub.port(.mqtt),
            useTLS: tls,
            trustedCAPEM: caPEM,
            reconnect: Self.fastReconnect
        )
    }

    enum RegistrationMode: Int64 {
        case off = 0, preCreated = 1, autoCreate = 2
    }

    /// A product (PSK or certificate) with dynamic registration in `mode`; returns its id and secret.
    func product(certificate: Bool = false, mode: RegistrationMode = .autoCreate, limit: Int64 = 100) async throws -> (id: String, secret: String) {
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string("sdk\(UInt32.random(in: 0...UInt32.max))")), ("ProductProperties", .object(["EncryptionType": .string(certificate ? "1" : "2")]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        // The secret comes with enabling registration; a product with registration off keeps the one it had.
        let enabled = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(mode == .off ? 2 : mode.rawValue)), ("RegisterLimit", .int(limit))]
        )
        let secret = try XCTUnwrap(enabled["ProductSecret"]?.stringValue)
        if mode == .off {
            try await hub.api.call("UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(0)), ("RegisterLimit", .int(limit))])
        }
        return (id, secret)
    }

    /// A fresh identity file for one unit.
    func identityFile(productId: String, secret: String?, name: String) throws -> FileIdentityStore {
        try FileIdentityStore.create(path: files + "/\(name).json", productId: productId, productSecret: secret, deviceName: name)
    }

    /// Registration attempts the hub audited for one device.
    func attempts(_ productId: String, _ name: String) async throws -> Int64 {
        let page = try await hub.api.call("DescribeRegistrationLogs", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return try XCTUnwrap(page["TotalCount"]?.int64Value)
    }

    /// Waits until the registry shows the device activated (the broker records the first login
    /// asynchronously after CONNACK).
    func waitUntilActivated(_ productId: String, _ name: String) async throws {
        for _ in 0..<500 {
            if try await hub.hub.registry.device(productId: productId, name: name).activated { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("\(productId)/\(name) never activated")
    }
}
