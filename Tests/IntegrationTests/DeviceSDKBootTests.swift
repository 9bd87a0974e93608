import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import IoTHubDevice
import JSONCore
import MQTTCore
import Registry
import XCTest

/// The device SDK's first boot against an in-process hub: dynamic registration in every mode, the
/// credential kept in the identity store, the MQTT connection with it, and each refusal as a typed error.
final class DeviceSDKBootTests: XCTestCase {
    var fixture: SDKFixture!
    var devices: [DeviceClient] = []

    override func setUp() async throws {
        fixture = try await SDKFixture.start()
    }

    override func tearDown() async throws {
        for device in devices { await device.disconnect() }
        await fixture.stop()
    }

    func boot(_ store: some DeviceIdentityStore, tls: Bool = false, endpoint: RegistrationClient.Endpoint = .v2(.hmacSHA256)) async throws -> DeviceClient {
        let device = try await DeviceClient.boot(store: store, configuration: try await fixture.configuration(tls: tls, endpoint: endpoint))
        devices.append(device)
        return device
    }

    /// The refusal a boot ends with.
    func refusal(_ store: some DeviceIdentityStore, file: StaticString = #filePath, line: UInt = #line) async throws -> RegistrationError? {
        do {
            let device = try await boot(store)
            XCTFail("booted \(device.identity.deviceName)", file: file, line: line)
            return nil
        } catch let error as RegistrationError {
            return error
        }
    }

    func testFirstBootRegistersStoresAndConnectsThenLaterBootsReuseTheCredential() async throws {
        let (productId, secret) = try await fixture.product()
        let store = try fixture.identityFile(productId: productId, secret: secret, name: "SN-0001")
        let device = try await boot(store)
        let connected = await device.mqtt.isConnected
        XCTAssertTrue(connected)
        let stored = try XCTUnwrap(try FileIdentityStore(path: store.path).load().credential)
        let registered = try await fixture.hub.hub.registry.device(productId: productId, name: "SN-0001")
        XCTAssertEqual(stored, .psk(try XCTUnwrap(registered.psk)), "the file holds the credential the hub issued")
        try await device.publishEvent(#"{"boot":1}"#)
        try await fixture.waitUntilActivated(productId, "SN-0001")
        await device.disconnect()
        let attemptsAfterFirstBoot = try await fixture.attempts(productId, "SN-0001")
        XCTAssertEqual(attemptsAfterFirstBoot, 1)

        // Reboot from the same file: no registration, same credential, connected.
        for _ in 0..<2 {
            let again = try await boot(FileIdentityStore(path: store.path))
            let reconnected = await again.mqtt.isConnected
            XCTAssertTrue(reconnected)
            await again.disconnect()
        }
        let attempts = try await fixture.attempts(productId, "SN-0001")
        XCTAssertEqual(attempts, 1, "a stored credential is reused, never registered again")
        XCTAssertEqual(try FileIdentityStore(path: store.path).load().credential, stored)
    }

    func testCertificateProductGetsACertificateAndConnectsOverTLS() async throws {
        let (productId, secret) = try await fixture.product(certificate: true)
        let store = InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: "cert-1")
        let device = try await boot(store, tls: true)
        guard case .certificate(let certificatePEM, let keyPEM)? = try store.load().credential else {
            return XCTFail("expected a certificate credential")
        }
        XCTAssertTrue(certificatePEM.contains("BEGIN CERTIFICATE"))
        XCTAssertTrue(keyPEM.contains("PRIVATE KEY"))
        // A round trip over TLS with the device certificate: data comes back to the device.
        try await device.mqtt.subscribe(device.topics.data, qos: .atLeastOnce)
        let messages = StreamCollector(device.messages)
        try await device.publishData("over-tls")
        let echoed = try await messages.next { $0.topic == device.topics.data }
        XCTAssertEqual(echoed.text, "over-tls")
        try await fixture.waitUntilActivated(productId, "cert-1")
    }

    func testPSKDeviceOverTLSAndBothOtherRegistrationSignatures() async throws {
        let (productId, secret) = try await fixture.product()
        let overTLS = try await boot(InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: "tls-psk"), tls: true)
        let connected = await overTLS.mqtt.isConnected
        XCTAssertTrue(connected)
        for (name, endpoint) in [("legacy-1", RegistrationClient.Endpoint.legacy), ("sha1-1", .v2(.hmacSHA1))] {
            let store = InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: name)
            let device = try await boot(store, endpoint: endpoint)
            let registered = try await fixture.hub.hub.registry.device(productId: productId, name: name)
            XCTAssertEqual(try store.load().credential, .psk(try XCTUnwrap(registered.psk)), name)
            let isConnected = await device.mqtt.isConnected
            XCTAssertTrue(isConnected, name)
        }
    }

    func testPreCreatedModeServesKnownNamesAndRefusesOthers() async throws {
        let (productId, secret) = try await fixture.product(mode: .preCreated)
        let created = try await fixture.hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("known-1"))])
        let psk = try XCTUnwrap(created["DevicePsk"]?.stringValue)
        let store = InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: "known-1")
        _ = try await boot(store)
        XCTAssertEqual(try store.load().credential, .psk(psk))
        let unknown = try await refusal(InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: "unknown-1"))
        XCTAssertEqual(unknown?.refusal, .deviceNotFound)
        XCTAssertEqual(unknown?.serverCode, "ResourceNotFound.DeviceNotExist")
    }

    func testRegisterLimitIsATypedRefusal() async throws {
        let (productId, secret) = try await fixture.product(limit: 2)
        for name in ["lim-1", "lim-2"] {
            _ = try await boot(InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: name))
        }
        let third = InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: "lim-3")
        let error = try await refusal(third)
        XCTAssertEqual(error?.refusal, .registerLimitReached)
        XCTAssertNil(try third.load().credential, "nothing stored on refusal")
        XCTAssertFalse(error?.requiresOperatorReset ?? true)
    }

    /// Each refusal the SDK can provoke reaches it as its typed error.
    func testEveryRefusalArrivesTyped() async throws {
        let hub = fixture.hub
        let (productId, secret) = try await fixture.product(mode: .preCreated)
        let wrongSecret = String(secret.dropLast()) + (secret.hasSuffix("A") ? "B" : "A")
        try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("disabled-1"))])
        try await hub.api.call("UpdateDeviceAvailableState", [("ProductId", .string(productId)), ("DeviceName", .string("disabled-1")), ("EnableState", .int(0))])
        let (offId, offSecret) = try await fixture.product(mode: .off)
        let (forbiddenId, forbiddenSecret) = try await fixture.product()
        try await hub.api.call("SetProductsForbiddenStatus", [("ProductId", .array([.string(forbiddenId)])), ("Status", .int(1))])

        let cases: [(String, String, String, RegistrationRefusal)] = [
            (productId, wrongSecret, "any-1", .signatureMismatch),
            ("ZZZZZZZZZZ", secret, "any-1", .productNotFound),
            (offId, offSecret, "any-1", .registrationDisabled),
            (forbiddenId, forbiddenSecret, "any-1", .productDisabled),
            (productId, secret, "disabled-1", .deviceDisabled),
            (productId, secret, "bad+name", .invalidRequest),
        ]
        for (product, productSecret, name, expected) in cases {
            let error = try await refusal(InMemoryIdentityStore(productId: product, productSecret: productSecret, deviceName: name))
            XCTAssertEqual(error?.refusal, expected, "\(product)/\(name): \(String(describing: error))")
            XCTAssertEqual(error?.serverCode, expected.v2Code)
            XCTAssertFalse(error?.message.isEmpty ?? true)
        }

        // Replay protection (off by default): the same nonce and timestamp twice.
        let (replayId, replaySecret) = try await fixture.product()
        try await hub.api.call("UpdateProductRegistrationPolicy", [("ProductId", .string(replayId)), ("ReplayProtection", .bool(true))])
        let client = RegistrationClient(baseURL: try XCTUnwrap(URL(string: hub.httpURL)))
        let now = UInt64(Date().timeIntervalSince1970)
        _ = try await client.register(productId: replayId, productSecret: replaySecret, deviceName: "replay-1", nonce: 4242, timestamp: now)
        do {
            _ = try await client.register(productId: replayId, productSecret: replaySecret, deviceName: "replay-1", nonce: 4242, timestamp: now)
            XCTFail("a replayed request was served")
        } catch {
            XCTAssertEqual(error.refusal, .nonceReplayed)
            XCTAssertTrue(error.isTransient)
        }
    }

    /// A device that lost its credential after activation: the hub refuses, the error says an operator
    /// must reset it; after the reset the same boot succeeds with a new credential.
    func testLostCredentialAfterActivationNeedsAnOperatorReset() async throws {
        let (productId, secret) = try await fixture.product()
        let store = try fixture.identityFile(productId: productId, secret: secret, name: "lost-1")
        let first = try await boot(store)
        try await fixture.waitUntilActivated(productId, "lost-1")
        await first.disconnect()
        let oldCredential = try store.load().credential
        try store.removeCredential()

        let error = try await refusal(store)
        XCTAssertEqual(error?.refusal, .deviceAlreadyActivated)
        XCTAssertTrue(error?.requiresOperatorReset ?? false)
        XCTAssertTrue(error?.description.contains("an operator must reset") ?? false, "\(String(describing: error))")

        try await fixture.hub.api.call("ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string("lost-1"))])
        let renewed = try await boot(store)
        let connected = await renewed.mqtt.isConnected
        XCTAssertTrue(connected)
        let newCredential = try XCTUnwrap(try store.load().credential)
        XCTAssertNotEqual(newCredential, oldCredential)
    }

    /// An operator reset while the device kept its old credential: the broker refuses it (CONNACK 4), the
    /// boot registers once more and connects with the new credential.
    func testStaleCredentialIsRenewedByRegisteringAgain() async throws {
        let (productId, secret) = try await fixture.product()
        let store = try fixture.identityFile(productId: productId, secret: secret, name: "stale-1")
        let first = try await boot(store)
        try await fixture.waitUntilActivated(productId, "stale-1")
        await first.disconnect()
        let stale = try store.load().credential
        try await fixture.hub.api.call("ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string("stale-1"))])

        let renewed = try await boot(store)
        let connected = await renewed.mqtt.isConnected
        XCTAssertTrue(connected)
        let current = try store.load().credential
        XCTAssertNotEqual(current, stale)
        let registered = try await fixture.hub.hub.registry.device(productId: productId, name: "stale-1")
        XCTAssertEqual(current, .psk(try XCTUnwrap(registered.psk)))

        // With the renewal turned off, the stale credential's refusal is what the caller gets.
        try await fixture.hub.api.call("ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string("stale-1"))])
        await renewed.disconnect()
        var configuration = try await fixture.configuration()
        configuration.reregisterOnRejectedCredential = false
        do {
            let device = try await DeviceClient.boot(store: store, configuration: configuration)
            devices.append(device)
            XCTFail("connected with a reset credential")
        } catch let refusal as MQTTConnectRefusal {
            XCTAssertEqual(refusal, .badUsernameOrPassword)
        }
    }

    func testAnIdentityWithoutProductSecretCannotRegister() async throws {
        let (productId, _) = try await fixture.product()
        do {
            _ = try await boot(InMemoryIdentityStore(productId: productId, productSecret: nil, deviceName: "nosecret"))
            XCTFail("booted without a secret or credential")
        } catch let error as RegistrationError {
            XCTAssertEqual(error.kind, .missingProductSecret)
        }
    }

    /// The README's minimal firmware against the hub: it registers, reports its version, publishes, and
    /// answers a shadow delta the way the example says.
    func testTheReadmeFirmwareExampleRuns() async throws {
        let (productId, secret) = try await fixture.product()
        let (device, tasks) = try await readmeFirmwareExample(
            identityPath: fixture.files + "/device_info.json", productId: productId, productSecret: secret,
            serialNumber: { "SN-README" }, hubURL: fixture.hub.httpURL, mqttHost: "127.0.0.1",
            mqttPort: await fixture.hub.port(.mqtt), firmwarePath: fixture.files + "/fw.bin", flash: { _ in }
        )
        devices.append(device)
        defer { for task in tasks { task.cancel() } }
        let registered = try await fixture.hub.hub.registry.device(productId: productId, name: "SN-README")
        XCTAssertEqual(registered.firmwareVersion, "1.0.0")
        XCTAssertEqual(try FileIdentityStore(path: fixture.files + "/device_info.json").load().credential, .psk(try XCTUnwrap(registered.psk)))
        try await fixture.hub.api.call(
            "UpdateDeviceShadow",
            [("ProductId", .string(productId)), ("DeviceName", .string("SN-README")), ("State", .string(#"{"desired":{"mode":"eco"}}"#)), ("ShadowVersion", .int(0))]
        )
        // The example's delta handler reports the value and clears desired.
        var shadow: ShadowDocument?
        for _ in 0..<500 {
            shadow = try await device.getShadow()
            if shadow?.reported["mode"] == "eco", shadow?.desired.isEmpty == true { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(shadow?.reported["mode"], "eco")
        XCTAssertEqual(shadow?.desired.isEmpty, true)
    }
}
