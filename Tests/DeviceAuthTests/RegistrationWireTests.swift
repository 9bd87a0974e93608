import DeviceAuth
import XCTest

final class RegistrationWireTests: XCTestCase {
    private let requestId = "2bdf231e-be51-4ef8-9d32-0a9f3bcd27ab"

    func testSuccessBodiesOfPSKVector() throws {
        let expected = try TestVectors.vector("dynreg.payload.psk").section("expected")
        let payload = try expected.string("payload")
        let length = try expected.int("len")

        let legacy = RegistrationWire.legacySuccessBody(length: length, payload: payload)
        XCTAssertEqual(legacy, try expected.string("legacyResponseBody"))
        XCTAssertEqual(legacy.utf8.count, try expected.int("legacyResponseBodyLength"))

        let v2 = RegistrationWire.v2SuccessBody(
            length: length,
            payload: payload,
            requestId: "00000000-0000-0000-0000-000000000000"
        )
        XCTAssertEqual(v2, try expected.string("v2ResponseBody"))
        XCTAssertEqual(v2.utf8.count, try expected.int("v2ResponseBodyLength"))

        XCTAssertEqual(
            try RegistrationWire.parseLegacyResponse(Array(legacy.utf8)).get(),
            EncryptedCredential(length: length, payload: payload)
        )
        XCTAssertEqual(
            try RegistrationWire.parseV2Response(Array(v2.utf8)).get(),
            EncryptedCredential(length: length, payload: payload)
        )
    }

    func testErrorBodiesMatchTheSpecExamples() {
        XCTAssertEqual(
            RegistrationWire.legacyErrorBody(.signatureMismatch, requestId: requestId),
            #"{"code":1010,"message":"Check signature failed","requestId":"2bdf231e-be51-4ef8-9d32-0a9f3bcd27ab"}"#
        )
        XCTAssertEqual(
            RegistrationWire.v2ErrorBody(.signatureMismatch, requestId: "3f0c6a52-8f1e-4c55-9a57-0d1d0b4c7a1e"),
            #"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"Check signature failed"},"RequestId":"3f0c6a52-8f1e-4c55-9a57-0d1d0b4c7a1e"}}"#
        )
    }

    func testEveryErrorBodyFitsAndParsesBack() throws {
        for refusal in RegistrationRefusal.allCases {
            let legacy = RegistrationWire.legacyErrorBody(refusal, requestId: requestId)
            let v2 = RegistrationWire.v2ErrorBody(refusal, requestId: requestId)
            XCTAssertLessThan(legacy.utf8.count, 256, refusal.reasonCode)
            XCTAssertLessThan(v2.utf8.count, 256, refusal.reasonCode)

            guard case .failure(let legacyError) = try RegistrationWire.parseLegacyResponse(Array(legacy.utf8)) else {
                return XCTFail("legacy \(refusal) parsed as success")
            }
            XCTAssertEqual(legacyError.code, .legacy(refusal.legacyCode))
            XCTAssertEqual(legacyError.message, refusal.message)
            XCTAssertEqual(legacyError.requestId, requestId)
            // invalidAuthorization has no legacy code of its own.
            XCTAssertEqual(legacyError.refusal, refusal == .invalidAuthorization ? .invalidRequest : refusal)

            guard case .failure(let v2Error) = try RegistrationWire.parseV2Response(Array(v2.utf8)) else {
                return XCTFail("v2 \(refusal) parsed as success")
            }
            XCTAssertEqual(
                v2Error,
                RegistrationServerError(code: .v2(refusal.v2Code), message: refusal.message, requestId: requestId)
            )
            XCTAssertEqual(v2Error.refusal, refusal)
        }
    }

    func testUnknownCodesAreReportedAsSent() throws {
        let legacy = #"{"code":4242,"message":"Something new","requestId":"r-1"}"#
        let legacyResult = try RegistrationWire.parseLegacyResponse(Array(legacy.utf8))
        XCTAssertEqual(
            legacyResult,
            .failure(RegistrationServerError(code: .legacy(4242), message: "Something new", requestId: "r-1"))
        )
        if case .failure(let error) = legacyResult {
            XCTAssertNil(error.refusal)
            XCTAssertTrue(error.description.contains("4242"))
        }

        let v2 = #"{"Response":{"Error":{"Code":"FailedOperation.Whatever","Message":"Nope"},"RequestId":"r-2"}}"#
        let v2Result = try RegistrationWire.parseV2Response(Array(v2.utf8))
        XCTAssertEqual(
            v2Result,
            .failure(RegistrationServerError(code: .v2("FailedOperation.Whatever"), message: "Nope", requestId: "r-2"))
        )

        // Message and request id are optional on the wire.
        XCTAssertEqual(
            try RegistrationWire.parseLegacyResponse(Array(#"{"code":1}"#.utf8)),
            .failure(RegistrationServerError(code: .legacy(1), message: "", requestId: nil))
        )
    }

    func testRealCloudReplyParses() throws {
        let body = try TestVectors.vector("dynreg.golden.real_cloud").section("inputs").bytes("responseBody")
        let reply = try RegistrationWire.parseLegacyResponse(body).get()
        XCTAssertEqual(reply.length, 53)
        XCTAssertEqual(
            reply.payload,
            "eHGRUBar9LBPI+mcaHnVEZsj05mSdoZLPhd54hDJXv/2va2rXSpfddgRy5XE/FIS835NjUr5Mhw1AJSg4yGC/w=="
        )
    }

    func testMalformedRepliesThrow() {
        let legacyBodies = [
            "",
            "<html>",
            #"{"message":"no code"}"#,
            #"{"code":"0","len":53,"payload":"x"}"#,
            #"{"code":0,"message":""}"#,
            #"{"code":0,"len":53}"#,
            #"{"code":0,"len":0,"payload":"x"}"#,
        ]
        for body in legacyBodies {
            XCTAssertThrowsError(try RegistrationWire.parseLegacyResponse(Array(body.utf8)), body) { error in
                XCTAssertEqual((error as? DeviceAuthError)?.code, .malformedResponse, body)
            }
        }
        let v2Bodies = [
            "",
            #"{"code":0,"len":53,"payload":"x"}"#,
            #"{"Response":{"RequestId":"r"}}"#,
            #"{"Response":{"Len":0,"Payload":"x"}}"#,
            #"{"Response":{"Len":53}}"#,
            #"{"Response":{"Error":{"Message":"no code"}}}"#,
        ]
        for body in v2Bodies {
            XCTAssertThrowsError(try RegistrationWire.parseV2Response(Array(body.utf8)), body) { error in
                XCTAssertEqual((error as? DeviceAuthError)?.code, .malformedResponse, body)
            }
        }
    }

    func testBodiesEscapeText() {
        XCTAssertEqual(
            RegistrationWire.legacyErrorBody(.internalError, requestId: "a\"b\\c"),
            #"{"code":1099,"message":"Internal error","requestId":"a\"b\\c"}"#
        )
    }
}
