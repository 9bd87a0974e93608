import DeviceAuth
import XCTest

final class RegistrationRequestTests: XCTestCase {
    private let secret = "a1b2c3d4e5f6g7h8i9j0k1l2"

    func testLegacyBodyWithReorderedKeysAndStringNumbers() throws {
        // Java explorer SDK: JSON library, any key order; some clients send decimal strings.
        let body =
            #"{"signature":"ZDRhZjc2ZWQ4ZTc2ZDJjNDU2YjFjODdmOWQzODAyZTdjZjVjOWM1MQ==","timestamp":"1700000000","productId":"ABCDEFGHIJ","nonce":"123456","deviceName":"dev001"}"#
        let request = try LegacyRegistrationRequest(parsing: Array(body.utf8))
        XCTAssertEqual(request.nonce, "123456")
        XCTAssertEqual(request.timestamp, "1700000000")
        XCTAssertEqual(request.stringToSign, "deviceName=dev001&nonce=123456&productId=ABCDEFGHIJ&timestamp=1700000000")
        XCTAssertTrue(request.verifySignature(productSecret: secret))
    }

    func testLegacyBodyRejections() {
        let bodies = [
            "",
            "not json",
            "[]",
            #"{"deviceName":"dev001","nonce":1,"productId":"ABCDEFGHIJ","timestamp":2}"#,  // no signature
            #"{"nonce":1,"productId":"ABCDEFGHIJ","timestamp":2,"signature":"x"}"#,  // no deviceName
            #"{"deviceName":"dev001","nonce":1.5,"productId":"ABCDEFGHIJ","timestamp":2,"signature":"x"}"#,
            #"{"deviceName":"dev001","nonce":"12a","productId":"ABCDEFGHIJ","timestamp":2,"signature":"x"}"#,
            #"{"deviceName":"dev001","nonce":true,"productId":"ABCDEFGHIJ","timestamp":2,"signature":"x"}"#,
            #"{"deviceName":42,"nonce":1,"productId":"ABCDEFGHIJ","timestamp":2,"signature":"x"}"#,
        ]
        for body in bodies {
            XCTAssertThrowsError(try LegacyRegistrationRequest(parsing: Array(body.utf8)), body) { error in
                XCTAssertEqual(error as? RegistrationRefusal, .invalidRequest, body)
            }
        }
    }

    func testV2Body() throws {
        let request = try V2RegistrationRequest(
            parsing: Array(#"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev001"}"#.utf8)
        )
        XCTAssertEqual(request.productId, "ABCDEFGHIJ")
        XCTAssertEqual(request.deviceName, "dev001")

        let withExtras =
            #"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev001","clientCert":"-----BEGIN…","EncryptionType":1}"#
        XCTAssertEqual(try V2RegistrationRequest(parsing: Array(withExtras.utf8)).deviceName, "dev001")

        for body in [
            "", #"{"ProductId":"ABCDEFGHIJ"}"#, #"{"productId":"ABCDEFGHIJ","deviceName":"dev001"}"#,
            #"{"ProductId":1,"DeviceName":"d"}"#,
        ] {
            XCTAssertThrowsError(try V2RegistrationRequest(parsing: Array(body.utf8)), body) { error in
                XCTAssertEqual(error as? RegistrationRefusal, .invalidRequest)
            }
        }
    }

    func testV2HeadersFromRequest() throws {
        let values = [
            "X-TC-Algorithm": "HmacSha256",
            "X-TC-Timestamp": "1700000000",
            "X-TC-Nonce": "123456",
            "X-TC-Signature": "sig",
        ]
        let headers = try V2RegistrationHeaders(value: { values[$0] })
        XCTAssertEqual(headers.algorithm, .hmacSHA256)
        XCTAssertEqual(headers.algorithmHeader, "HmacSha256")
        XCTAssertEqual(headers.timestamp, "1700000000")
        XCTAssertEqual(headers.nonce, "123456")
        XCTAssertEqual(headers.signature, "sig")

        for missing in values.keys {
            var partial = values
            partial[missing] = nil
            XCTAssertThrowsError(try V2RegistrationHeaders(value: { partial[$0] }), missing) { error in
                XCTAssertEqual(error as? RegistrationRefusal, .invalidAuthorization)
            }
        }
        var unknown = values
        unknown["X-TC-Algorithm"] = "hmacmd5"
        XCTAssertThrowsError(try V2RegistrationHeaders(value: { unknown[$0] })) { error in
            XCTAssertEqual(error as? RegistrationRefusal, .invalidAuthorization)
        }
    }
}
