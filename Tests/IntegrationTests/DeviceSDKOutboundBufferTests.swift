import HubServer
import HubTesting
import IoTHubDevice
import MQTTCore
import XCTest

/// The device SDK's MQTT client holds a bounded number of bytes of publishes: beyond
/// `outboundBufferBytes` a publish is refused with `outboundBufferFull` and counted.
final class DeviceSDKOutboundBufferTests: XCTestCase {
    func testPublishesBeyondTheOutboundBufferAreRefusedAndCounted() async throws {
        let hub = try await TestHub.start { $0.allowAnonymous = true }
        let port = await hub.port(.mqtt)
        let client = try MQTTClient(
            configuration: MQTTClientConfiguration(
                host: "127.0.0.1", port: port, clientId: "buffer-\(UInt32.random(in: 0...UInt32.max))",
                offlineQueueCapacity: 1_000, outboundBufferBytes: 64 * 1024
            )
        )
        try await client.connect()
        await hub.stopAndRemove()
        for _ in 0..<500 {
            if await !client.isConnected { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let connected = await client.isConnected
        XCTAssertFalse(connected, "the hub is gone")

        // Offline, 10 KiB publishes: six fit in 64 KiB (with their topics), the seventh does not.
        let payload = [UInt8](repeating: 0x61, count: 10 * 1024)
        for index in 0..<6 {
            try await client.publish("buffer/\(index)", payload: payload, qos: .atMostOnce)
        }
        var refused: MQTTClientError?
        do {
            try await client.publish("buffer/6", payload: payload, qos: .atMostOnce)
        } catch let error as MQTTClientError {
            refused = error
        }
        XCTAssertEqual(refused?.code, .outboundBufferFull, "the seventh publish is refused")
        let dropped = await client.droppedPublishes
        XCTAssertEqual(dropped, 1, "the refused publish is counted")
        let held = await client.outboundBufferedBytes
        XCTAssertLessThanOrEqual(held, 64 * 1024)
        XCTAssertEqual(held, 6 * (payload.count + "buffer/0".utf8.count))
        // A small one still fits.
        try await client.publish("buffer/s", payload: [0x62], qos: .atMostOnce)
        await client.disconnect()
    }
}
