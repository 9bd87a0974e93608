import HubTesting
import NATSClient
import Synchronization
import Testing

@testable import NATSClient

extension IntegrationTests {
    @Suite struct Backpressure {
        private final class Progress: Sendable {
            let stop = Atomic(false)
            let published = Atomic(0)
        }

        /// With the server frozen, the socket buffers fill and the channel stops being writable: a publish then
        /// waits instead of queueing more bytes; it completes once the server reads again.
        @Test func publishWaitsWhileTheChannelIsNotWritable() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            server.suspend()
            let progress = Progress()
            let payload = [UInt8](repeating: 0x42, count: 256 * 1024)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Bounded: 1000 × 256 KiB is far more than loopback socket buffers hold.
                    for _ in 0..<1000 where !progress.stop.load(ordering: .relaxed) {
                        try await connection.publish("pressure", payload: payload)
                        progress.published.add(1, ordering: .relaxed)
                    }
                }
                try await eventually("a publish waiting for writability") { await connection.waitingPublishCount == 1 }
                let before = progress.published.load(ordering: .relaxed)
                #expect(before < 1000, "the publisher is blocked, not done")
                progress.stop.store(true, ordering: .relaxed)
                server.resume()
                try await group.waitForAll()
                #expect(progress.published.load(ordering: .relaxed) == before + 1, "the waiting publish completed")
            }
            try await connection.flush()
            #expect(await connection.status == .connected)
            await connection.close()
        }
    }
}
