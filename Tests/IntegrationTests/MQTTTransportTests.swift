import CloudAPI
import DeviceAuth
import Foundation
import HubCA
import HubServer
import HubTesting
import IoTHubDevice
import JSONCore
import Registry
import XCTest

/// A hub on ephemeral loopback ports plus what the transport tests need around it: products and devices
/// made through the management API, PEM files for the external clients, the probe script.
final class TransportFixture: @unchecked Sendable {
    let hub: TestHub
    let files: URL
    let python: String?

    private init(hub: TestHub, files: URL, python: String?) {
        self.hub = hub
        self.files = files
        self.python = python
    }

    static func start(needsPython: Bool = true, dataDirectory: String? = nil) async throws -> TransportFixture {
        let python = needsPython ? try await ExternalTools.pythonWithPaho() : nil
        let files = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("mqtt-transport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let hub = try await TestHub.start(dataDirectory: dataDirectory)
        return TransportFixture(hub: hub, files: files, python: python)
    }

    func stop() async {
        await hub.stopAndRemove()
        try? FileManager.default.removeItem(at: files)
    }

    var caFile: String { hub.dataDirectory + "/ca/ca.cert.pem" }

    /// EncryptionType "1" certificate, "2" PSK.
    func createProduct(encryption: String, dynamicRegistration: Bool = false) async throws -> (id: String, secret: String?) {
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string("p\(UInt32.random(in: 0...UInt32.max))")), ("ProductProperties", .object(["EncryptionType": .string(encryption)]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        guard dynamicRegistration else { return (id, nil) }
        let dynreg = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(2)), ("RegisterLimit", .int(10))]
        )
        return (id, try XCTUnwrap(dynreg["ProductSecret"]?.stringValue))
    }

    struct CertificateFiles {
        var certificate: String
        var key: String
    }

    /// Writes a certificate and key as PEM files.
    func write(certificatePEM: String, keyPEM: String, name: String) throws -> CertificateFiles {
        let certificate = files.appendingPathComponent("\(name).crt")
        let key = files.appendingPathComponent("\(name).key")
        try certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        try keyPEM.write(to: key, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key.path)
        return CertificateFiles(certificate: certificate.path, key: key.path)
    }

    /// A device of a certificate product, with its certificate and key on disk.
    func createCertificateDevice(_ productId: String, _ name: String) async throws -> CertificateFiles {
        let created = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return try write(
            certificatePEM: try XCTUnwrap(created["DeviceCert"]?.stringValue),
            keyPEM: try XCTUnwrap(created["DevicePrivateKey"]?.stringValue),
            name: "\(productId)-\(name)-\(UUID().uuidString.prefix(6))"
        )
    }

    /// A device of a PSK product; returns its Base64 DeviceSecret.
    func createPSKDevice(_ productId: String, _ name: String) async throws -> String {
        let created = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return try XCTUnwrap(created["DevicePsk"]?.stringValue)
    }

    static func username(_ productId: String, _ name: String) -> String {
        DeviceUsername.make(productId: productId, deviceName: name, expiry: .never)
    }

    static func password(_ productId: String, _ name: String, psk: String, username: String) throws -> String {
        try MQTTPassword.make(username: username, devicePSK: psk, method: .hmacSHA256)
    }

    static func hex(ofBase64 psk: String) throws -> String {
        try XCTUnwrap(DeviceIdentifiers.pskKeyBytes(psk)).map { String(format: "%02x", $0) }.joined()
    }

    /// Runs `Tests/Python/mqtt_transport_probe.py` and returns its JSON answer.
    func probe(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        let python = try XCTUnwrap(python, "fixture started without Python", file: file, line: line)
        let script = ExternalTools.pythonScripts.appendingPathComponent("mqtt_transport_probe.py").path
        let result = try await ExternalTools.run(python, [script] + arguments, timeout: 60)
        return try XCTUnwrap(result.json, "probe printed no JSON: \(result.combined)", file: file, line: line)
    }

    /// A raw CONNECT over TLS (optionally with a client certificate); flags 0x82 when `password` is nil.
    func tlsConnect(
        clientId: String, username: String?, password: String? = nil, certificate: CertificateFiles? = nil, tls12: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws -> [String: Any] {
        var arguments = ["connect", "--port", "\(await hub.port(.mqtts))", "--client-id", clientId, "--cafile", caFile]
        if let username { arguments += ["--username", username] }
        if let password { arguments += ["--password", password] }
        if let certificate { arguments += ["--cert", certificate.certificate, "--key", certificate.key] }
        if tls12 { arguments.append("--tls12") }
        return try await probe(arguments, file: file, line: line)
    }

    /// A raw CONNECT over TLS-PSK through `openssl s_client`.
    func pskConnect(
        identity: String, keyHex: String, clientId: String, username: String?, password: String? = nil,
        cipher: String = "PSK-AES128-CBC-SHA", fragmentClientHello: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> [String: Any] {
        let openssl = try ExternalTools.executable("openssl", file: file, line: line)
        var arguments = [
            "connect", "--port", "\(await hub.port(.mqtts))", "--client-id", clientId, "--psk-identity", identity, "--psk-hex", keyHex,
            "--cipher", cipher, "--openssl", openssl, "--servername", "\(clientId.prefix(10)).iotcloud.tencentdevices.com",
        ]
        if let username { arguments += ["--username", username] }
        if let password { arguments += ["--password", password] }
        if fragmentClientHello { arguments.append("--fragment") }
        return try await probe(arguments, file: file, line: line)
    }
}

/// The CONNACK code of a probe answer, nil if there was none.
func connackCode(_ answer: [String: Any]) -> Int? {
    answer["result"] as? String == "connack" ? answer["code"] as? Int : nil
}

// MARK: - X.509 client certificates (device-protocol.md §5.7, §5.8)

/// Certificate devices on the MQTTS port with the certificate and key the hub issued them.
final class MQTTTransportCertificateTests: XCTestCase {
    var fixture: TransportFixture!

    override func setUp() async throws {
        fixture = try await TransportFixture.start()
    }

    override func tearDown() async throws {
        await fixture?.stop()
    }

    func testCertificateDeviceConnectsWithoutPassword() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        let files = try await fixture.createCertificateDevice(productId, "sensor1")
        let clientId = productId + "sensor1"
        let username = TransportFixture.username(productId, "sensor1")

        let answer = try await fixture.tlsConnect(clientId: clientId, username: username, certificate: files)
        XCTAssertEqual(connackCode(answer), 0, "\(answer)")
        XCTAssertEqual(answer["tls_version"] as? String, "TLSv1.3")
        // mbedTLS firmware speaks TLS 1.2.
        let tls12 = try await fixture.tlsConnect(clientId: clientId, username: username, certificate: files, tls12: true)
        XCTAssertEqual(connackCode(tls12), 0, "\(tls12)")
        XCTAssertEqual(tls12["tls_version"] as? String, "TLSv1.2")

        // The first login activated the device and erased the hub's copy of its private key.
        let device = try await fixture.hub.hub.registry.device(productId: productId, name: "sensor1")
        XCTAssertNotNil(device.firstOnlineTime)
        guard case .certificate(_, nil, _) = device.credential else { return XCTFail("private key kept: \(device.credential)") }
    }

    /// mosquitto_pub (libmosquitto + OpenSSL), the C reference client: --cert/--key, username, no password.
    func testMosquittoPublishesWithTheDeviceCertificate() async throws {
        let mosquittoPub = try ExternalTools.executable("mosquitto_pub")
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        let files = try await fixture.createCertificateDevice(productId, "pub1")
        let other = try await fixture.createCertificateDevice(productId, "pub2")
        let port = await fixture.hub.port(.mqtts)
        func publish(_ certificate: TransportFixture.CertificateFiles) async throws -> ExternalTools.Result {
            try await ExternalTools.run(
                mosquittoPub,
                [
                    "-h", "127.0.0.1", "-p", "\(port)", "--cafile", fixture.caFile, "--cert", certificate.certificate, "--key", certificate.key,
                    "-i", productId + "pub1", "-u", TransportFixture.username(productId, "pub1"), "-V", "mqttv311",
                    "-t", "\(productId)/pub1/event", "-m", "{\"temperature\":21}", "-q", "1", "-d",
                ],
                timeout: 30
            )
        }
        let accepted = try await publish(files)
        XCTAssertEqual(accepted.status, 0, accepted.combined)
        XCTAssertTrue(accepted.stdout.contains("received CONNACK (0)"), accepted.combined)
        XCTAssertTrue(accepted.stdout.contains("received PUBACK"), accepted.combined)

        let refused = try await publish(other)
        XCTAssertNotEqual(refused.status, 0, refused.combined)
        XCTAssertTrue(refused.stdout.contains("received CONNACK (5)"), refused.combined)
    }

    func testAnotherDevicesCertificateIsRefused() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        _ = try await fixture.createCertificateDevice(productId, "devA")
        let certificateB = try await fixture.createCertificateDevice(productId, "devB")
        let answer = try await fixture.tlsConnect(
            clientId: productId + "devA", username: TransportFixture.username(productId, "devA"), certificate: certificateB
        )
        XCTAssertEqual(connackCode(answer), 5, "\(answer)")

        // A certificate of another product's device with the same DeviceName: refused too.
        let (otherProduct, _) = try await fixture.createProduct(encryption: "1")
        let foreignProduct = try await fixture.createCertificateDevice(otherProduct, "devA")
        let crossProduct = try await fixture.tlsConnect(
            clientId: productId + "devA", username: TransportFixture.username(productId, "devA"), certificate: foreignProduct
        )
        XCTAssertEqual(connackCode(crossProduct), 5, "\(crossProduct)")
    }

    func testCertificateFromAForeignCAIsRefused() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        _ = try await fixture.createCertificateDevice(productId, "devF")
        // Another hub's CA issues a certificate with exactly this device's names.
        let foreignDirectory = fixture.files.appendingPathComponent("foreign-ca").path
        let foreignCA = try HubCA.loadOrCreate(directory: foreignDirectory)
        let issued = try foreignCA.issueDeviceCertificate(productId: productId, deviceName: "devF")
        let files = try fixture.write(certificatePEM: issued.certificatePEM, keyPEM: issued.privateKeyPEM, name: "foreign")
        for tls12 in [false, true] {
            let answer = try await fixture.tlsConnect(
                clientId: productId + "devF", username: TransportFixture.username(productId, "devF"), certificate: files, tls12: tls12
            )
            // The TLS layer already rejects it (the CA is not a trust root); CONNACK 0 would be a hole.
            XCTAssertEqual(answer["result"] as? String, "tls_error", "TLS 1.2 only: \(tls12): \(answer)")
            XCTAssertNotEqual(connackCode(answer), 0)
        }
    }

    func testResetRegistrationRevokesTheOldCertificate() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        let old = try await fixture.createCertificateDevice(productId, "devR")
        let clientId = productId + "devR"
        let username = TransportFixture.username(productId, "devR")
        let before = try await fixture.tlsConnect(clientId: clientId, username: username, certificate: old)
        XCTAssertEqual(connackCode(before), 0, "\(before)")

        let reset = try await fixture.hub.api.call("ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string("devR"))])
        let newCertificate = try XCTUnwrap(reset["DeviceCert"]?.stringValue)
        XCTAssertNotEqual(newCertificate, try String(contentsOfFile: old.certificate, encoding: .utf8))

        // Same CA, same names, still valid: only the serial check refuses it.
        let after = try await fixture.tlsConnect(clientId: clientId, username: username, certificate: old)
        XCTAssertEqual(connackCode(after), 5, "\(after)")

        let key = try await fixture.hub.api.call("DescribeDeviceClientKey", [("ProductId", .string(productId)), ("DeviceName", .string("devR"))])
        let renewed = try fixture.write(certificatePEM: newCertificate, keyPEM: try XCTUnwrap(key["ClientKey"]?.stringValue), name: "renewed")
        let withNew = try await fixture.tlsConnect(clientId: clientId, username: username, certificate: renewed)
        XCTAssertEqual(connackCode(withNew), 0, "\(withNew)")
    }

    func testDynamicallyRegisteredCertificateDeviceConnects() async throws {
        let (productId, secret) = try await fixture.createProduct(encryption: "1", dynamicRegistration: true)
        let client = RegistrationClient(baseURL: try XCTUnwrap(URL(string: fixture.hub.httpURL)))
        let credential = try await client.register(productId: productId, productSecret: try XCTUnwrap(secret), deviceName: "auto1")
        guard case .certificate(let certificatePEM, let privateKeyPEM) = credential else {
            return XCTFail("expected a certificate, got \(credential)")
        }
        let files = try fixture.write(certificatePEM: certificatePEM, keyPEM: privateKeyPEM, name: "auto1")
        let answer = try await fixture.tlsConnect(
            clientId: productId + "auto1", username: TransportFixture.username(productId, "auto1"), certificate: files
        )
        XCTAssertEqual(connackCode(answer), 0, "\(answer)")
    }

    func testCertificateDeviceWithoutCertificateIsRefused() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        _ = try await fixture.createCertificateDevice(productId, "devN")
        let answer = try await fixture.tlsConnect(
            clientId: productId + "devN", username: TransportFixture.username(productId, "devN"), password: "anything;hmacsha256"
        )
        XCTAssertEqual(connackCode(answer), 5, "\(answer)")
    }

    /// A key device without a client certificate: the password authenticates it over TLS as on TCP.
    func testPSKDevicePasswordOverTLS() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "keyed1")
        let clientId = productId + "keyed1"
        let username = TransportFixture.username(productId, "keyed1")
        let password = try TransportFixture.password(productId, "keyed1", psk: psk, username: username)

        let accepted = try await fixture.tlsConnect(clientId: clientId, username: username, password: password)
        XCTAssertEqual(connackCode(accepted), 0, "\(accepted)")
        let missing = try await fixture.tlsConnect(clientId: clientId, username: username)
        XCTAssertEqual(connackCode(missing), 4, "\(missing)")
        let wrong = try await fixture.tlsConnect(clientId: clientId, username: username, password: "00" + password.dropFirst(2))
        XCTAssertEqual(connackCode(wrong), 4, "\(wrong)")
        // A certificate device's certificate does not make a key device's connection.
        let (certProduct, _) = try await fixture.createProduct(encryption: "1")
        let certificate = try await fixture.createCertificateDevice(certProduct, "c1")
        let mixed = try await fixture.tlsConnect(clientId: clientId, username: username, password: password, certificate: certificate)
        XCTAssertEqual(connackCode(mixed), 5, "\(mixed)")
    }

    /// A whole session (paho-mqtt 3.1.1 over TLS with the device certificate): SUBSCRIBE, PUBLISH QoS 1,
    /// the message comes back.
    func testSessionOverTLSWithCertificate() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        let files = try await fixture.createCertificateDevice(productId, "loop1")
        let answer = try await fixture.probe([
            "session", "--port", "\(await fixture.hub.port(.mqtts))", "--client-id", productId + "loop1",
            "--client-id-topic", "\(productId)/loop1", "--username", TransportFixture.username(productId, "loop1"),
            "--cafile", fixture.caFile, "--cert", files.certificate, "--key", files.key, "--message", "over-tls",
        ])
        XCTAssertEqual(answer["result"] as? String, "ok", "\(answer)")
        XCTAssertEqual(answer["message"] as? String, "over-tls")
    }
}

// MARK: - TLS-PSK (device-protocol.md §5.6)

/// Key devices with TLS-PSK on the MQTTS port, driven by `openssl s_client` and mosquitto_pub (both
/// OpenSSL TLS-PSK clients, like the C SDK's mbedTLS one): TLS 1.2, PSK-AES128/256-CBC-SHA, identity =
/// ClientId, key = decoded DeviceSecret, CONNECT without password.
final class MQTTTransportPSKTests: XCTestCase {
    var fixture: TransportFixture!

    override func setUp() async throws {
        fixture = try await TransportFixture.start()
    }

    override func tearDown() async throws {
        await fixture?.stop()
    }

    func testTLSPSKDeviceConnectsWithoutPassword() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk1")
        let clientId = productId + "psk1"
        let username = TransportFixture.username(productId, "psk1")
        for cipher in ["PSK-AES128-CBC-SHA", "PSK-AES256-CBC-SHA"] {
            let answer = try await fixture.pskConnect(
                identity: clientId, keyHex: try TransportFixture.hex(ofBase64: psk), clientId: clientId, username: username, cipher: cipher
            )
            XCTAssertEqual(connackCode(answer), 0, "\(cipher): \(answer)")
        }
        let device = try await fixture.hub.hub.registry.device(productId: productId, name: "psk1")
        XCTAssertNotNil(device.firstOnlineTime, "the TLS-PSK login activates the device")
    }

    /// The server picks the TLS context from the ClientHello: one arriving a byte per TCP segment is
    /// buffered until its cipher list is complete.
    func testClientHelloInSmallSegments() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "frag1")
        let clientId = productId + "frag1"
        let answer = try await fixture.pskConnect(
            identity: clientId, keyHex: try TransportFixture.hex(ofBase64: psk), clientId: clientId,
            username: TransportFixture.username(productId, "frag1"), fragmentClientHello: true
        )
        XCTAssertEqual(connackCode(answer), 0, "\(answer)")
    }

    /// The session the handshake negotiates: TLS 1.2 with the PSK suite the client asked for.
    func testNegotiatedSuiteIsThePSKSuite() async throws {
        let openssl = try ExternalTools.executable("openssl")
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk2")
        let port = await fixture.hub.port(.mqtts)
        for (cipher, id) in [("PSK-AES128-CBC-SHA", "0x008C"), ("PSK-AES256-CBC-SHA", "0x008D")] {
            let result = try await ExternalTools.run(
                openssl,
                [
                    "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2", "-psk_identity", productId + "psk2",
                    "-psk", try TransportFixture.hex(ofBase64: psk), "-cipher", cipher, "-servername", "\(productId).iotcloud.tencentdevices.com",
                ],
                timeout: 30
            )
            XCTAssertTrue(result.stdout.contains("Cipher is \(cipher)"), "\(id): \(result.combined)")
            XCTAssertTrue(result.stdout.contains("Protocol  : TLSv1.2"), result.combined)
            XCTAssertTrue(result.stdout.contains("PSK identity: \(productId)psk2"), result.combined)
            XCTAssertTrue(result.stdout.contains("no peer certificate available"), result.combined)
        }
    }

    func testUnknownIdentityFailsTheHandshake() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk3")
        let keyHex = try TransportFixture.hex(ofBase64: psk)
        let answer = try await fixture.pskConnect(
            identity: productId + "nobody", keyHex: keyHex, clientId: productId + "psk3", username: TransportFixture.username(productId, "psk3")
        )
        XCTAssertEqual(answer["result"] as? String, "tls_error", "\(answer)")
        XCTAssertTrue((answer["stderr"] as? String ?? "").contains("unknown psk identity"), "\(answer)")

        // A certificate device has no PSK: its ClientId is an unknown identity too.
        let (certProduct, _) = try await fixture.createProduct(encryption: "1")
        _ = try await fixture.createCertificateDevice(certProduct, "c1")
        let certificateDevice = try await fixture.pskConnect(
            identity: certProduct + "c1", keyHex: keyHex, clientId: certProduct + "c1", username: TransportFixture.username(certProduct, "c1")
        )
        XCTAssertEqual(certificateDevice["result"] as? String, "tls_error", "\(certificateDevice)")
    }

    func testWrongKeyFailsTheHandshake() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk4")
        var key = try XCTUnwrap(DeviceIdentifiers.pskKeyBytes(psk))
        key[0] ^= 0xFF
        let answer = try await fixture.pskConnect(
            identity: productId + "psk4", keyHex: key.map { String(format: "%02x", $0) }.joined(), clientId: productId + "psk4",
            username: TransportFixture.username(productId, "psk4")
        )
        XCTAssertEqual(answer["result"] as? String, "tls_error", "\(answer)")
    }

    func testIdentityMustBeTheConnectClientId() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let pskA = try await fixture.createPSKDevice(productId, "pskA")
        _ = try await fixture.createPSKDevice(productId, "pskB")
        let answer = try await fixture.pskConnect(
            identity: productId + "pskA", keyHex: try TransportFixture.hex(ofBase64: pskA), clientId: productId + "pskB",
            username: TransportFixture.username(productId, "pskB")
        )
        XCTAssertEqual(connackCode(answer), 5, "\(answer)")
    }

    /// With TLS-PSK a password is optional; if one is sent it must be right.
    func testPasswordIsVerifiedIfPresent() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk5")
        let clientId = productId + "psk5"
        let username = TransportFixture.username(productId, "psk5")
        let password = try TransportFixture.password(productId, "psk5", psk: psk, username: username)
        let keyHex = try TransportFixture.hex(ofBase64: psk)
        let right = try await fixture.pskConnect(identity: clientId, keyHex: keyHex, clientId: clientId, username: username, password: password)
        XCTAssertEqual(connackCode(right), 0, "\(right)")
        // One character changed (not overwritten with what may already be there: "00" + the rest was the right
        // password once in 256 runs).
        let wrongPassword = (password.first == "0" ? "1" : "0") + password.dropFirst()
        let wrong = try await fixture.pskConnect(identity: clientId, keyHex: keyHex, clientId: clientId, username: username, password: wrongPassword)
        XCTAssertEqual(connackCode(wrong), 4, "\(wrong)")
    }

    /// A new secret, DeleteDevice and a restart reach the handshake's synchronous key index.
    func testKeyChangesReachTheHandshake() async throws {
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk6")
        let clientId = productId + "psk6"
        let username = TransportFixture.username(productId, "psk6")
        let newKey = Array("new-device-key-16".utf8)
        let newPSK = Data(newKey).base64EncodedString()
        try await fixture.hub.hub.registry.updatePSK(productId: productId, name: "psk6", psk: newPSK)
        let old = try await fixture.pskConnect(identity: clientId, keyHex: try TransportFixture.hex(ofBase64: psk), clientId: clientId, username: username)
        XCTAssertEqual(old["result"] as? String, "tls_error", "\(old)")
        let new = try await fixture.pskConnect(identity: clientId, keyHex: try TransportFixture.hex(ofBase64: newPSK), clientId: clientId, username: username)
        XCTAssertEqual(connackCode(new), 0, "\(new)")

        // After a restart on the same data directory the key is still served.
        let directory = fixture.hub.dataDirectory
        await fixture.hub.stop()
        let restarted = try await TestHub.start(dataDirectory: directory)
        do {
            let port = await restarted.port(.mqtts)
            let python = try XCTUnwrap(fixture.python)
            let script = ExternalTools.pythonScripts.appendingPathComponent("mqtt_transport_probe.py").path
            let arguments = [
                script, "connect", "--port", "\(port)", "--client-id", clientId, "--username", username, "--psk-identity", clientId,
                "--psk-hex", try TransportFixture.hex(ofBase64: newPSK), "--openssl", try ExternalTools.executable("openssl"),
            ]
            let afterRestart = try await ExternalTools.run(python, arguments, timeout: 60)
            XCTAssertEqual(afterRestart.json.flatMap(connackCode), 0, afterRestart.combined)

            try await restarted.api.call("DeleteDevice", [("ProductId", .string(productId)), ("DeviceName", .string("psk6"))])
            let deleted = try await ExternalTools.run(python, arguments, timeout: 60)
            XCTAssertEqual(deleted.json?["result"] as? String, "tls_error", deleted.combined)
        } catch {
            await restarted.stop()
            throw error
        }
        await restarted.stop()
    }

    /// mosquitto_pub as an unmodified TLS-PSK client: --psk/--psk-identity, a PSK suite, username without
    /// password; publishes with QoS 1. Its OpenSSL also offers TLS 1.3 (`--tls-version` is a minimum):
    /// the hub still answers with TLS 1.2 and the PSK suite.
    func testMosquittoTLSPSKClient() async throws {
        let mosquittoPub = try ExternalTools.executable("mosquitto_pub")
        let (productId, _) = try await fixture.createProduct(encryption: "2")
        let psk = try await fixture.createPSKDevice(productId, "psk7")
        let result = try await ExternalTools.run(
            mosquittoPub,
            [
                "-h", "127.0.0.1", "-p", "\(await fixture.hub.port(.mqtts))", "--psk", try TransportFixture.hex(ofBase64: psk),
                "--psk-identity", productId + "psk7", "--tls-version", "tlsv1.2", "--ciphers", "PSK-AES128-CBC-SHA",
                "-i", productId + "psk7", "-u", TransportFixture.username(productId, "psk7"), "-V", "mqttv311",
                "-t", "\(productId)/psk7/event", "-m", "{\"on\":true}", "-q", "1", "-d",
            ],
            timeout: 30
        )
        XCTAssertEqual(result.status, 0, result.combined)
        XCTAssertTrue(result.stdout.contains("received CONNACK (0)"), result.combined)
        XCTAssertTrue(result.stdout.contains("received PUBACK"), result.combined)
    }

    /// PSK and certificate clients share the port: a certificate client that also lists a PSK suite (and
    /// so gets the TLS 1.2 PSK context) still negotiates its preferred ECDHE suite and authenticates
    /// with its certificate; one without PSK suites keeps TLS 1.3.
    func testCertificateClientsKeepTheirSuitesOnTheSharedPort() async throws {
        let openssl = try ExternalTools.executable("openssl")
        let (productId, _) = try await fixture.createProduct(encryption: "1")
        let files = try await fixture.createCertificateDevice(productId, "c2")
        let port = await fixture.hub.port(.mqtts)
        let result = try await ExternalTools.run(
            openssl,
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2", "-CAfile", fixture.caFile, "-cert", files.certificate,
                "-key", files.key, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:PSK-AES128-CBC-SHA", "-verify_return_error",
            ],
            timeout: 30
        )
        XCTAssertTrue(result.stdout.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), result.combined)
        XCTAssertTrue(result.stdout.contains("Verify return code: 0 (ok)"), result.combined)
        for tls12 in [false, true] {
            let answer = try await fixture.tlsConnect(
                clientId: productId + "c2", username: TransportFixture.username(productId, "c2"), certificate: files, tls12: tls12
            )
            XCTAssertEqual(connackCode(answer), 0, "\(answer)")
            XCTAssertEqual(answer["tls_version"] as? String, tls12 ? "TLSv1.2" : "TLSv1.3")
        }
    }
}

// MARK: - WebSocket (device-protocol.md §7.3)

/// MQTT over WebSocket: the handshake bytes the C SDK searches case-sensitively, any path, and a
/// whole session with paho-mqtt.
final class MQTTTransportWebSocketTests: XCTestCase {
    var hub: TestHub!

    override func setUp() async throws {
        hub = try await TestHub.start()
    }

    override func tearDown() async throws {
        await hub.stopAndRemove()
    }

    func makePSKDevice(_ name: String) async throws -> (productId: String, psk: String) {
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string("ws\(UInt32.random(in: 0...UInt32.max))")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let device = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return (productId, try XCTUnwrap(device["DevicePsk"]?.stringValue))
    }

    /// A masked client frame (RFC 6455 §5.3) carrying `payload`.
    static func maskedBinaryFrame(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= 0xFFFF)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        let length: [UInt8] =
            payload.count < 126 ? [0x80 | UInt8(payload.count)] : [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        return [0x82] + length + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    static func connectPacket(clientId: String, username: String, password: String) -> [UInt8] {
        func string(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        }
        let body = string("MQTT") + [0x04, 0xC2, 0x00, 0x78] + string(clientId) + string(username) + string(password)
        var remaining: [UInt8] = []
        var length = body.count
        repeat {
            var byte = UInt8(length % 128)
            length /= 128
            if length > 0 { byte |= 0x80 }
            remaining.append(byte)
        } while length > 0
        return [0x10] + remaining + body
    }

    /// Exactly the C SDK 3.3.0 request (`Sec-Websocket-Protocol`, sic), then CONNECT and DISCONNECT in
    /// WebSocket frames; the response must carry the exact-case headers and a CONNACK 0 frame.
    func testHandshakeAsTheCSDKSendsIt() async throws {
        let (productId, psk) = try await makePSKDevice("ws1")
        let port = await hub.port(.websocket)
        let clientId = productId + "ws1"
        let username = DeviceUsername.make(productId: productId, deviceName: "ws1", expiry: .never)
        let password = try MQTTPassword.make(username: username, devicePSK: psk, method: .hmacSHA1)
        for (path, protocolHeader) in [("/", "Sec-Websocket-Protocol"), ("/mqtt", "Sec-WebSocket-Protocol"), ("/any/path?x=1", "sec-websocket-protocol")] {
            let head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "\(protocolHeader): mqtt\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            let request = Array(head.utf8)
                + Self.maskedBinaryFrame(Self.connectPacket(clientId: clientId, username: username, password: password))
                + Self.maskedBinaryFrame([0xE0, 0x00])
            let raw = try await RawHTTP.exchange(port: port, request: request)
            let response = try XCTUnwrap(RawHTTP.parse(raw), "\(path): \(String(decoding: raw, as: UTF8.self))")
            XCTAssertEqual(response.status, 101, path)
            // RFC 6455 §1.3 example key → accept value; the C SDK searches this exact text.
            XCTAssertTrue(response.headerLines.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "\(path): \(response.headerLines)")
            XCTAssertTrue(response.headerLines.contains("Sec-WebSocket-Protocol: mqtt"), "\(path): \(response.headerLines)")
            // An unmasked binary frame with CONNACK 0.
            XCTAssertEqual(Array(response.body.prefix(6)), [0x82, 0x04, 0x20, 0x02, 0x00, 0x00], "\(path): \(response.body)")
        }
    }

    func testPahoSessionOverWebSocket() async throws {
        let python = try await ExternalTools.pythonWithPaho()
        let script = ExternalTools.pythonScripts.appendingPathComponent("mqtt_transport_probe.py").path
        let port = await hub.port(.websocket)
        for (index, path) in ["/mqtt", "/"].enumerated() {
            let name = "wsp\(index)"
            let (productId, psk) = try await makePSKDevice(name)
            let username = DeviceUsername.make(productId: productId, deviceName: name, expiry: .never)
            let password = try MQTTPassword.make(username: username, devicePSK: psk, method: .hmacSHA256)
            // paho sends `Sec-Websocket-Protocol: mqtt`, the C SDK's spelling, and checks the accept value.
            let arguments = [
                script, "session", "--websocket", "--path", path, "--port", "\(port)", "--client-id", productId + name,
                "--client-id-topic", "\(productId)/\(name)", "--username", username, "--password", password, "--message", "over-ws-\(index)",
            ]
            let result = try await ExternalTools.run(python, arguments, timeout: 60)
            let answer = try XCTUnwrap(result.json, result.combined)
            XCTAssertEqual(answer["result"] as? String, "ok", "\(path): \(answer) \(result.stderr)")
            XCTAssertEqual(answer["message"] as? String, "over-ws-\(index)")
        }
    }
}
