import XCTest

/// Every vector of the prefixes this module owns has a test; a vector added to the spec
/// without a test fails here.
final class VectorCoverageTests: XCTestCase {
    static let covered: Set<String> = [
        "dynreg.legacy.signature",  // LegacyRegistrationSignatureTests
        "dynreg.legacy.request_c_sdk",  // LegacyRegistrationSignatureTests
        "dynreg.golden.real_cloud",  // LegacyRegistrationSignatureTests, RegistrationPayloadTests
        "dynreg.payload.psk",  // RegistrationPayloadTests, RegistrationWireTests
        "dynreg.payload.full_block_padding",  // RegistrationPayloadTests
        "dynreg.v2.hmacsha256",  // V2RegistrationSignatureTests
        "dynreg.v2.hmacsha1",  // V2RegistrationSignatureTests
        "dynreg.v2.hmacsha1.constant_timestamp",  // V2RegistrationSignatureTests
        "dynreg.v2.hmacsha256.host_port_stripped",  // V2RegistrationSignatureTests
        "mqtt.password.hmacsha1",  // MQTTPasswordTests
        "mqtt.password.hmacsha256",  // MQTTPasswordTests
        "mqtt.password.hmacsha256.java",  // MQTTPasswordTests
        "mqtt.username.expiry",  // DeviceUsernameTests
    ]

    func testEveryOwnedVectorIsCovered() throws {
        let owned = try TestVectors.allIds().filter {
            $0.hasPrefix("dynreg.") || $0.hasPrefix("mqtt.password.") || $0.hasPrefix("mqtt.username.")
        }
        XCTAssertEqual(Set(owned), Self.covered)
    }

    func testFixtureMatchesSharedSpec() throws {
        // shared/ lies beside the repository (CI lays it there).
        let shared = TestVectors.fileURL
            .deletingLastPathComponent()  // …/Tests/Fixtures
            .deletingLastPathComponent()  // …/Tests
            .deletingLastPathComponent()  // repository root
            .deletingLastPathComponent()  // its parent
            .appendingPathComponent("shared/spec/vectors.json")
        // CI lays shared/ beside the clone; a missing spec is a failure, not a skip.
        XCTAssertTrue(FileManager.default.fileExists(atPath: shared.path), "shared/spec/vectors.json not beside the repository")
        XCTAssertEqual(
            try Data(contentsOf: shared),
            try Data(contentsOf: TestVectors.fileURL),
            "fixture is stale: copy shared/spec/vectors.json to Tests/Fixtures"
        )
    }
}
