import CloudAPI
import Foundation
import XCTest

/// The replay check of `APIRequestDecoder`: a verified signature seen again with another request is
/// refused; identical retries pass; entries leave with the signature window; a full cache refuses new ones.
final class APIReplayCacheTests: XCTestCase {
    private let timestamp: Int64 = 1_700_000_000
    private let signer = TC3Signer(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)

    private func decoder(maxEntries: Int = 100, observe: @escaping @Sendable (APIReplayCache.Event) -> Void = { _ in }) -> APIRequestDecoder {
        APIRequestDecoder(replayCache: APIReplayCache(maxEntries: maxEntries, window: 300, observe: observe))
    }

    private func at(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    /// A TC3 POST signed as the official SDKs sign it (`content-type;host`).
    private func post(_ action: String, body: String = #"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev1"}"#, timestamp: Int64? = nil) -> APIHTTPRequest {
        let bytes = Array(body.utf8)
        let headers = signer.postJSONHeaders(
            action: action, version: "2021-04-08", host: "127.0.0.1:8080", body: bytes, timestamp: timestamp ?? self.timestamp,
            region: "ap-guangzhou", language: "en-US", requestClient: "SDK_PYTHON_3.1.195"
        )
        return APIHTTPRequest(method: "POST", headers: headers, body: bytes)
    }

    /// The same request with one header's value replaced (the signature stays valid: it does not cover it).
    private func replacing(_ name: String, with value: String, in request: APIHTTPRequest) -> APIHTTPRequest {
        var copy = request
        copy.headers.fields = request.headers.fields.map { $0.name.lowercased() == name.lowercased() ? .init(name: $0.name, value: value) : $0 }
        return copy
    }

    func testSignatureReplayedWithAnotherActionIsRefused() throws {
        let decoder = decoder()
        let describe = post("DescribeDevice")
        XCTAssertEqual(try decoder.decode(describe, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        let delete = replacing("X-TC-Action", with: "DeleteDevice", in: describe)
        // Without the cache this request verifies: the action is not signed.
        XCTAssertEqual(try APIRequestDecoder().decode(delete, now: at(timestamp), secretKey: TestVectors.lookup).action, "DeleteDevice")
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(delete, now: at(timestamp + 10), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure", messageContains: "replay")
    }

    func testSignatureReplayedWithAnotherVersionRegionOrBodyIsRefused() throws {
        let decoder = decoder()
        let original = post("DescribeDevice")
        _ = try decoder.decode(original, now: at(timestamp), secretKey: TestVectors.lookup)
        for replay in [
            replacing("X-TC-Version", with: "2018-06-14", in: original),
            replacing("X-TC-Region", with: "ap-beijing", in: original),
        ] {
            XCTAssertAPIError({ () throws(APIError) in try decoder.decode(replay, now: at(timestamp + 3), secretKey: TestVectors.lookup) },
                code: "AuthFailure.SignatureFailure")
        }
        // A second X-TC-Action header after the first.
        var doubled = original
        doubled.headers.add(name: "X-TC-Action", value: "DeleteDevice")
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(doubled, now: at(timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
        // An unsigned payload: the body is not covered by the signature either.
        let unsignedBody = Array(#"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev1"}"#.utf8)
        var unsigned = APIHTTPRequest(method: "POST", headers: [
            ("Host", "127.0.0.1:8080"), ("Content-Type", "application/json"), ("X-TC-Action", "DescribeDevice"),
            ("X-TC-Version", "2021-04-08"), ("X-TC-Timestamp", String(timestamp + 1)), ("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"),
        ], body: unsignedBody)
        let signature = signer.sign(
            method: "POST", host: "127.0.0.1:8080", canonicalQueryString: "", contentType: "application/json",
            body: unsignedBody, timestamp: timestamp + 1, unsignedPayload: true
        )
        unsigned.headers.add(name: "Authorization", value: signature.authorization)
        XCTAssertEqual(try decoder.decode(unsigned, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        var otherBody = unsigned
        otherBody.body = Array(#"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev2"}"#.utf8)
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(otherBody, now: at(timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
    }

    func testIdenticalRetriesPass() throws {
        let decoder = decoder()
        let request = post("DescribeDevice")
        for offset in [0, 1, 299] as [Int64] {
            XCTAssertEqual(try decoder.decode(request, now: at(timestamp + offset), secretKey: TestVectors.lookup).action, "DescribeDevice")
        }
        // Nor do the headers in another order (URLSession sends them in no fixed order).
        var reordered = request
        reordered.headers.fields.reverse()
        XCTAssertEqual(try decoder.decode(reordered, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        // A different trace id, language or client name does not make it another request (two SDK clients
        // configured differently sending the same call in the same second).
        var traced = replacing("X-TC-Language", with: "zh-CN", in: replacing("X-TC-RequestClient", with: "SDK_GO", in: request))
        traced.headers.add(name: "X-TC-TraceId", value: "trace-2")
        XCTAssertEqual(try decoder.decode(traced, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        XCTAssertEqual(decoder.replayCache?.count, 1)
    }

    func testRequestsThatCannotRunAreNotRemembered() throws {
        // A client with an unserved version gets NoSuchVersion, not a replay refusal, and its signature is
        // not taken: the same signature with a served version still runs.
        let decoder = decoder()
        let request = post("DescribeDevice")
        let unserved = replacing("X-TC-Version", with: "2017-01-01", in: request)
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(unserved, now: self.at(self.timestamp), secretKey: TestVectors.lookup) },
            code: "NoSuchVersion")
        XCTAssertEqual(decoder.replayCache?.count, 0)
        XCTAssertEqual(try decoder.decode(request, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(unserved, now: self.at(self.timestamp), secretKey: TestVectors.lookup) },
            code: "NoSuchVersion")
    }

    func testUnverifiedRequestsAreNotRemembered() throws {
        let decoder = decoder()
        let request = post("DescribeDevice")
        // A forged copy (another action) sent first with a wrong key must not block the real request.
        let forged = replacing("X-TC-Action", with: "DeleteDevice", in: request)
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(forged, now: at(timestamp)) { _ in "wrong key" } },
            code: "AuthFailure.SignatureFailure")
        XCTAssertEqual(decoder.replayCache?.count, 0)
        XCTAssertEqual(try decoder.decode(request, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
    }

    func testEntriesExpireWithTheSignatureWindow() throws {
        let expired = Counted()
        let decoder = decoder(observe: { if case .expired(let n) = $0 { expired.add(n) } })
        _ = try decoder.decode(post("DescribeDevice"), now: at(timestamp), secretKey: TestVectors.lookup)
        _ = try decoder.decode(post("DescribeDevice", timestamp: timestamp + 100), now: at(timestamp + 100), secretKey: TestVectors.lookup)
        XCTAssertEqual(decoder.replayCache?.count, 2)
        // Still inside the first request's window (timestamp + 300): kept.
        _ = try decoder.decode(post("DescribeDevice", timestamp: timestamp + 300), now: at(timestamp + 300), secretKey: TestVectors.lookup)
        XCTAssertEqual(decoder.replayCache?.count, 3)
        XCTAssertEqual(expired.value, 0)
        // One second later its signature is refused as expired anyway, and its entry goes.
        _ = try decoder.decode(post("DescribeDevice", timestamp: timestamp + 301), now: at(timestamp + 301), secretKey: TestVectors.lookup)
        XCTAssertEqual(decoder.replayCache?.count, 3)
        XCTAssertEqual(expired.value, 1)
        // A clock jump far ahead empties everything.
        let late = timestamp + 10_000
        _ = try decoder.decode(post("DescribeDevice", timestamp: late), now: at(late), secretKey: TestVectors.lookup)
        XCTAssertEqual(decoder.replayCache?.count, 1)
        XCTAssertEqual(expired.value, 4)
    }

    func testFullCacheRefusesNewSignaturesAndKeepsOldOnes() throws {
        let refused = Counted()
        let decoder = decoder(maxEntries: 2, observe: { if case .refused(.full) = $0 { refused.add(1) } })
        let first = post("DescribeDevice", timestamp: timestamp)
        let second = post("DescribeDevice", timestamp: timestamp + 1)
        _ = try decoder.decode(first, now: at(timestamp + 1), secretKey: TestVectors.lookup)
        _ = try decoder.decode(second, now: at(timestamp + 1), secretKey: TestVectors.lookup)
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(self.post("DescribeDevice", timestamp: self.timestamp + 2), now: self.at(self.timestamp + 2), secretKey: TestVectors.lookup) },
            code: "RequestLimitExceeded")
        XCTAssertEqual(refused.value, 1)
        // The remembered ones still refuse replays and still allow retries.
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(self.replacing("X-TC-Action", with: "DeleteDevice", in: first), now: self.at(self.timestamp + 4), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
        XCTAssertEqual(try decoder.decode(first, now: at(timestamp + 2), secretKey: TestVectors.lookup).action, "DescribeDevice")
        // Once the first leaves its window there is room again.
        _ = try decoder.decode(post("DescribeDevice", timestamp: timestamp + 301), now: at(timestamp + 301), secretKey: TestVectors.lookup)
    }

    // MARK: one client's keep-alive connection

    private func on(_ connection: String, _ request: APIHTTPRequest) -> APIHTTPRequest {
        var copy = request
        copy.connection = connection
        return copy
    }

    func testAnotherRequestWithTheSameSignatureOnTheFirstConnectionPasses() throws {
        // What the official SDK sends for CreateDevice then DeleteDevice of one device within one second:
        // the same body, so the same signature, on its keep-alive connection.
        let decoder = decoder()
        let create = on("127.0.0.1:50000", post("CreateDevice"))
        let delete = on("127.0.0.1:50000", replacing("X-TC-Action", with: "DeleteDevice", in: create))
        XCTAssertEqual(try decoder.decode(create, now: at(timestamp), secretKey: TestVectors.lookup).action, "CreateDevice")
        XCTAssertEqual(try decoder.decode(delete, now: at(timestamp), secretKey: TestVectors.lookup).action, "DeleteDevice")
        // Both are now known: retried from anywhere they pass.
        XCTAssertEqual(try decoder.decode(on("127.0.0.1:50001", delete), now: at(timestamp), secretKey: TestVectors.lookup).action, "DeleteDevice")
        // A third variant from another connection (an attacker's), past the grace, is refused; on the first
        // connection it would still pass.
        let describe = on("127.0.0.1:50001", replacing("X-TC-Action", with: "DescribeDevice", in: create))
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(describe, now: self.at(self.timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
        // A request without a known connection cannot claim the first one's.
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(self.replacing("X-TC-Action", with: "DescribeDevice", in: self.post("CreateDevice")), now: self.at(self.timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
    }

    func testAnotherRequestWithTheSameSignatureWithinTheGracePassesFromAnyConnection() throws {
        // tccli opens a connection per call: CreateDevice then DescribeDevice of one device in one second are
        // the same signature on two connections, a second or so apart.
        let decoder = decoder()
        let create = on("127.0.0.1:50000", post("CreateDevice"))
        XCTAssertEqual(try decoder.decode(create, now: at(timestamp), secretKey: TestVectors.lookup).action, "CreateDevice")
        let describe = on("127.0.0.1:50002", replacing("X-TC-Action", with: "DescribeDevice", in: create))
        XCTAssertEqual(try decoder.decode(describe, now: at(timestamp + 2), secretKey: TestVectors.lookup).action, "DescribeDevice")
        // Past the grace, a new variant from another connection is a replay.
        let delete = on("127.0.0.1:50003", replacing("X-TC-Action", with: "DeleteDevice", in: create))
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(delete, now: self.at(self.timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure", messageContains: "replay")
        // With no grace, even one second later it is.
        let strictGrace = APIRequestDecoder(replayCache: APIReplayCache(maxEntries: 10, window: 300, variantGrace: 0))
        _ = try strictGrace.decode(create, now: at(timestamp), secretKey: TestVectors.lookup)
        XCTAssertAPIError({ () throws(APIError) in try strictGrace.decode(describe, now: self.at(self.timestamp + 1), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
    }

    func testVariantsOnOneConnectionAreBounded() throws {
        let decoder = decoder()
        let first = on("127.0.0.1:50000", post("DescribeDevice"))
        _ = try decoder.decode(first, now: at(timestamp), secretKey: TestVectors.lookup)
        for index in 1..<APIReplayCache.maxVariants {
            let variant = replacing("X-TC-Region", with: "region-\(index)", in: first)
            XCTAssertEqual(try decoder.decode(variant, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        }
        let oneTooMany = replacing("X-TC-Region", with: "region-x", in: first)
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(oneTooMany, now: self.at(self.timestamp), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
    }

    func testStrictModeRefusesVariantsEvenOnTheFirstConnection() throws {
        let decoder = APIRequestDecoder(replayCache: APIReplayCache(maxEntries: 10, window: 300, allowsVariants: false))
        let create = on("127.0.0.1:50000", post("CreateDevice"))
        _ = try decoder.decode(create, now: at(timestamp), secretKey: TestVectors.lookup)
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(self.replacing("X-TC-Action", with: "DeleteDevice", in: create), now: self.at(self.timestamp), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
        XCTAssertEqual(try decoder.decode(create, now: at(timestamp), secretKey: TestVectors.lookup).action, "CreateDevice")
    }

    // MARK: legacy signatures

    private func legacy(_ action: String, nonce: UInt64, device: String = "dev1", method: String = "POST") -> APIHTTPRequest {
        let signer = LegacySigner(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)
        let parameters = signer.signedParameters(
            action: action, version: "2021-04-08", parameters: [("ProductId", "ABCDEFGHIJ"), ("DeviceName", device)],
            httpMethod: method, host: "127.0.0.1:8080", timestamp: timestamp, nonce: nonce, region: "ap-guangzhou"
        )
        let form = FormURLEncoding.encode(parameters)
        if method == "GET" {
            return APIHTTPRequest(method: "GET", rawQuery: form, headers: [("Host", "127.0.0.1:8080")])
        }
        return APIHTTPRequest(
            method: "POST", headers: [("Host", "127.0.0.1:8080"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8)
        )
    }

    func testLegacyNonceReusedForAnotherRequestIsRefused() throws {
        let decoder = decoder()
        let first = legacy("DescribeDevice", nonce: 42)
        XCTAssertEqual(try decoder.decode(first, now: at(timestamp), secretKey: TestVectors.lookup).action, "DescribeDevice")
        // An identical retry passes.
        XCTAssertEqual(try decoder.decode(first, now: at(timestamp + 5), secretKey: TestVectors.lookup).action, "DescribeDevice")
        // A correctly signed, different request with the same SecretId, Timestamp and Nonce is refused.
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(self.legacy("DeleteDevice", nonce: 42), now: self.at(self.timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure", messageContains: "Nonce")
        XCTAssertAPIError({ () throws(APIError) in try decoder.decode(self.legacy("DescribeDevice", nonce: 42, device: "dev2"), now: self.at(self.timestamp + 3), secretKey: TestVectors.lookup) },
            code: "AuthFailure.SignatureFailure")
        // Another Nonce is another request.
        XCTAssertEqual(try decoder.decode(legacy("DeleteDevice", nonce: 43), now: at(timestamp), secretKey: TestVectors.lookup).action, "DeleteDevice")
    }
}

/// A counter the observer closures can bump.
private final class Counted: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ n: Int) { lock.withLock { count += n } }
}
