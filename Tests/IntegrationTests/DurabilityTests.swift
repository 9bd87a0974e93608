import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import Logging
import Registry
import RegistrySQLite
import XCTest

/// Nothing acknowledged is lost: registrations answered before a `kill -9` are in the registry after it.
final class DurabilityTests: XCTestCase {
    func testAcknowledgedRegistrationsSurviveKill9AndRestartsKeepEverything() async throws {
        let directory = NSTemporaryDirectory() + "iothub-kill9-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try HubProcess(dataDirectory: directory)
        try first.start()
        let credentials = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/credentials.json")))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/credentials.json")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        var api = TestAPIClient(port: first.apiPort, secretId: credentials["SecretId"]!, secretKey: credentials["SecretKey"]!)
        let created = try await api.call(
            "CreateProduct", [("ProductName", .string("durable")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(productId)), ("RegisterType", .int(2)), ("RegisterLimit", .int(1000))]
        )
        let secret = try XCTUnwrap(dynreg["ProductSecret"]?.stringValue)
        let caBefore = try String(contentsOfFile: directory + "/ca/ca.cert.pem", encoding: .utf8)

        // Register 150 devices concurrently; remember every acknowledged PSK; kill -9 at once.
        let port = first.httpPort
        let acknowledged = try await withThrowingTaskGroup(of: (String, String)?.self) { group in
            for i in 0..<150 {
                group.addTask {
                    let name = "unit-\(i)"
                    let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: name).utf8)
                    let headers = V2RegistrationHeaders(
                        signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: "1609430400", nonce: "\(i + 1)", productSecret: secret
                    )
                    let request = RawHTTP.request(
                        path: "/device/register", headers: [("Host", "127.0.0.1:\(port)")] + headers.fields.map { ($0.name, $0.value) }, body: body
                    )
                    let raw = try await RawHTTP.exchange(port: port, request: request)
                    guard let response = RawHTTP.parse(raw), case .success(let encrypted) = try RegistrationWire.parseV2Response(response.body),
                        case .psk(let psk) = try encrypted.decrypt(productSecret: secret)
                    else { return nil }
                    return (name, psk)
                }
            }
            var all: [String: String] = [:]
            for try await item in group { if let (name, psk) = item { all[name] = psk } }
            return all
        }
        first.kill9()
        XCTAssertEqual(acknowledged.count, 150)

        // The file alone holds every acknowledged device with the PSK it was given.
        let store = try await SQLiteRegistryStore.open(path: directory + "/registry.sqlite", durability: .normal, logger: Logger(label: "check"))
        let snapshot = try await store.load(auditSince: 0)
        try await store.close()
        var stored: [String: String] = [:]
        for device in snapshot.devices where device.productId == productId { stored[device.name] = device.psk }
        for (name, psk) in acknowledged {
            XCTAssertEqual(stored[name], psk, "acknowledged device \(name) lost or changed after kill -9")
        }

        // A restart reuses the data directory: same credentials, CA, product secret, devices.
        let second = try HubProcess(dataDirectory: directory)
        try second.start()
        api.port = second.apiPort
        let product = try await api.call("DescribeProduct", [("ProductId", .string(productId))])
        XCTAssertEqual(product["ProductProperties"]?["ProductSecret"], .string(secret))
        XCTAssertEqual(try String(contentsOfFile: directory + "/ca/ca.cert.pem", encoding: .utf8), caBefore)
        let devices = try await api.call("DescribeDevices", [("ProductId", .string(productId)), ("Offset", .int(0)), ("Limit", .int(250))])
        XCTAssertEqual(devices["TotalCount"], .int(150))
        // The process exports its metrics for Prometheus on the management listener.
        let metricsRaw = try await RawHTTP.exchange(
            port: second.apiPort, request: RawHTTP.request(method: "GET", path: "/metrics", headers: [("Host", "x")], body: [])
        )
        let metrics = String(decoding: try XCTUnwrap(RawHTTP.parse(metricsRaw)).body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("iothub_api_requests_total"), metrics)
        // SIGTERM: graceful shutdown, exit status 0.
        XCTAssertEqual(second.terminate(), 0)
    }

    /// Issue 13 item 5: SIGTERM in the middle of a registration storm. The hub stops accepting, finishes what
    /// it started, flushes and exits 0; every registration it answered is in the registry after a restart
    /// with the credential it was given, and what is stored is whole (each device with its PSK).
    func testSIGTERMDuringARegistrationStormLosesNothingAcknowledged() async throws {
        let directory = NSTemporaryDirectory() + "iothub-sigterm-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try HubProcess(dataDirectory: directory)
        try first.start()
        let credentials = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/credentials.json")))
        var api = TestAPIClient(port: first.apiPort, secretId: credentials["SecretId"]!, secretKey: credentials["SecretKey"]!)
        let created = try await api.call(
            "CreateProduct", [("ProductName", .string("storm")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(productId)), ("RegisterType", .int(2)), ("RegisterLimit", .int(10_000))]
        )
        let secret = try XCTUnwrap(dynreg["ProductSecret"]?.stringValue)
        let port = first.httpPort
        let storm = Task {
            try await withThrowingTaskGroup(of: (String, String)?.self) { group in
                for i in 0..<400 {
                    group.addTask {
                        let name = "storm-\(i)"
                        let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: name).utf8)
                        let headers = V2RegistrationHeaders(
                            signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: String(Int(Date().timeIntervalSince1970)),
                            nonce: "\(i + 1)", productSecret: secret
                        )
                        let request = RawHTTP.request(
                            path: "/device/register", headers: [("Host", "127.0.0.1:\(port)")] + headers.fields.map { ($0.name, $0.value) }, body: body
                        )
                        // Refused, reset or unanswered once the hub stops: not acknowledged.
                        guard let raw = try? await RawHTTP.exchange(port: port, request: request), let response = RawHTTP.parse(raw),
                            case .success(let encrypted)? = try? RegistrationWire.parseV2Response(response.body),
                            case .psk(let psk)? = try? encrypted.decrypt(productSecret: secret)
                        else { return nil }
                        return (name, psk)
                    }
                }
                var all: [String: String] = [:]
                for try await item in group { if let (name, psk) = item { all[name] = psk } }
                return all
            }
        }
        try await Task.sleep(for: .milliseconds(150))
        let status = first.terminate()
        let acknowledged = try await storm.value
        XCTAssertEqual(status, 0, "graceful shutdown exits 0")
        XCTAssertGreaterThan(acknowledged.count, 0, "some registrations were answered before the SIGTERM")

        let second = try HubProcess(dataDirectory: directory)
        try second.start()
        defer { second.kill9() }
        api.port = second.apiPort
        var stored: [String: String] = [:]
        var offset: Int64 = 0
        while true {
            let page = try await api.call("DescribeDevices", [("ProductId", .string(productId)), ("Offset", .int(offset)), ("Limit", .int(250))])
            let devices = page["Devices"]?.arrayValue ?? []
            for device in devices {
                guard let name = device["DeviceName"]?.stringValue else { continue }
                let detail = try await api.call("DescribeDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
                stored[name] = detail["DevicePsk"]?.stringValue
            }
            offset += Int64(devices.count)
            if devices.count < 250 { break }
        }
        for (name, psk) in acknowledged {
            XCTAssertEqual(stored[name], psk, "acknowledged device \(name) lost or changed by the SIGTERM")
        }
        XCTAssertTrue(stored.values.allSatisfy { !$0.isEmpty }, "every stored device has its credential")
        XCTAssertGreaterThanOrEqual(stored.count, acknowledged.count)
    }

    /// A graceful shutdown ends within `--shutdown-grace` even when a client holds a request open (its body
    /// stalled, the body timeout 600 s): what still runs is cancelled, the registry flushed, the process gone.
    func testShutdownEndsWithinItsGraceWhateverAClientHolds() async throws {
        let directory = NSTemporaryDirectory() + "iothub-grace-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hub = try HubProcess(dataDirectory: directory, arguments: ["--shutdown-grace", "2", "--http-body-timeout", "600", "--http-header-timeout", "600"])
        try hub.start()
        let socket = try RawSocket(port: hub.httpPort)
        _ = try await socket.send(Array("POST /device/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n0123456789".utf8))
        try await Task.sleep(for: .milliseconds(200))
        hub.process.terminate()
        let deadline = ContinuousClock.now + .seconds(20)
        while hub.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let exited = !hub.process.isRunning
        if !exited { hub.kill9() }
        XCTAssertTrue(exited, "the hub exits after its 2 s grace although a request is still open")
        socket.close()
    }
}
