import Foundation
import HubTesting
import XCTest

/// The poll transport when the hub runs out of file descriptors: accepting pauses (counted in
/// `iothub_mqtt_accept_errors_total`) instead of spinning on a listening socket that stays readable, the
/// connected clients are served, and once descriptors are free again new clients are accepted.
final class MQTTDescriptorExhaustionTests: XCTestCase {
    func testAcceptPausesWhenDescriptorsRunOutAndResumes() async throws {
        let directory = NSTemporaryDirectory() + "iothub-fd-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // About 38 descriptors are the hub's own (the SQLite files of the registry, the broker state and the
        // webhooks, epoll, eventfds, listeners); the rest, about 34, are for clients: fewer than the 60 below,
        // and more than the ones left waiting, so that all of those fit once the first ones are gone.
        let hub = try HubProcess(dataDirectory: directory, arguments: ["--allow-anonymous", "true", "--mqtt-tcp-engine", "poll"], descriptorLimit: 72)
        try hub.start()
        defer { hub.terminate() }
        XCTAssertNotEqual(hub.mqttPort, 0)

        // More clients than the hub has descriptors: some are accepted, the others wait in the backlog.
        var clients: [RawMQTTClient] = []
        for index in 0..<60 {
            let client = try await RawMQTTClient.connect(port: hub.mqttPort, name: "c\(index)")
            try await client.send(MQTTBytes.connect(.v3_1_1, clientId: "fd-\(index)"))
            clients.append(client)
        }
        try await Task.sleep(for: .seconds(1))
        let answered = clients.filter { $0.pending == MQTTBytes.connack(.v3_1_1) }
        XCTAssertGreaterThan(answered.count, 0, "some clients are served")
        XCTAssertLessThan(answered.count, clients.count, "the descriptor limit was reached")
        for client in answered { try await client.expect(MQTTBytes.connack(.v3_1_1), "CONNACK") }
        // While out of descriptors, the accepted clients are served.
        try await answered[0].ping("an accepted client while the hub is out of descriptors")
        try await Task.sleep(for: .seconds(1))

        // Descriptors freed: the clients waiting in the backlog are accepted and answered.
        for client in answered { await client.close() }
        let waiting = clients.filter { client in !answered.contains { $0 === client } }
        var served = 0
        for client in waiting {
            if (try? await client.expect(MQTTBytes.connack(.v3_1_1), timeout: .seconds(5))) != nil { served += 1 }
        }
        XCTAssertEqual(served, waiting.count, "every client from the backlog is answered once descriptors are free")
        for client in waiting { await client.close() }

        // The management listener shares the descriptors: the metrics are read once they are free again.
        let errors = try await acceptErrors(hub)
        XCTAssertGreaterThan(errors, 0, "accept failures are counted")
        // About 2 s out of descriptors with a pause of 250 ms per loop is a few dozen failures at most; a loop
        // spinning on the readable listening socket would count hundreds of thousands.
        XCTAssertLessThan(errors, 1000, "accepting pauses instead of spinning")
    }

    private func acceptErrors(_ hub: HubProcess) async throws -> Int {
        let raw = try await RawHTTP.exchange(
            port: hub.apiPort, request: RawHTTP.request(method: "GET", path: "/metrics", headers: [("Host", "x")], body: [])
        )
        let text = String(decoding: try XCTUnwrap(RawHTTP.parse(raw)).body, as: UTF8.self)
        var total = 0
        for line in text.split(separator: "\n") where line.hasPrefix("iothub_mqtt_accept_errors_total") {
            total += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return total
    }
}
