import DeviceAuth
import XCTest

final class RegistrationRefusalTests: XCTestCase {
    /// device-protocol.md §3.5, written out independently of the implementation.
    private let table: [(RegistrationRefusal, Int, String, String, String)] = [
        (.invalidRequest, 1000, "InvalidParameter", "Invalid request", "invalid_request"),
        (
            .invalidAuthorization, 1000, "AuthFailure.InvalidAuthorization", "Invalid authorization",
            "invalid_authorization"
        ),
        (.signatureMismatch, 1010, "AuthFailure.SignatureFailure", "Check signature failed", "signature_mismatch"),
        (.nonceReplayed, 1011, "AuthFailure.SignatureExpire", "Nonce already used", "nonce_replayed"),
        (.productNotFound, 1020, "ResourceNotFound.ProductNotExist", "Product not exists", "product_not_found"),
        (
            .productDisabled, 1021, "UnauthorizedOperation.ProductIsForbidden", "Product is forbidden",
            "product_disabled"
        ),
        (
            .registrationDisabled, 1022, "UnsupportedOperation.DynamicRegisterDisabled",
            "Not support dynamic device register, please check setting first", "registration_disabled"
        ),
        (
            .deviceNotFound, 1023, "ResourceNotFound.DeviceNotExist", "Pre create mode: device not exists",
            "device_not_found"
        ),
        (.deviceDisabled, 1024, "UnauthorizedOperation.DeviceIsNotEnabled", "Device is disabled", "device_disabled"),
        (
            .registerLimitReached, 1025, "LimitExceeded.DeviceExceedLimit", "Register limit exceeded",
            "register_limit_reached"
        ),
        (
            .deviceAlreadyActivated, 1026, "FailedOperation.DeviceAlreadyActivated", "Device already activated",
            "device_already_activated"
        ),
        // Hub-defined (device-protocol §3.5 has no rate-limit row): Tencent's cloud API code for a caller
        // over its frequency limit, and a hub code for banned sources.
        (.requestLimitExceeded, 1027, "RequestLimitExceeded", "Request limit exceeded", "request_limit_exceeded"),
        (.sourceBanned, 1028, "UnauthorizedOperation.SourceBanned", "Source address banned", "source_banned"),
        (.internalError, 1099, "InternalError", "Internal error", "internal_error"),
    ]

    func testTable() {
        XCTAssertEqual(RegistrationRefusal.allCases, table.map(\.0))
        for (refusal, legacy, v2, message, reason) in table {
            XCTAssertEqual(refusal.legacyCode, legacy, reason)
            XCTAssertEqual(refusal.v2Code, v2, reason)
            XCTAssertEqual(refusal.message, message, reason)
            XCTAssertEqual(refusal.reasonCode, reason)
            XCTAssertEqual(refusal.description, reason)
        }
        XCTAssertEqual(Set(table.map(\.4)).count, table.count)
        XCTAssertEqual(Set(table.map(\.2)).count, table.count)
    }

    func testLookupByCode() {
        for (refusal, _, v2, _, _) in table {
            XCTAssertEqual(RegistrationRefusal(v2Code: v2), refusal)
        }
        XCTAssertEqual(RegistrationRefusal(legacyCode: 1000), .invalidRequest)
        XCTAssertEqual(RegistrationRefusal(legacyCode: 1010), .signatureMismatch)
        XCTAssertEqual(RegistrationRefusal(legacyCode: 1026), .deviceAlreadyActivated)
        XCTAssertEqual(RegistrationRefusal(legacyCode: 1099), .internalError)
        XCTAssertNil(RegistrationRefusal(legacyCode: 0))
        XCTAssertNil(RegistrationRefusal(legacyCode: 1001))
        XCTAssertNil(RegistrationRefusal(v2Code: "authfailure.signaturefailure"))
        XCTAssertNil(RegistrationRefusal(v2Code: "AuthFailure"))
    }

    func testIsAnError() {
        let error: any Error = RegistrationRefusal.deviceDisabled
        XCTAssertEqual(error as? RegistrationRefusal, .deviceDisabled)
        XCTAssertNotEqual(RegistrationRefusal.deviceDisabled, .productDisabled)
    }
}
