import CloudAPI
import JSONCore
import XCTest

final class APIResponseTests: XCTestCase {
    func testContentTypeHasNoCharset() {
        XCTAssertEqual(APIResponse.contentType, "application/json")
    }

    func testSuccessEnvelopeExactBytes() {
        let body = APIResponse.success(
            [
                ("ProductId", "UTY5QRLMQY"), ("ProductName", "dev02"),
                ("ProductProperties", ["EncryptionType": "1", "RegisterType": 0, "RegisterLimit": 10000]),
            ],
            requestId: "5186e731-d43c-43ef-956c-12ff9b0ce8f2"
        )
        XCTAssertEqual(
            String(decoding: body, as: UTF8.self),
            #"{"Response":{"ProductId":"UTY5QRLMQY","ProductName":"dev02","ProductProperties":{"EncryptionType":"1","RegisterType":0,"RegisterLimit":10000},"RequestId":"5186e731-d43c-43ef-956c-12ff9b0ce8f2"}}"#
        )
    }

    func testSuccessEnvelopeFromObjectAndEmpty() {
        XCTAssertEqual(
            String(decoding: APIResponse.success(["SuccessCount": 1, "RequestId": "old"], requestId: "r"), as: UTF8.self),
            #"{"Response":{"SuccessCount":1,"RequestId":"r"}}"#
        )
        XCTAssertEqual(
            String(decoding: APIResponse.success([], requestId: "r"), as: UTF8.self),
            #"{"Response":{"RequestId":"r"}}"#
        )
    }

    func testErrorEnvelopeExactBytes() {
        let body = APIResponse.error(.deviceNotExist(), requestId: "03e6f3c9-c301-43a3-98e0-b87dbea7d349")
        XCTAssertEqual(
            String(decoding: body, as: UTF8.self),
            #"{"Response":{"Error":{"Code":"ResourceNotFound.DeviceNotExist","Message":"device not exist"},"RequestId":"03e6f3c9-c301-43a3-98e0-b87dbea7d349"}}"#
        )
        let quoted = APIResponse.error(.invalidParameter("bad \"x\"\n"), requestId: "r")
        XCTAssertEqual(
            String(decoding: quoted, as: UTF8.self),
            #"{"Response":{"Error":{"Code":"InvalidParameter","Message":"bad \"x\"\n"},"RequestId":"r"}}"#
        )
    }

    func testParse() throws {
        let success = try APIResponse.parse(Array(
            #"{"Response": {"ProductId": "UTY5QRLMQY", "ProductProperties": {"EncryptionType": "1"}, "RequestId": "5186e731"}}"#.utf8
        ))
        guard case .success(let response) = success else { return XCTFail("expected success") }
        XCTAssertEqual(response["ProductId"], "UTY5QRLMQY")
        XCTAssertEqual(response["RequestId"], "5186e731")

        let failure = try APIResponse.parse(Array(
            #"{"Response": {"Error": {"Code": "ResourceNotFound.DeviceNotExist", "Message": "device not exist"}, "RequestId": "03e6f3c9"}}"#.utf8
        ))
        XCTAssertEqual(failure, .failure(APIError(code: "ResourceNotFound.DeviceNotExist", message: "device not exist", requestId: "03e6f3c9")))

        XCTAssertThrowsError(try APIResponse.parse(Array("not json".utf8)))
        XCTAssertThrowsError(try APIResponse.parse(Array(#"{"Other":{}}"#.utf8)))
        XCTAssertThrowsError(try APIResponse.parse(Array(#"{"Response":{"Error":{}}}"#.utf8)))
    }

    func testErrorRoundTrip() throws {
        let requestId = APIResponse.newRequestId()
        XCTAssertEqual(requestId.count, 36)
        XCTAssertEqual(requestId, requestId.lowercased())
        for error in [APIError.signatureFailure(), .secretIdNotFound(), .productIsForbidden(), .dynamicRegisterDisabled()] {
            var expected = error
            expected.requestId = requestId
            XCTAssertEqual(try APIResponse.parse(APIResponse.error(error, requestId: requestId)), .failure(expected))
        }
    }

    func testErrorCodes() {
        XCTAssertEqual(APIError.signatureFailure().message,
                       "The provided credentials could not be validated. Please check your signature is correct.")
        let codes: [(APIError, String)] = [
            (.invalidAuthorization(), "AuthFailure.InvalidAuthorization"),
            (.secretIdNotFound(), "AuthFailure.SecretIdNotFound"),
            (.signatureExpire(), "AuthFailure.SignatureExpire"),
            (.signatureFailure(), "AuthFailure.SignatureFailure"),
            (.missingParameter("X"), "MissingParameter"),
            (.unknownParameter("X"), "UnknownParameter"),
            (.invalidParameterValue("X"), "InvalidParameterValue"),
            (.noSuchVersion("X"), "NoSuchVersion"),
            (.invalidAction("X"), "InvalidAction"),
            (.unsupportedAction("X", version: .v20210408), "UnsupportedOperation"),
            (.unsupportedProtocol(), "UnsupportedProtocol"),
            (.productNotExist(), "ResourceNotFound.ProductNotExist"),
            (.deviceAlreadyExist(), "InvalidParameterValue.DeviceAlreadyExist"),
            (.definedPskNotBase64(), "InvalidParameterValue.DefinedPskNotBase64"),
            (.devicesExistUnderProduct(), "UnauthorizedOperation.DevicesExistUnderProduct"),
            (.clientCertAlreadyGot(), "UnsupportedOperation.ClientCertAlreadyGot"),
            (.deviceFirmwareTaskAlreadDone(), "FailedOperation.DeviceFirmwareTaskAlreadDone"),
            (.deviceExceedLimit(), "LimitExceeded.DeviceExceedLimit"),
            (.deviceAlreadyActivated(), "FailedOperation.DeviceAlreadyActivated"),
        ]
        for (error, code) in codes { XCTAssertEqual(error.code, code) }
    }

    func testRegistrationFailures() {
        XCTAssertEqual(RegistrationFailure.signatureMismatch.legacyCode, 1010)
        XCTAssertEqual(RegistrationFailure.signatureMismatch.apiError,
                       APIError(code: "AuthFailure.SignatureFailure", message: "Check signature failed"))
        XCTAssertEqual(RegistrationFailure.registrationOff.apiError.code, "UnsupportedOperation.DynamicRegisterDisabled")
        XCTAssertEqual(RegistrationFailure.preCreatedDeviceNotFound.apiError.message, "Pre create mode: device not exists")
        XCTAssertEqual(RegistrationFailure.registerLimitReached.legacyCode, 1025)
        XCTAssertNil(RegistrationFailure.invalidAuthorization.legacyCode)
        XCTAssertEqual(Set(RegistrationFailure.allCases.compactMap(\.legacyCode)).count, RegistrationFailure.allCases.count - 1)
    }
}
