import DeviceAuth
import Foundation
import IoTHubDevice
import JSONCore
import XCTest

final class IdentityStoreTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = NSTemporaryDirectory() + "identity-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func json(_ path: String) throws -> JSONValue {
        try JSONValue(parsing: Array(try XCTUnwrap(FileManager.default.contents(atPath: path))))
    }

    func testNewFileHoldsTheProductKeyAndNoCredential() throws {
        let path = directory + "/device_info.json"
        let store = try FileIdentityStore.create(path: path, productId: "ABCDEFGHIJ", productSecret: "secret-1", deviceName: "SN-1")
        let identity = try store.load()
        XCTAssertEqual(identity, DeviceIdentity(productId: "ABCDEFGHIJ", deviceName: "SN-1", productSecret: "secret-1"))
        XCTAssertNil(identity.credential)
        XCTAssertEqual(identity.clientId, "ABCDEFGHIJSN-1")
        let file = try json(path)
        XCTAssertEqual(file["auth_mode"], "KEY")
        XCTAssertEqual(file["key_deviceinfo"]?["deviceSecret"], "")
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        XCTAssertEqual(mode.intValue & 0o777, 0o600, "the file holds secrets")
    }

    func testCreateKeepsAnExistingFile() throws {
        let path = directory + "/d.json"
        let store = try FileIdentityStore.create(path: path, productId: "ABCDEFGHIJ", productSecret: "s", deviceName: "SN-1")
        try store.storeCredential(.psk("cHNrMTIzNDU2Nzg5MDEyMzQ1Ng=="))
        let again = try FileIdentityStore.create(path: path, productId: "ABCDEFGHIJ", productSecret: "s", deviceName: "SN-1")
        XCTAssertEqual(try again.load().credential, .psk("cHNrMTIzNDU2Nzg5MDEyMzQ1Ng=="))
    }

    func testPSKAndCertificateRoundTripAndSurviveANewStore() throws {
        let path = directory + "/d.json"
        let store = try FileIdentityStore.create(path: path, productId: "ABCDEFGHIJ", productSecret: "s", deviceName: "SN-1")
        try store.storeCredential(.psk("cHNrMTIzNDU2Nzg5MDEyMzQ1Ng=="))
        XCTAssertEqual(try FileIdentityStore(path: path).load().credential, .psk("cHNrMTIzNDU2Nzg5MDEyMzQ1Ng=="))
        let certificate = RegistrationCredential.certificate(
            certificatePEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            privateKeyPEM: "-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----\n"
        )
        try store.storeCredential(certificate)
        XCTAssertEqual(try FileIdentityStore(path: path).load().credential, certificate)
        XCTAssertEqual(try json(path)["auth_mode"], "CERT")
        XCTAssertNil(try json(path)["key_deviceinfo"], "no stale PSK next to the certificate")
        try store.removeCredential()
        XCTAssertNil(try FileIdentityStore(path: path).load().credential)
        XCTAssertEqual(try FileIdentityStore(path: path).load().productSecret, "s", "the product key stays")
    }

    func testWritesLeaveNoTemporaryFilesAndKeepUnknownMembers() throws {
        let path = directory + "/d.json"
        try Data(#"{"auth_mode":"KEY","productId":"ABCDEFGHIJ","productSecret":"s","deviceName":"SN-1","region":"ap-guangzhou","key_deviceinfo":{"deviceSecret":""}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let store = FileIdentityStore(path: path)
        for index in 0..<20 { try store.storeCredential(.psk("cHNr\(index)MTIzNDU2Nzg5MDEyMzQ1Ng==")) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["d.json"])
        XCTAssertEqual(try json(path)["region"], "ap-guangzhou")
    }

    /// The device_info.json of Tencent's C SDK samples: placeholders mean "not registered"; certificate
    /// files are named relative to the JSON file.
    func testReadsTencentSampleFiles() throws {
        let path = directory + "/device_info.json"
        try Data(#"{"auth_mode":"KEY","productId":"ABCDEFGHIJ","productSecret":"YOUR_PRODUCT_SECRET","deviceName":"dev1","key_deviceinfo":{"deviceSecret":"YOUR_IOT_PSK"}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let placeholder = try FileIdentityStore(path: path).load()
        XCTAssertNil(placeholder.credential)
        XCTAssertNil(placeholder.productSecret)

        try Data("CERT-PEM".utf8).write(to: URL(fileURLWithPath: directory + "/dev1_cert.crt"))
        try Data("KEY-PEM".utf8).write(to: URL(fileURLWithPath: directory + "/dev1_private.key"))
        try Data(#"{"auth_mode":"CERT","productId":"ABCDEFGHIJ","deviceName":"dev1","cert_deviceinfo":{"devCaFile":"ca.crt","devCertFile":"dev1_cert.crt","devPrivateKeyFile":"dev1_private.key"}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try FileIdentityStore(path: path).load().credential, .certificate(certificatePEM: "CERT-PEM", privateKeyPEM: "KEY-PEM"))
    }

    func testBrokenFilesGiveClearErrors() throws {
        let path = directory + "/d.json"
        XCTAssertThrowsError(try FileIdentityStore(path: path).load()) { error in
            XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
        }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try FileIdentityStore(path: path).load()) { error in
            XCTAssertTrue("\(error)".contains("not valid JSON"), "\(error)")
        }
        try Data(#"{"productId":"ABCDEFGHIJ"}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try FileIdentityStore(path: path).load()) { error in
            XCTAssertTrue("\(error)".contains("deviceName"), "\(error)")
        }
    }

    func testInMemoryStore() throws {
        let store = InMemoryIdentityStore(productId: "ABCDEFGHIJ", productSecret: "s", deviceName: "SN-1")
        XCTAssertNil(try store.load().credential)
        try store.storeCredential(.psk("x"))
        XCTAssertEqual(try store.load().credential, .psk("x"))
        try store.removeCredential()
        XCTAssertNil(try store.load().credential)
    }
}
