import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import Registry
import XCTest

/// Randomised malformed bodies and headers against both HTTP surfaces: every answer is a 200 with a
/// well-formed envelope of the surface's own protocol, nothing crashes, and the registry is unchanged.
final class MalformedInputFuzzTests: XCTestCase {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments: [String] = [
        "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-1", "1e999", "18446744073709551616", "\\u0000", "\\ud800",
        "\"productId\"", "\"deviceName\"", "\"ProductId\"", "\"DeviceName\"", "\"nonce\"", "\"timestamp\"", "\"signature\"",
        "\"a/b\"", "\"#\"", "\"+\"", "\"ABCDEFGHIJ\"", "\"\"", "é", "\u{0}", "\r\n", "Action", "=", "&", "%ZZ", "%00",
    ]

    func randomBody(_ rng: inout SplitMix64) -> [UInt8] {
        switch rng.next() % 4 {
        case 0:
            return (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        default:
            return Array((0..<Int(rng.next() % 24)).map { _ in Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))] }.joined().utf8)
        }
    }

    func randomHeaders(_ rng: inout SplitMix64) -> [(String, String)] {
        let names = [
            "X-TC-Algorithm", "x-tc-timestamp", "X-TC-Nonce", "X-TC-Signature", "Authorization", "X-TC-Action", "X-TC-Version",
            "X-TC-Timestamp", "Content-Type", "Host",
        ]
        let values = [
            "hmacsha256", "HmacSha1", "", "TC3-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=zz",
            "TC3-HMAC-SHA256", "2021-04-08", "2018-06-14", "1999-01-01", "CreateProduct", "DescribeDevices",
            "application/json", "application/x-www-form-urlencoded", "99999999999999999999999", "-5", "http://x:1",
        ]
        return (0..<Int(rng.next() % 6)).map { _ in
            (names[Int(rng.next() % UInt64(names.count))], values[Int(rng.next() % UInt64(values.count))])
        }
    }

    func testRandomisedMalformedInputOnBothSurfaces() async throws {
        let hub = try await TestHub.start()
        do {
            let created = try await hub.api.call(
                "CreateProduct", [("ProductName", .string("fuzz")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
            )
            let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
            _ = try await hub.api.call(
                "UpdateProductDynamicRegister", [("ProductId", .string(productId)), ("RegisterType", .int(2)), ("RegisterLimit", .int(100))]
            )
            _ = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("keep"))])
            let productsBefore = await hub.hub.registry.products(offset: 0, limit: 250)
            let devicesBefore = try await hub.hub.registry.devices(productId: productId, offset: 0, limit: 250)

            var rng = SplitMix64(state: 0x1077_4B)
            for iteration in 0..<400 {
                let body = randomBody(&rng)
                let headers = randomHeaders(&rng)
                let target = rng.next() % 3
                let port = target == 2 ? hub.apiPort : hub.httpPort
                let path = target == 0 ? "/register/dev" : (target == 1 ? "/device/register" : (rng.next() % 2 == 0 ? "/" : "/?Action=CreateProduct&Version=2021-04-08&x=%ZZ"))
                let method = target == 2 && rng.next() % 4 == 0 ? "GET" : "POST"
                let raw = try await RawHTTP.exchange(port: port, request: RawHTTP.request(method: method, path: path, headers: headers, body: body))
                let response = try XCTUnwrap(RawHTTP.parse(raw), "iteration \(iteration): no HTTP response")
                XCTAssertEqual(response.status, 200, "iteration \(iteration)")
                XCTAssertTrue(response.headerLines.contains("Content-Type: application/json"), "iteration \(iteration)")
                let object = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "iteration \(iteration)")
                switch target {
                case 0:
                    let code = try XCTUnwrap(object["code"] as? Int, "iteration \(iteration)")
                    XCTAssertNotEqual(code, 0, "iteration \(iteration): malformed request accepted")
                case 1:
                    let error = (object["Response"] as? [String: Any])?["Error"] as? [String: Any]
                    XCTAssertNotNil(error?["Code"] as? String, "iteration \(iteration): malformed request accepted")
                default:
                    let response = object["Response"] as? [String: Any]
                    XCTAssertNotNil(response?["RequestId"] as? String, "iteration \(iteration)")
                    XCTAssertNotNil((response?["Error"] as? [String: Any])?["Code"] as? String, "iteration \(iteration): unsigned request accepted")
                }
            }
            let productsAfter = await hub.hub.registry.products(offset: 0, limit: 250)
            let devicesAfter = try await hub.hub.registry.devices(productId: productId, offset: 0, limit: 250)
            XCTAssertEqual(productsBefore.products, productsAfter.products)
            XCTAssertEqual(devicesBefore.devices, devicesAfter.devices)
        } catch {
            await hub.stopAndRemove()
            throw error
        }
        await hub.stopAndRemove()
    }
}
