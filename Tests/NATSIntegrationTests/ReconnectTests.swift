import HubTesting
import NATSClient
import NATSCore
import NIOCore
import Testing

extension IntegrationTests {
    @Suite struct Reconnect {
        @Test func reconnectsAfterServerRestartAndResubscribes() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe("survives.restart")
            let limited = try await connection.subscribe("limited.restart")
            try await limited.unsubscribe(after: 2)
            try await connection.publish("limited.restart", "l0")
            try await connection.flush()

            server.stop()
            try await eventually("the client noticed the disconnect") { await connection.status == .reconnecting }
            // Published while disconnected: buffered, sent after the subscriptions on reconnect.
            try await connection.publish("survives.restart", "while down")
            try await server.restart()
            try await eventually("the client reconnected") { await connection.status == .connected }
            #expect(await connection.statistics.reconnects == 1)

            try await connection.publish("survives.restart", "after restart")
            #expect(try await next(2, of: subscription).map(\.string) == ["while down", "after restart"])

            // The auto-unsubscribe limit carried over: one message was left.
            for index in 1..<4 {
                try await connection.publish("limited.restart", "l\(index)")
            }
            try await connection.flush()
            #expect(try await all(of: limited).map(\.string) == ["l0", "l1"])
            await connection.close()
        }

        @Test func publishesWhileDisconnectedAreRefusedBeyondTheBufferBudget() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server) { $0.reconnect.bufferBytes = 100 }
            server.stop()
            try await eventually("the client noticed the disconnect") { await connection.status == .reconnecting }

            try await connection.publish("x", payload: [UInt8](repeating: 0, count: 60))
            do {
                try await connection.publish("x", payload: [UInt8](repeating: 0, count: 60))
                Issue.record("expected reconnectBufferFull")
            } catch let error as NATSClientError {
                #expect(error.code == .reconnectBufferFull)
            }
            await connection.close()
        }

        @Test func serverPingsAreAnswered() async throws {
            // The server pings every 250 ms and drops a client with more than two unanswered PINGs: a client that never
            // answers is dropped before the fifth PING; one that answers within half a second (under ThreadSanitizer on
            // a loaded machine too) is not.
            let server = try await NATSServerProcess.start(config: "ping_interval: \"250ms\"\nping_max: 2\n")
            let connection = try await connect(to: server)
            try await eventually("several server PINGs") { await connection.statistics.serverPings >= 5 }
            #expect(await connection.status == .connected)
            #expect(await connection.statistics.reconnects == 0, "the server never dropped us")
            try await connection.flush()
            await connection.close()
        }

        @Test func unansweredClientPingsDeclareTheConnectionStale() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server) {
                $0.keepAlive = .init(pingInterval: .milliseconds(50), maxOutstandingPings: 2)
                $0.connectTimeout = .milliseconds(500)
            }
            server.suspend()
            try await eventually("the connection declared stale") {
                await connection.statistics.staleConnections >= 1
            }
            #expect(await connection.status == .reconnecting)
            server.resume()
            try await eventually("the client reconnected") { await connection.status == .connected }
            try await connection.flush()
            #expect(await connection.statistics.reconnects >= 1)
            await connection.close()
        }

        @Test func rotatesToTheNextServer() async throws {
            let first = try await NATSServerProcess.start()
            let second = try await NATSServerProcess.start()
            let connection = NATSConnection(
                configuration: configuration(ports: [first.port, second.port]),
                logger: testLogger
            )
            try await connection.connect()
            #expect(await connection.serverInfo?.port == first.port)
            let subscription = try await connection.subscribe("moves")

            first.stop()
            try await eventually("reconnected to the second server") {
                let port = await connection.serverInfo?.port
                return await connection.status == .connected && port == second.port
            }
            try await connection.publish("moves", "on second")
            #expect(try await next(1, of: subscription).map(\.string) == ["on second"])
            await connection.close()
        }

        @Test func givesUpAfterMaxAttempts() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server) { $0.reconnect.maxAttempts = 3 }
            let subscription = try await connection.subscribe("ends")
            server.stop()
            try await eventually("the connection gave up") { await connection.status == .closed }
            do {
                _ = try await all(of: subscription)
                Issue.record("the subscription should end with an error")
            } catch let error as NATSClientError {
                #expect(error.code == .reconnectFailed)
            }
        }
    }
}
