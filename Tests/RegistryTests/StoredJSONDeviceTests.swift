import Foundation
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// The field-by-field writer of device documents must write exactly what JSONEncoder (sorted keys) writes.
final class StoredJSONDeviceTests: XCTestCase {
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    func testWriterMatchesDeviceAsDeclared() {
        // false would mean Device changed and every document silently takes the slower path.
        XCTAssertTrue(StoredJSON.deviceWriterMatches)
    }

    func testRandomDevicesMatchJSONEncoder() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = Array("aZ09:_-\"\\/ é€😀") + (0..<0x20).map { Character(Unicode.Scalar($0)!) }
        func text(_ maxLength: Int) -> String {
            String((0..<Int.random(in: 0...maxLength, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &generator) ? value() : nil }
        for _ in 0..<2_000 {
            var device = Device(
                productId: text(10), name: text(48), credential: .psk(text(30)),
                enabled: .random(using: &generator), createdByRegistration: .random(using: &generator),
                createdAt: .random(in: Int64.min...Int64.max, using: &generator),
                credentialFetched: .random(using: &generator), clientKeyFetched: .random(using: &generator),
                firstOnlineTime: maybe(Int64.random(in: -1_000...2_000_000_000, using: &generator)),
                loginTime: .random(in: 0...2_000_000_000, using: &generator),
                lastOfflineTime: maybe(Int64.random(in: 0...2_000_000_000, using: &generator)),
                online: .random(using: &generator), clientIP: maybe(text(20)), firmwareVersion: text(12),
                logLevel: .random(in: -1...4, using: &generator)
            )
            device.shadow = maybe(text(60))
            device.updatedAt = .random(in: Int64.min...Int64.max, using: &generator)
            let expected = String(decoding: try encoder.encode(device), as: UTF8.self)
            XCTAssertEqual(try StoredJSON.encode(device: device, fallback: encoder), expected)
        }
    }

    func testDevicesTheWriterLeavesToStoredJSON() throws {
        var tagged = Device(productId: "ABCDEFGHIJ", name: "dev", credential: .psk("a2V5a2V5a2V5a2V5"), createdAt: 1)
        tagged.tags = [DeviceTag(tag: "room", type: 2, value: "42", name: "Room")]
        let certificate = Device(
            productId: "ABCDEFGHIJ", name: "cert",
            credential: .certificate(certificatePEM: "-----BEGIN-----\n", privateKeyPEM: nil, serialNumber: "01"), createdAt: 1
        )
        for device in [tagged, certificate] {
            XCTAssertEqual(try StoredJSON.encode(device: device, fallback: encoder), String(decoding: try encoder.encode(device), as: UTF8.self))
        }
    }
}
