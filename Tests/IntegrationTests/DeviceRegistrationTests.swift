import CloudAPI
import DeviceAuth
import Foundation
import HubCA
import HubServer
import HubTesting
import JSONCore
import Registry
import XCTest

/// Dynamic registration over real HTTP against a hub on ephemeral ports, asserting the bytes embedded
/// clients depend on.
final class DeviceRegistrationTests: XCTestCase {
    var hub: TestHub!

    override func setUp() async throws {
        hub = try await TestHub.start()
    }

    override func tearDown() async throws {
        await hub.stopAndRemove()
    }

    /// Creates a product with dynamic registration on; returns (ProductId, ProductSecret).
    func makeProduct(auth: String = "2", mode: Int = 2, limit: Int = 100) async throws -> (String, String) {
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string("p\(UInt32.random(in: 0...UInt32.max))")), ("ProductProperties", .object(["EncryptionType": .string(auth)]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(Int64(mode))), ("RegisterLimit", .int(Int64(limit)))]
        )
        return (id, try XCTUnwrap(dynreg["ProductSecret"]?.stringValue))
    }

    func legacyRequest(_ productId: String, _ deviceName: String, secret: String, nonce: Int = 906582010) -> [UInt8] {
        let body = RegistrationWire.legacyRequestBody(
            productId: productId, deviceName: deviceName, nonce: nonce, timestamp: 1795908504, productSecret: secret
        )
        // Exactly the C SDK's header set (3.2.x), Host without port, the wrong Content-Type.
        return RawHTTP.request(
            path: "/register/dev",
            headers: [
                ("Host", "gateway.tencentdevices.com"), ("Accept", "text/xml,application/json;*/*"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body: Array(body.utf8)
        )
    }

    func v2Request(
        _ productId: String, _ deviceName: String, secret: String, algorithm: V2RegistrationSignature.Algorithm = .hmacSHA256,
        hostHeader: String? = nil, signedHost: String = "127.0.0.1", nonce: String = "123456", lowercaseNames: Bool = false
    ) -> [UInt8] {
        let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: deviceName).utf8)
        let signed = V2RegistrationHeaders(
            signing: body, host: signedHost, algorithm: algorithm, timestamp: "1609430400", nonce: nonce, productSecret: secret
        )
        var headers = [("Host", hostHeader ?? "127.0.0.1:\(hub.httpPort)"), ("Content-Type", "application/json; charset=utf-8")]
        headers += signed.fields.map { (lowercaseNames ? $0.name.lowercased() : $0.name, $0.value) }
        return RawHTTP.request(path: "/device/register", headers: headers, body: body)
    }

    func send(_ request: [UInt8]) async throws -> (status: Int, headerLines: [String], body: [UInt8]) {
        let raw = try await RawHTTP.exchange(port: hub.httpPort, request: request)
        return try XCTUnwrap(RawHTTP.parse(raw), "unparseable response: \(String(decoding: raw, as: UTF8.self))")
    }

    /// The header rules of device-protocol.md §7.1, checked on the bytes.
    func assertEmbeddedFriendly(_ response: (status: Int, headerLines: [String], body: [UInt8]), file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, 200, file: file, line: line)
        XCTAssertTrue(response.headerLines.contains("Content-Length: \(response.body.count)"), "\(response.headerLines)", file: file, line: line)
        XCTAssertTrue(response.headerLines.contains("Content-Type: application/json"), "\(response.headerLines)", file: file, line: line)
        XCTAssertFalse(response.headerLines.contains { $0.lowercased().hasPrefix("transfer-encoding") }, file: file, line: line)
    }

    /// Issue 14 item 4: a registration reply ends its connection unless the client asked for keep-alive
    /// explicitly. Tencent's C SDKs send no `Connection` header and read until the server closes, their 1 KiB
    /// buffer fills or 2 s pass; a reply that kept the connection open cost every PSK registration 2 s.
    /// Both endpoints, success and refusal; with `Connection: keep-alive` the connection stays.
    func testRegistrationRepliesCloseTheConnectionUnlessKeepAliveWasAsked() async throws {
        let (productId, secret) = try await makeProduct()
        func connectionHeader(_ request: [UInt8], _ value: String?) -> [UInt8] {
            let text = String(decoding: request, as: UTF8.self)
            return Array(text.replacingOccurrences(of: "Connection: close\r\n", with: value.map { "Connection: \($0)\r\n" } ?? "").utf8)
        }
        let requests = [
            ("legacy", legacyRequest(productId, "close-legacy", secret: secret)),
            ("v2", v2Request(productId, "close-v2", secret: secret, nonce: "777")),
            ("v2 refused", v2Request(productId, "close-refused", secret: "wrong" + secret, nonce: "778")),
        ]
        for (what, request) in requests {
            let socket = try RawSocket(port: hub.httpPort)
            _ = try await socket.send(connectionHeader(request, nil))
            let response = try await socket.response()
            XCTAssertNotNil(response, "\(what): answered")
            XCTAssertEqual(response?.headers["connection"], "close", what)
            let closed = try await socket.waitForClose(timeout: .seconds(1))
            XCTAssertTrue(closed, "\(what): the hub closes right after the reply")
            socket.close()
        }
        let keep = try RawSocket(port: hub.httpPort)
        _ = try await keep.send(connectionHeader(v2Request(productId, "keep-v2", secret: secret, nonce: "779"), "keep-alive"))
        let kept = try await keep.response()
        XCTAssertNotNil(kept)
        XCTAssertNotEqual(kept?.headers["connection"], "close")
        let closedAnyway = try await keep.waitForClose(timeout: .milliseconds(500))
        XCTAssertFalse(closedAnyway, "an explicit keep-alive keeps the connection")
        keep.close()
    }

    func testLegacyRegistrationExactlyAsTheCSDKSendsIt() async throws {
        let (productId, secret) = try await makeProduct()
        let response = try await send(legacyRequest(productId, "dev001", secret: secret))
        assertEmbeddedFriendly(response)
        XCTAssertLessThan(response.body.count, 256, "C key-device builds read the body into 256 bytes")
        guard case .success(let encrypted) = try RegistrationWire.parseLegacyResponse(response.body) else {
            return XCTFail(String(decoding: response.body, as: UTF8.self))
        }
        XCTAssertEqual(encrypted.length, 53)
        guard case .psk(let psk) = try encrypted.decrypt(productSecret: secret) else { return XCTFail("expected a PSK") }
        let device = try await hub.hub.registry.device(productId: productId, name: "dev001")
        XCTAssertEqual(device.psk, psk)
        XCTAssertTrue(device.createdByRegistration)
        XCTAssertTrue(device.credentialFetched)
        // The exact body shape: {"code":0,"message":"","len":53,"payload":"…"}
        XCTAssertEqual(
            String(decoding: response.body, as: UTF8.self),
            #"{"code":0,"message":"","len":53,"payload":"\#(encrypted.payload)"}"#
        )
    }

    func testV2RegistrationBothAlgorithmsAndHeaderForms() async throws {
        let (productId, secret) = try await makeProduct()
        // Python/Java: hmacsha256, Host with port, signed without it; header names as Python sends them.
        let a = try await send(v2Request(productId, "py-1", secret: secret, lowercaseNames: true))
        assertEmbeddedFriendly(a)
        XCTAssertLessThan(a.body.count, 256)
        guard case .success(let credential) = try RegistrationWire.parseV2Response(a.body) else {
            return XCTFail(String(decoding: a.body, as: UTF8.self))
        }
        let stored = try await hub.hub.registry.device(productId: productId, name: "py-1")
        XCTAssertEqual(try credential.decrypt(productSecret: secret), .psk(stored.psk!))
        // C 3.3.0: hmacsha1 with the SHA-1 body hash and the constant timestamp; Host as a Tencent name.
        let tencentHost = "ap-guangzhou.gateway.tencentdevices.com"
        let b = try await send(v2Request(productId, "c-1", secret: secret, algorithm: .hmacSHA1, hostHeader: tencentHost, signedHost: tencentHost))
        guard case .success = try RegistrationWire.parseV2Response(b.body) else { return XCTFail(String(decoding: b.body, as: UTF8.self)) }
    }

    /// Every refusal of §3.5 comes back with its code in both envelopes and is audited with its reason.
    func testRefusalsCarryTheirCodesAndAreAudited() async throws {
        let (psk, secret) = try await makeProduct(limit: 1)
        let (pre, preSecret) = try await makeProduct(mode: 1)
        let (off, _) = try await makeProduct(mode: 0)
        _ = try await hub.api.call("CreateDevice", [("ProductId", .string(pre)), ("DeviceName", .string("disabled-1"))])
        _ = try await hub.api.call(
            "UpdateDeviceAvailableState", [("ProductId", .string(pre)), ("DeviceName", .string("disabled-1")), ("EnableState", .int(0))]
        )
        _ = try await hub.api.call("CreateDevice", [("ProductId", .string(pre)), ("DeviceName", .string("active-1"))])
        let login = await hub.hub.registry.login(DeviceKey(productId: pre, name: "active-1"), clientIP: "127.0.0.1")
        XCTAssertEqual(login, .accepted(activated: true))
        _ = try await send(legacyRequest(psk, "first", secret: secret))  // uses the only slot

        let cases: [(String, String, String, Int, String)] = [
            (psk, "x1", "WRONG-SECRET-0123456789ab", 1010, "AuthFailure.SignatureFailure"),
            ("ZZZZZZZZZZ", "x1", secret, 1020, "ResourceNotFound.ProductNotExist"),
            (off, "x1", secret, 1022, "UnsupportedOperation.DynamicRegisterDisabled"),
            (pre, "unknown", preSecret, 1023, "ResourceNotFound.DeviceNotExist"),
            (pre, "disabled-1", preSecret, 1024, "UnauthorizedOperation.DeviceIsNotEnabled"),
            (psk, "second", secret, 1025, "LimitExceeded.DeviceExceedLimit"),
            (pre, "active-1", preSecret, 1026, "FailedOperation.DeviceAlreadyActivated"),
        ]
        for (index, (product, name, key, legacyCode, v2Code)) in cases.enumerated() {
            let legacy = try await send(legacyRequest(product, name, secret: key, nonce: 1000 + index))
            assertEmbeddedFriendly(legacy)
            let body = try JSONSerialization.jsonObject(with: Data(legacy.body)) as? [String: Any]
            XCTAssertEqual(body?["code"] as? Int, legacyCode, "\(name): \(String(decoding: legacy.body, as: UTF8.self))")
            XCTAssertNotNil(body?["requestId"] as? String)
            let v2 = try await send(v2Request(product, name, secret: key, nonce: "\(2000 + index)"))
            assertEmbeddedFriendly(v2)
            guard case .failure(let error) = try RegistrationWire.parseV2Response(v2.body) else { return XCTFail("\(name) accepted") }
            XCTAssertEqual(error.code, .v2(v2Code), name)
            XCTAssertLessThan(v2.body.count, 256)
        }
        // Product disabled: 1021.
        _ = try await hub.api.call("SetProductsForbiddenStatus", [("ProductId", .array([.string(psk)])), ("Status", .int(1))])
        let forbidden = try await send(legacyRequest(psk, "first", secret: secret))
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(forbidden.body)) as? [String: Any])?["code"] as? Int, 1021)

        let audit = try await hub.hub.registry.auditLog(AuditQuery(accepted: false, limit: 100))
        let reasons = Set(audit.attempts.map(\.reason))
        for reason in [
            "signature_mismatch", "product_not_found", "registration_disabled", "device_not_found", "device_disabled",
            "register_limit_reached", "device_already_activated", "product_disabled",
        ] {
            XCTAssertTrue(reasons.contains(reason), "missing audit reason \(reason) in \(reasons)")
        }
        XCTAssertTrue(audit.attempts.allSatisfy { $0.sourceAddress.hasPrefix("127.0.0.1:") })
    }

    func testMalformedRequestsAreRefusedAuditedAndChangeNothing() async throws {
        let (productId, secret) = try await makeProduct()
        let before = try await hub.hub.registry.devices(productId: productId, offset: 0, limit: 250).total
        let bodies: [[UInt8]] = [
            [], Array("not json".utf8), Array("[1,2]".utf8), Array(#"{"productId":1}"#.utf8),
            Array(#"{"deviceName":"a/b","nonce":1,"productId":"\#(productId)","timestamp":1,"signature":"x"}"#.utf8),
            Array(#"{"deviceName":"a+","nonce":1,"productId":"\#(productId)","timestamp":1,"signature":"x"}"#.utf8),
            Array(##"{"deviceName":"#","nonce":1,"productId":"\##(productId)","timestamp":1,"signature":"x"}"##.utf8),
            Array(#"{"deviceName":"ok","nonce":true,"productId":"\#(productId)","timestamp":1,"signature":"x"}"#.utf8),
            Array(repeating: UInt8(ascii: "a"), count: 64 * 1024),
        ]
        for body in bodies {
            let response = try await send(RawHTTP.request(path: "/register/dev", headers: [("Host", "h")], body: body))
            assertEmbeddedFriendly(response)
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            XCTAssertEqual(object?["code"] as? Int, 1000)
        }
        // v2 without the X-TC headers, and with an unknown algorithm.
        let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: "n1").utf8)
        let noHeaders = try await send(RawHTTP.request(path: "/device/register", headers: [("Host", "h")], body: body))
        guard case .failure(let e1) = try RegistrationWire.parseV2Response(noHeaders.body) else { return XCTFail("accepted") }
        XCTAssertEqual(e1.code, .v2("AuthFailure.InvalidAuthorization"))
        let signed = V2RegistrationHeaders(signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: "1", nonce: "1", productSecret: secret)
        var headers = signed.fields.map { ($0.name, $0.name == "X-TC-Algorithm" ? "md5" : $0.value) }
        headers.append(("Host", "127.0.0.1"))
        let badAlgorithm = try await send(RawHTTP.request(path: "/device/register", headers: headers, body: body))
        guard case .failure(let e2) = try RegistrationWire.parseV2Response(badAlgorithm.body) else { return XCTFail("accepted") }
        XCTAssertEqual(e2.code, .v2("AuthFailure.InvalidAuthorization"))
        let invalid = try await send(v2Request(productId, "bad/name", secret: secret))
        guard case .failure(let e3) = try RegistrationWire.parseV2Response(invalid.body) else { return XCTFail("accepted") }
        XCTAssertEqual(e3.code, .v2("InvalidParameter"))

        let after = try await hub.hub.registry.devices(productId: productId, offset: 0, limit: 250).total
        XCTAssertEqual(before, after)
        let audit = try await hub.hub.registry.auditLog(AuditQuery(reason: "invalid_request", limit: 100))
        // Every attempt is audited; beyond 5 of one source and reason they are counted into one row.
        XCTAssertGreaterThanOrEqual(audit.attempts.map(\.count).reduce(0, +), bodies.count + 1)
    }

    func testConcurrentRegistrationsOverHTTPRespectTheLimitExactly() async throws {
        let (productId, secret) = try await makeProduct(limit: 25)
        let port = hub.httpPort
        let requests = (0..<80).map { i in
            i % 2 == 0
                ? legacyRequest(productId, "c-\(i)", secret: secret, nonce: i + 1)
                : v2Request(productId, "c-\(i)", secret: secret, nonce: "\(i + 1)")
        }
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for request in requests {
                group.addTask {
                    let raw = try await RawHTTP.exchange(port: port, request: request)
                    let body = RawHTTP.parse(raw)?.body ?? []
                    return String(decoding: body, as: UTF8.self).contains("ayload")
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.filter { $0 }.count, 25)
        let total = try await hub.hub.registry.devices(productId: productId, offset: 0, limit: 250).total
        XCTAssertEqual(total, 25)
    }

    func testCertificateProductsGetACertificateFromTheHubCA() async throws {
        let (productId, secret) = try await makeProduct(auth: "1")
        let response = try await send(v2Request(productId, "cert-dev", secret: secret))
        assertEmbeddedFriendly(response)
        XCTAssertLessThan(response.body.count, 5 * 1024, "C certificate builds read 5 KiB")
        guard case .success(let encrypted) = try RegistrationWire.parseV2Response(response.body),
            case .certificate(let certificatePEM, let keyPEM) = try encrypted.decrypt(productSecret: secret)
        else { return XCTFail(String(decoding: response.body, as: UTF8.self)) }
        XCTAssertTrue(keyPEM.contains("PRIVATE KEY"))
        let identity = try hub.hub.ca.verifyDeviceCertificate(pem: certificatePEM)
        XCTAssertEqual(identity.productId, productId)
        XCTAssertEqual(identity.deviceName, "cert-dev")
        // Repeating before activation returns the same certificate.
        let again = try await send(v2Request(productId, "cert-dev", secret: secret, nonce: "99"))
        guard case .success(let encrypted2) = try RegistrationWire.parseV2Response(again.body),
            case .certificate(let certificatePEM2, _) = try encrypted2.decrypt(productSecret: secret)
        else { return XCTFail("second registration failed") }
        XCTAssertEqual(certificatePEM, certificatePEM2)
    }
}
