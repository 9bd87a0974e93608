import DeviceAuth
import IoTHubDevice
import XCTest

final class RegistrationErrorTests: XCTestCase {
    /// Every refusal of device-protocol.md §3.5, by either endpoint's code, is a typed refusal.
    func testEveryDocumentedCodeOfBothEndpointsIsTyped() {
        for refusal in RegistrationRefusal.allCases {
            let v2 = RegistrationError(serverError: RegistrationServerError(code: .v2(refusal.v2Code), message: refusal.message, requestId: "r-1"))
            XCTAssertEqual(v2.refusal, refusal)
            XCTAssertEqual(v2.reasonCode, refusal.reasonCode)
            XCTAssertEqual(v2.serverCode, refusal.v2Code)
            XCTAssertEqual(v2.requestId, "r-1")
            XCTAssertTrue(v2.description.contains(refusal.v2Code), v2.description)
            let legacy = RegistrationError(serverError: RegistrationServerError(code: .legacy(refusal.legacyCode), message: refusal.message))
            // 1000 is shared by invalid request and invalid authorization on the legacy endpoint.
            XCTAssertEqual(legacy.refusal, refusal == .invalidAuthorization ? .invalidRequest : refusal)
            XCTAssertEqual(legacy.serverCode, String(refusal.legacyCode))
        }
    }

    func testUnknownCodesAreKeptAsSent() {
        let error = RegistrationError(serverError: RegistrationServerError(code: .v2("FailedOperation.Other"), message: "m"))
        XCTAssertNil(error.refusal)
        XCTAssertEqual(error.kind, .unknownRefusal(.v2("FailedOperation.Other")))
        XCTAssertTrue(error.description.contains("FailedOperation.Other"))
    }

    func testOnlyAnActivatedDeviceNeedsAnOperator() {
        for refusal in RegistrationRefusal.allCases {
            let error = RegistrationError(.refused(refusal), message: refusal.message)
            XCTAssertEqual(error.requiresOperatorReset, refusal == .deviceAlreadyActivated)
            XCTAssertEqual(error.description.contains("an operator must reset"), refusal == .deviceAlreadyActivated, error.description)
        }
        XCTAssertTrue(RegistrationError(.transport, message: "refused").isTransient)
        XCTAssertFalse(RegistrationError(.refused(.signatureMismatch), message: "").isTransient)
    }
}
