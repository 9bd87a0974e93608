import DeviceAuth
import XCTest

/// The log upload formats against the vectors of device-protocol.md §7.5 (the spec's text: vectors.json
/// has no log-upload entries).
final class DeviceLogUploadTests: XCTestCase {
    private let key = "7WmFA/MEs+Fy+32QwJWtYw=="

    // §7.5.1 vector: 185 bytes, the first 40 the HMAC-SHA1 hex of the remaining 145.
    private var classicVector: [UInt8] {
        Array("f250b10b8927d22e1128ea0f040445ea25fbe2f7".utf8) + Array("P###ABCDEFGHIJdev001".utf8)
            + Array(String(repeating: "#", count: 42).utf8) + Array("1609430400".utf8)
            + Array("ERR|2021-01-01 08:00:00|mqtt_sample.c|main(311): MQTT Construct failed!".utf8) + [0x0A, 0x0C]
    }

    // §7.5.2: the captured 360-byte C33 body.
    private let v2Body = Array(
        #"{"DeviceName":"dev001","Level":"ERR","ProductId":"ABCDEFGHIJ","Message":["ERR|2026-12-07 01:31:03|HAL_TCP_linux.c|HAL_TCP_Connect(99): fail to connect with TCP server: 127.0.0.4:1883", "ERR|2026-12-07 01:31:03|mqtt_client.c|IOT_MQTT_Construct(114): mqtt connect with id:  failed: -1", "ERR|2026-12-07 01:31:03|mqtt_sample.c|main(314): MQTT Construct failed!"]}"#
            .utf8)

    func testClassicVectorParsesAndVerifies() throws {
        let body = classicVector
        XCTAssertEqual(body.count, 185)
        let upload = try XCTUnwrap(ClassicLogUpload(parsing: body))
        XCTAssertEqual(upload.marker, .psk)
        XCTAssertEqual(upload.productId, "ABCDEFGHIJ")
        XCTAssertEqual(upload.deviceName, "dev001")
        XCTAssertEqual(upload.timestamp, "1609430400")
        XCTAssertEqual(upload.entries, ["ERR|2021-01-01 08:00:00|mqtt_sample.c|main(311): MQTT Construct failed!"])
        XCTAssertEqual(upload.signedBytes.count, 145)
        XCTAssertEqual(ClassicLogUpload.sign(upload.signedBytes, key: key), "f250b10b8927d22e1128ea0f040445ea25fbe2f7")
        XCTAssertTrue(upload.verify(keys: LogUploadKeys.candidates(psk: key)))
        // The SDK's builder writes the same bytes.
        XCTAssertEqual(
            ClassicLogUpload.make(productId: "ABCDEFGHIJ", deviceName: "dev001", timestamp: 1_609_430_400,
                entries: ["ERR|2021-01-01 08:00:00|mqtt_sample.c|main(311): MQTT Construct failed!"], key: key),
            body
        )
    }

    func testClassicRefusesAlteredBodiesAndOtherKeys() throws {
        var body = classicVector
        body[body.count - 5] ^= 0x01
        XCTAssertFalse(try XCTUnwrap(ClassicLogUpload(parsing: body)).verify(keys: [key]))
        XCTAssertFalse(try XCTUnwrap(ClassicLogUpload(parsing: classicVector)).verify(keys: ["8WmFA/MEs+Fy+32QwJWtYw=="]))
        XCTAssertFalse(try XCTUnwrap(ClassicLogUpload(parsing: classicVector)).verify(keys: []))
        // Uppercase hex is the same signature.
        var upper = classicVector
        for index in 0..<40 where (0x61...0x66).contains(upper[index]) { upper[index] -= 0x20 }
        XCTAssertTrue(try XCTUnwrap(ClassicLogUpload(parsing: upper)).verify(keys: [key]))
    }

    func testClassicFormatChecks() {
        XCTAssertNil(ClassicLogUpload(parsing: Array(classicVector.prefix(111))))
        XCTAssertNotNil(ClassicLogUpload(parsing: Array(classicVector.prefix(112))))
        var marker = classicVector
        marker[40] = UInt8(ascii: "X")
        XCTAssertNil(ClassicLogUpload(parsing: marker))
    }

    func testKeyCandidates() {
        XCTAssertEqual(LogUploadKeys.candidates(psk: key), [key])
        let long = key + "ABCD"
        XCTAssertEqual(LogUploadKeys.candidates(psk: long), [key, long])
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG11e6eCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnRl\nc3RDQTAeFw0=\n-----END CERTIFICATE-----\n"
        XCTAssertEqual(LogUploadKeys.candidates(certificatePEM: pem), ["MIIBkTCB+wIJAKHHIG11e6eC"])
        XCTAssertEqual(LogUploadKeys.candidates(certificatePEM: "no pem"), [])
    }

    func testV2Vectors() throws {
        XCTAssertEqual(v2Body.count, 360)
        XCTAssertEqual(V2RegistrationSignature.BodyHash.sha1.hexDigest(of: v2Body), "1478dda1c6f01438166049859266cc785465227d")
        XCTAssertEqual(
            V2LogUploadSignature.sign(host: "127.0.0.4", algorithm: .hmacSHA1, timestamp: "0", nonce: "1263079973", body: v2Body, key: key),
            "uaoe5chP3rhTWmaGe81IUdZsM4s="
        )
        XCTAssertEqual(
            V2LogUploadSignature.sign(
                host: "ap-guangzhou.gateway.tencentdevices.com", algorithm: .hmacSHA1, timestamp: "0", nonce: "1263079973", body: v2Body, key: key
            ),
            "SiXpA9lE9rF8bisNX62z2YSxcQE="
        )
        XCTAssertEqual(
            V2LogUploadSignature.sign(
                host: "ap-guangzhou.gateway.tencentdevices.com", algorithm: .hmacSHA256, timestamp: "1609430400", nonce: "123456", body: v2Body,
                key: key
            ),
            "OWsAy8n2Q5hPdoc7GdYpBazBjVcFdm2xJcG4MqrOs0Q="
        )
    }

    func testV2VerifyOverCandidateHosts() {
        let keys = LogUploadKeys.candidates(psk: key)
        // Signed over the configured host 127.0.0.4: found through the Host header.
        let hosts = V2LogUploadSignature.candidateHosts(hostHeader: "127.0.0.4:8080", configuredHosts: [])
        XCTAssertTrue(V2LogUploadSignature.verify(
            signature: "uaoe5chP3rhTWmaGe81IUdZsM4s=", keys: keys, candidateHosts: hosts, algorithmHeader: "hmacsha1", timestamp: "0",
            nonce: "1263079973", body: v2Body))
        // The production host is always a candidate, the algorithm compared case-insensitively but signed verbatim.
        let noHeader = V2LogUploadSignature.candidateHosts(hostHeader: nil, configuredHosts: [])
        XCTAssertTrue(V2LogUploadSignature.verify(
            signature: "SiXpA9lE9rF8bisNX62z2YSxcQE=", keys: keys, candidateHosts: noHeader, algorithmHeader: "hmacsha1", timestamp: "0",
            nonce: "1263079973", body: v2Body))
        XCTAssertFalse(V2LogUploadSignature.verify(
            signature: "SiXpA9lE9rF8bisNX62z2YSxcQE=", keys: keys, candidateHosts: noHeader, algorithmHeader: "HMACSHA1", timestamp: "0",
            nonce: "1263079973", body: v2Body))
        XCTAssertTrue(V2LogUploadSignature.verify(
            signature: "OWsAy8n2Q5hPdoc7GdYpBazBjVcFdm2xJcG4MqrOs0Q=", keys: keys, candidateHosts: noHeader, algorithmHeader: "hmacsha256",
            timestamp: "1609430400", nonce: "123456", body: v2Body))
        // Regional hosts are candidates too.
        XCTAssertTrue(noHeader.contains("europe.gateway.tencentdevices.com"))
        let european = V2LogUploadSignature.sign(
            host: "europe.gateway.tencentdevices.com", algorithm: .hmacSHA1, timestamp: "0", nonce: "1", body: v2Body, key: key)
        XCTAssertTrue(V2LogUploadSignature.verify(
            signature: european, keys: keys, candidateHosts: noHeader, algorithmHeader: "hmacsha1", timestamp: "0", nonce: "1", body: v2Body))
        // hmacsha1 over a SHA-256 body hash (the vendor docs' form) is accepted.
        let sha256Hashed = V2LogUploadSignature.sign(
            host: "127.0.0.4", algorithm: .hmacSHA1, timestamp: "0", nonce: "7", body: v2Body, key: key, bodyHash: .sha256)
        XCTAssertTrue(V2LogUploadSignature.verify(
            signature: sha256Hashed, keys: keys, candidateHosts: hosts, algorithmHeader: "hmacsha1", timestamp: "0", nonce: "7", body: v2Body))
        // Wrong nonce, key, algorithm.
        XCTAssertFalse(V2LogUploadSignature.verify(
            signature: "uaoe5chP3rhTWmaGe81IUdZsM4s=", keys: keys, candidateHosts: hosts, algorithmHeader: "hmacsha1", timestamp: "0",
            nonce: "1263079974", body: v2Body))
        XCTAssertFalse(V2LogUploadSignature.verify(
            signature: "uaoe5chP3rhTWmaGe81IUdZsM4s=", keys: ["other"], candidateHosts: hosts, algorithmHeader: "hmacsha1", timestamp: "0",
            nonce: "1263079973", body: v2Body))
        XCTAssertFalse(V2LogUploadSignature.verify(
            signature: "uaoe5chP3rhTWmaGe81IUdZsM4s=", keys: keys, candidateHosts: hosts, algorithmHeader: "rsa-sha256", timestamp: "0",
            nonce: "1263079973", body: v2Body))
    }

    func testV2BodyParsing() throws {
        let parsed = try XCTUnwrap(V2LogUploadBody(parsing: v2Body))
        XCTAssertEqual(parsed.productId, "ABCDEFGHIJ")
        XCTAssertEqual(parsed.deviceName, "dev001")
        XCTAssertEqual(parsed.entries.count, 3)
        XCTAssertEqual(parsed.entries[2], "ERR|2026-12-07 01:31:03|mqtt_sample.c|main(314): MQTT Construct failed!")
        // The builder writes the captured bytes.
        XCTAssertEqual(parsed.cSDKBody(), v2Body)
        // Java: one element holding \n\f-terminated lines, any member order, no Level.
        let java = Array("{\"Message\":[\"ERR|2021-01-01 08:00:00|TAG|one\\n\\fINF|2021-01-01 08:00:01|TAG|two\\n\\f\"],\"ProductId\":\"P\",\"DeviceName\":\"d\"}".utf8)
        XCTAssertEqual(try XCTUnwrap(V2LogUploadBody(parsing: java)).entries, ["ERR|2021-01-01 08:00:00|TAG|one", "INF|2021-01-01 08:00:01|TAG|two"])
        // C escapes "/" as "\/" and copies other control bytes raw.
        let raw = Array("{\"DeviceName\":\"d\",\"Level\":\"ERR\",\"ProductId\":\"P\",\"Message\":[\"ERR|x|a\\/b.c|f(1): tab\u{01}here \\u00e9\\ud83d\\ude00\"],\"n\":[1,{\"x\":null}]}".utf8)
        XCTAssertEqual(try XCTUnwrap(V2LogUploadBody(parsing: raw)).messages, ["ERR|x|a/b.c|f(1): tab\u{01}here é😀"])
        for bad in ["", "[]", "{\"ProductId\":\"P\"}", "{\"ProductId\":1,\"DeviceName\":\"d\"}", "{\"ProductId\":\"P\",\"DeviceName\":\"d\",\"Message\":[1]}",
            "{\"ProductId\":\"P\",\"DeviceName\":\"d\"} x", "{\"ProductId\":\"P\",\"DeviceName\":\"d\""]
        {
            XCTAssertNil(V2LogUploadBody(parsing: Array(bad.utf8)), bad)
        }
    }

    func testLineSplitting() {
        XCTAssertEqual(
            DeviceLogLine(parsing: "ERR|2026-12-07 01:31:03|HAL_TCP_linux.c|HAL_TCP_Connect(99): fail: 127.0.0.3:1883"),
            DeviceLogLine(level: "ERR", dateTime: "2026-12-07 01:31:03", content: "HAL_TCP_linux.c|HAL_TCP_Connect(99): fail: 127.0.0.3:1883")
        )
        XCTAssertEqual(DeviceLogLine(parsing: "free text\r\n"), DeviceLogLine(level: "", dateTime: "", content: "free text"))
        XCTAssertEqual(DeviceLogLine(parsing: "XYZ|a|b"), DeviceLogLine(level: "", dateTime: "", content: "XYZ|a|b"))
        XCTAssertEqual(DeviceLogLine.split(Array("a\n\u{0C}b\n\u{0C}\n\u{0C}c".utf8)), ["a", "b", "c"])
        XCTAssertEqual(DeviceLogLine.split(Array("one\nline\n\u{0C}".utf8)), ["one\nline"])
    }

    func testRepliesFitTheSDKBuffer() {
        XCTAssertEqual(LogUploadReply.classicSuccess, #"{"Retcode":0,"Msg":"ok"}"#)
        XCTAssertEqual(LogUploadReply.classicError(.signatureMismatch), #"{"Retcode":3,"Msg":"check signature failed"}"#)
        XCTAssertEqual(LogUploadReply.classicError(.badRequest), #"{"Retcode":1,"Msg":"bad request"}"#)
        XCTAssertEqual(LogUploadReply.classicError(.deviceNotFound), #"{"Retcode":2,"Msg":"device not found"}"#)
        XCTAssertEqual(LogUploadReply.classicError(.deviceDisabled), #"{"Retcode":4,"Msg":"device disabled"}"#)
        let requestId = "01234567-89ab-4def-8123-456789abcdef"
        XCTAssertEqual(LogUploadReply.v2Success(requestId: requestId), #"{"Response":{"RequestId":"01234567-89ab-4def-8123-456789abcdef"}}"#)
        for refusal in LogUploadRefusal.allCases {
            XCTAssertLessThan(LogUploadReply.v2Error(refusal, requestId: requestId).utf8.count, 256)
            XCTAssertLessThan(LogUploadReply.classicError(refusal).utf8.count, 256)
        }
        XCTAssertEqual(
            LogUploadReply.v2Error(.signatureMismatch, requestId: "r"),
            #"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"signature check failed"},"RequestId":"r"}}"#
        )
    }
}
