import HubTesting
import NATSClient
import NATSCore
import NIOCore
import Testing

extension IntegrationTests {
    @Suite struct Limits {
        @Test func slowConsumerBufferIsBoundedInMessagesAndCountsDrops() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe(
                "firehose",
                limits: NATSSubscription.Limits(maxMessages: 5, maxBytes: 1 << 20)
            )
            for index in 0..<20 {
                try await connection.publish("firehose", "\(index)")
            }
            try await connection.flush()  // all 20 have arrived; nobody consumed

            #expect(subscription.pendingCount == 5)
            #expect(subscription.droppedCount == 15)
            #expect(await connection.statistics.droppedMessages == 15)
            // The oldest messages are kept; consuming makes room again.
            #expect(try await next(5, of: subscription).map(\.string) == ["0", "1", "2", "3", "4"])
            try await connection.publish("firehose", "after")
            #expect(try await next(1, of: subscription).map(\.string) == ["after"])
            #expect(subscription.droppedCount == 15)
            await connection.close()
        }

        @Test func slowConsumerBufferIsBoundedInBytes() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe(
                "blobs",
                limits: NATSSubscription.Limits(maxMessages: 1000, maxBytes: 100)
            )
            for _ in 0..<10 {
                try await connection.publish("blobs", payload: [UInt8](repeating: 7, count: 30))
            }
            try await connection.flush()
            #expect(subscription.pendingCount == 3)
            #expect(subscription.droppedCount == 7)
            await connection.close()
        }

        @Test func publishOverServerMaxPayloadIsRefused() async throws {
            let server = try await NATSServerProcess.start(config: "max_payload: 1024\n")
            let connection = try await connect(to: server)
            #expect(await connection.serverInfo?.maxPayload == 1024)
            let subscription = try await connection.subscribe("big")

            do {
                try await connection.publish("big", payload: [UInt8](repeating: 1, count: 1025))
                Issue.record("expected maxPayloadExceeded")
            } catch let error as NATSClientError {
                #expect(error.code == .maxPayloadExceeded)
            }
            // Headers count against max_payload too.
            await #expect(throws: NATSClientError.self) {
                try await connection.publish("big", payload: [UInt8](repeating: 1, count: 1020), headers: ["K": "v"])
            }
            // Exactly max_payload is fine, and the connection is still usable.
            try await connection.publish("big", payload: [UInt8](repeating: 2, count: 1024))
            let message = try #require(try await next(1, of: subscription).first)
            #expect(message.payload.readableBytes == 1024)
            #expect(await connection.status == .connected)
            await connection.close()
        }

        /// A message over the client's own parser limit is a protocol error: the connection is closed (not
        /// crashed) and re-established, and works afterwards.
        @Test func inboundPayloadOverTheParserLimitResetsTheConnection() async throws {
            let server = try await NATSServerProcess.start()
            let small = try await connect(to: server) { $0.parserLimits.maxPayloadSize = 100 }
            let publisher = try await connect(to: server)
            let subscription = try await small.subscribe("sized")
            try await small.flush()

            try await publisher.publish("sized", payload: [UInt8](repeating: 1, count: 101))
            try await eventually("the client reconnected after the protocol error") {
                let reconnects = await small.statistics.reconnects
                let status = await small.status
                return reconnects == 1 && status == .connected
            }
            try await small.flush()  // the subscription was re-sent before this PONG
            try await publisher.publish("sized", payload: [UInt8](repeating: 2, count: 100))
            let message = try #require(try await next(1, of: subscription).first)
            #expect(message.payload.readableBytes == 100)
            await publisher.close()
            await small.close()
        }
    }
}
