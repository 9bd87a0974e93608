import DeviceAuth
import XCTest

final class V2RegistrationSignatureTests: XCTestCase {
    private let secret = "a1b2c3d4e5f6g7h8i9j0k1l2"
    private let body = Array(#"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev001"}"#.utf8)
    private let defaultHosts = V2RegistrationSignature.candidateHosts(hostHeader: nil, configuredHosts: [])

    func testHMACSHA256Vector() throws {
        let vector = try TestVectors.vector("dynreg.v2.hmacsha256")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let body = try inputs.bytes("body")
        let expectedSignature = try vector.section("expected").string("X-TC-Signature")
        XCTAssertEqual(body.count, try intermediate.int("bodyLength"))

        let hashed = V2RegistrationSignature.BodyHash.sha256.hexDigest(of: body)
        XCTAssertEqual(hashed, try intermediate.string("hashedPayload"))
        let text = V2RegistrationSignature.stringToSign(
            host: try inputs.string("canonicalHost"),
            algorithmHeader: try inputs.string("algorithm"),
            timestamp: try inputs.decimal("timestamp"),
            nonce: try inputs.decimal("nonce"),
            hashedPayload: hashed
        )
        XCTAssertEqual(text, try intermediate.string("stringToSign"))
        let signature = V2RegistrationSignature.sign(
            stringToSign: text,
            productSecret: try inputs.string("productSecret"),
            algorithm: .hmacSHA256
        )
        XCTAssertEqual(signature, expectedSignature)
        XCTAssertEqual(signature.count, 44)

        // Client-side convenience gives the same.
        let headers = V2RegistrationHeaders(
            signing: body,
            host: try inputs.string("canonicalHost"),
            algorithm: .hmacSHA256,
            timestamp: try inputs.decimal("timestamp"),
            nonce: try inputs.decimal("nonce"),
            productSecret: try inputs.string("productSecret")
        )
        XCTAssertEqual(headers.signature, expectedSignature)
        XCTAssertEqual(
            headers.fields.map(\.name),
            ["X-TC-Algorithm", "X-TC-Timestamp", "X-TC-Nonce", "X-TC-Signature"]
        )
        XCTAssertEqual(headers.fields.map(\.value), ["hmacsha256", "1700000000", "123456", expectedSignature])

        XCTAssertTrue(
            V2RegistrationSignature.verify(
                signature: expectedSignature,
                productSecret: try inputs.string("productSecret"),
                candidateHosts: defaultHosts,
                algorithmHeader: "hmacsha256",
                timestamp: "1700000000",
                nonce: "123456",
                body: body
            )
        )
        XCTAssertTrue(headers.verify(body: body, productSecret: secret, candidateHosts: defaultHosts))
    }

    func testHMACSHA1VectorAcceptsBothBodyHashes() throws {
        let vector = try TestVectors.vector("dynreg.v2.hmacsha1")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let body = try inputs.bytes("body")
        let host = try inputs.string("canonicalHost")
        let secret = try inputs.string("productSecret")

        let hashed = V2RegistrationSignature.BodyHash.sha1.hexDigest(of: body)
        XCTAssertEqual(hashed, try intermediate.string("hashedPayload"))
        let text = V2RegistrationSignature.stringToSign(
            host: host,
            algorithmHeader: "hmacsha1",
            timestamp: try inputs.decimal("timestamp"),
            nonce: try inputs.decimal("nonce"),
            hashedPayload: hashed
        )
        XCTAssertEqual(text, try intermediate.string("stringToSign"))
        let sha1Signature = try vector.section("expected").string("X-TC-Signature")
        XCTAssertEqual(
            V2RegistrationSignature.sign(stringToSign: text, productSecret: secret, algorithm: .hmacSHA1),
            sha1Signature
        )
        XCTAssertEqual(sha1Signature.count, 28)
        // A client signing hmacsha1 hashes the body with SHA-1, like the C SDK.
        XCTAssertEqual(
            V2RegistrationSignature.sign(
                host: host,
                algorithm: .hmacSHA1,
                timestamp: "1700000000",
                nonce: "123456",
                body: body,
                productSecret: secret
            ),
            sha1Signature
        )

        let alsoAccept = try vector.section("alsoAccept")
        let sha256Text = V2RegistrationSignature.stringToSign(
            host: host,
            algorithmHeader: "hmacsha1",
            timestamp: "1700000000",
            nonce: "123456",
            hashedPayload: V2RegistrationSignature.BodyHash.sha256.hexDigest(of: body)
        )
        XCTAssertEqual(sha256Text, try alsoAccept.string("stringToSign"))
        let sha256Signature = try alsoAccept.string("X-TC-Signature")
        XCTAssertEqual(
            V2RegistrationSignature.sign(stringToSign: sha256Text, productSecret: secret, algorithm: .hmacSHA1),
            sha256Signature
        )
        XCTAssertEqual(
            V2RegistrationSignature.sign(
                host: host,
                algorithm: .hmacSHA1,
                timestamp: "1700000000",
                nonce: "123456",
                body: body,
                productSecret: secret,
                bodyHash: .sha256
            ),
            sha256Signature
        )

        for signature in [sha1Signature, sha256Signature] {
            XCTAssertTrue(verify(signature, algorithm: "hmacsha1", timestamp: "1700000000"), signature)
        }
    }

    func testConstantTimestampVector() throws {
        let vector = try TestVectors.vector("dynreg.v2.hmacsha1.constant_timestamp")
        let inputs = try vector.section("inputs")
        let text = V2RegistrationSignature.stringToSign(
            host: try inputs.string("canonicalHost"),
            algorithmHeader: try inputs.string("algorithm"),
            timestamp: try inputs.decimal("timestamp"),
            nonce: try inputs.decimal("nonce"),
            hashedPayload: V2RegistrationSignature.BodyHash.sha1.hexDigest(of: try inputs.bytes("body"))
        )
        XCTAssertEqual(text, try vector.section("intermediate").string("stringToSign"))
        let signature = try vector.section("expected").string("X-TC-Signature")
        XCTAssertEqual(
            V2RegistrationSignature.sign(
                stringToSign: text,
                productSecret: try inputs.string("productSecret"),
                algorithm: .hmacSHA1
            ),
            signature
        )
        // No timestamp window: a 2021 timestamp verifies.
        XCTAssertTrue(verify(signature, algorithm: "hmacsha1", timestamp: "1609430400"))
        XCTAssertFalse(verify(signature, algorithm: "hmacsha1", timestamp: "1609430401"))
    }

    func testHostPortStrippedVector() throws {
        let vector = try TestVectors.vector("dynreg.v2.hmacsha256.host_port_stripped")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let candidates = V2RegistrationSignature.candidateHosts(
            hostHeader: try inputs.string("hostHeader"),
            configuredHosts: []
        )
        XCTAssertEqual(candidates.first, try intermediate.string("canonicalHost"))

        let text = V2RegistrationSignature.stringToSign(
            host: try intermediate.string("canonicalHost"),
            algorithmHeader: try inputs.string("algorithm"),
            timestamp: try inputs.decimal("timestamp"),
            nonce: try inputs.decimal("nonce"),
            hashedPayload: V2RegistrationSignature.BodyHash.sha256.hexDigest(of: try inputs.bytes("body"))
        )
        XCTAssertEqual(text, try intermediate.string("stringToSign"))
        let signature = try vector.section("expected").string("X-TC-Signature")
        XCTAssertEqual(
            V2RegistrationSignature.sign(
                stringToSign: text,
                productSecret: try inputs.string("productSecret"),
                algorithm: .hmacSHA256
            ),
            signature
        )

        XCTAssertTrue(verify(signature, algorithm: "hmacsha256", timestamp: "1700000000", hosts: candidates))
        // Signed over 127.0.0.1: neither the default host nor the host with its port verify it.
        XCTAssertFalse(verify(signature, algorithm: "hmacsha256", timestamp: "1700000000", hosts: defaultHosts))
        XCTAssertFalse(verify(signature, algorithm: "hmacsha256", timestamp: "1700000000", hosts: ["127.0.0.1:8080"]))
    }

    func testHMACSHA256RejectsSHA1BodyHash() {
        let sha1Hashed = V2RegistrationSignature.sign(
            host: V2RegistrationSignature.defaultHost,
            algorithm: .hmacSHA256,
            timestamp: "1700000000",
            nonce: "123456",
            body: body,
            productSecret: secret,
            bodyHash: .sha1
        )
        XCTAssertFalse(verify(sha1Hashed, algorithm: "hmacsha256", timestamp: "1700000000"))
    }

    func testTamperingAndWrongSecretFail() {
        let good = "0vsLeQPrlPwU6fi2V72t22yuoZa34rFCHJ2V9mf1jts="
        XCTAssertTrue(verify(good, algorithm: "hmacsha256", timestamp: "1700000000"))

        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "2")  // dev001 → dev002
        XCTAssertFalse(verify(good, algorithm: "hmacsha256", timestamp: "1700000000", body: tampered))
        XCTAssertFalse(verify(good, algorithm: "hmacsha256", timestamp: "1700000000", body: body + [UInt8(ascii: " ")]))
        XCTAssertFalse(verify(good, algorithm: "hmacsha256", timestamp: "1700000001"))
        XCTAssertFalse(verify(good, algorithm: "hmacsha256", timestamp: "1700000000", nonce: "123457"))
        XCTAssertFalse(
            verify(good, algorithm: "hmacsha256", timestamp: "1700000000", secret: "a1b2c3d4e5f6g7h8i9j0k1l3")
        )
        XCTAssertFalse(verify(good, algorithm: "hmacsha1", timestamp: "1700000000"))
        XCTAssertFalse(verify(good, algorithm: "hmacmd5", timestamp: "1700000000"))
        XCTAssertFalse(verify("", algorithm: "hmacsha256", timestamp: "1700000000"))
        XCTAssertFalse(verify(good, algorithm: "hmacsha256", timestamp: "1700000000", hosts: []))
    }

    func testAlgorithmHeaderIsSignedVerbatim() {
        let text = V2RegistrationSignature.stringToSign(
            host: V2RegistrationSignature.defaultHost,
            algorithmHeader: "HmacSha256",
            timestamp: "1700000000",
            nonce: "123456",
            hashedPayload: V2RegistrationSignature.BodyHash.sha256.hexDigest(of: body)
        )
        let signature = V2RegistrationSignature.sign(stringToSign: text, productSecret: secret, algorithm: .hmacSHA256)
        XCTAssertTrue(verify(signature, algorithm: "HmacSha256", timestamp: "1700000000"))
        XCTAssertFalse(verify(signature, algorithm: "hmacsha256", timestamp: "1700000000"))
    }

    func testAlgorithmParsing() {
        XCTAssertEqual(V2RegistrationSignature.Algorithm(headerValue: "hmacsha256"), .hmacSHA256)
        XCTAssertEqual(V2RegistrationSignature.Algorithm(headerValue: "HmacSha256"), .hmacSHA256)
        XCTAssertEqual(V2RegistrationSignature.Algorithm(headerValue: "HMACSHA1"), .hmacSHA1)
        XCTAssertNil(V2RegistrationSignature.Algorithm(headerValue: "hmac-sha256"))
        XCTAssertNil(V2RegistrationSignature.Algorithm(headerValue: "sha256"))
        XCTAssertNil(V2RegistrationSignature.Algorithm(headerValue: ""))
        XCTAssertEqual(V2RegistrationSignature.Algorithm.hmacSHA1.headerValue, "hmacsha1")
        XCTAssertEqual(V2RegistrationSignature.Algorithm.hmacSHA256.headerValue, "hmacsha256")
    }

    func testRequestBodyBuilder() throws {
        let vectorBody = try TestVectors.vector("dynreg.v2.hmacsha256").section("inputs").string("body")
        XCTAssertEqual(RegistrationWire.v2RequestBody(productId: "ABCDEFGHIJ", deviceName: "dev001"), vectorBody)
    }

    func testEveryCandidateHostAndBodyHashVerifies() {
        // verify stops at the first matching candidate: a signature over any candidate, in any position,
        // with any accepted body hash, must still verify, and one over a host outside the list must not.
        let hosts = ["iot.example.com", "IoT.Example.com", "10.0.0.7", V2RegistrationSignature.defaultHost]
        for algorithm in V2RegistrationSignature.Algorithm.allCases {
            for bodyHash in algorithm.acceptedBodyHashes {
                for host in hosts + ["other.example.com"] {
                    let signature = V2RegistrationSignature.sign(
                        host: host, algorithm: algorithm, timestamp: "1700000000", nonce: "123456", body: body,
                        productSecret: secret, bodyHash: bodyHash
                    )
                    XCTAssertEqual(
                        verify(signature, algorithm: algorithm.headerValue, timestamp: "1700000000", hosts: hosts),
                        hosts.contains(host), "\(algorithm) \(bodyHash) \(host)"
                    )
                    XCTAssertFalse(verify(signature, algorithm: algorithm.headerValue, timestamp: "1700000000", secret: "x" + secret.dropFirst(), hosts: hosts))
                }
            }
        }
    }

    private func verify(
        _ signature: String,
        algorithm: String,
        timestamp: String,
        nonce: String = "123456",
        body: [UInt8]? = nil,
        secret: String? = nil,
        hosts: [String]? = nil
    ) -> Bool {
        V2RegistrationSignature.verify(
            signature: signature,
            productSecret: secret ?? self.secret,
            candidateHosts: hosts ?? defaultHosts,
            algorithmHeader: algorithm,
            timestamp: timestamp,
            nonce: nonce,
            body: body ?? self.body
        )
    }
}
