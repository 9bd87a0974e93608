import HubTesting
import XCTest

/// 07: keep-alive (MQTT-3.1.2-24): a client silent for 1.5 × its keep-alive is disconnected (and its will
/// published); any packet counts as activity; keep-alive 0 turns the timeout off. Keep-alive 1 s keeps the
/// test short; both protocol versions run at the same time.
final class MQTTConformance07KeepAliveTests: MQTTConformanceCase {
    func testSilentClientIsDisconnectedAfterOneAndAHalfKeepAlives() async throws {
        var silent: [(MQTTBytes.Version, RawMQTTClient, RawMQTTClient, String, ContinuousClock.Instant)] = []
        for version in MQTTBytes.Version.allCases {
            let topic = "keepalive/will/\(version.level)"
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, topic)
            // The broker's 1.5 s run from its receipt of CONNECT, which is after this instant.
            let sending = ContinuousClock.now
            let client = try await connected(
                version, uniqueId("silent"), keepAlive: 1, will: MQTTBytes.Will(topic: topic, payload: Array("timeout".utf8))
            )
            silent.append((version, client, watcher, topic, sending))
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (version, client, watcher, topic, sending) in silent {
                group.addTask {
                    // The broker checks keep-alives once a second: the close comes between 1.5 and 2.5 s after
                    // CONNECT. The lower bound is the rule, checked from before CONNECT was sent (a busy
                    // machine may start this task late); the upper one only catches a missing close (shared,
                    // noisy machines: no tight timing thresholds).
                    let silence = sending + .milliseconds(1450) - ContinuousClock.now
                    if silence > .zero {
                        try await client.expectSilence(for: silence, "\(version): still open before 1.5 s")
                    }
                    try await client.expectClose(timeout: .seconds(8), "\(version): closed after 1.5 s")
                    try await watcher.expect(MQTTBytes.publish(topic, "timeout"), "\(version): will on keep-alive timeout")
                }
            }
            try await group.waitForAll()
        }
        print("keep-alive close observed after \(ContinuousClock.now - start)")
    }

    /// A client that sends PINGREQ (or anything else) within the keep-alive stays connected; keep-alive 0
    /// never times out.
    func testActiveClientsAndKeepAliveZeroStayConnected() async throws {
        var pingers: [RawMQTTClient] = []
        var publishers: [(RawMQTTClient, String)] = []
        var idle: [RawMQTTClient] = []
        for version in MQTTBytes.Version.allCases {
            pingers.append(try await connected(version, uniqueId("pinger"), keepAlive: 1))
            publishers.append((try await connected(version, uniqueId("publisher"), keepAlive: 1), "ka/\(version.level)"))
            idle.append(try await connected(version, uniqueId("idle"), keepAlive: 0))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in pingers {
                group.addTask {
                    for _ in 0..<6 {
                        try await Task.sleep(for: .milliseconds(500))
                        try await client.ping()
                    }
                }
            }
            for (client, topic) in publishers {
                group.addTask {
                    for index in 0..<6 {
                        try await Task.sleep(for: .milliseconds(500))
                        try await client.send(MQTTBytes.publish(topic, "\(index)"))
                    }
                    try await client.ping()
                }
            }
            for client in idle {
                group.addTask { try await client.expectSilence(for: .seconds(3), "keep-alive 0") }
            }
            try await group.waitForAll()
        }
    }
}
