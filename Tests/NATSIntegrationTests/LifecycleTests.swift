import HubTesting
import Logging
import NATSClient
import NATSCore
import NIOCore
import ServiceLifecycle
import Testing

extension IntegrationTests {
    @Suite struct Lifecycle {
        @Test func connectFailsWhenNoServerListens() async throws {
            let server = try await NATSServerProcess.start()
            server.stop()  // a loopback port that nothing listens on now
            let connection = NATSConnection(configuration: configuration(ports: [server.port]), logger: testLogger)
            do {
                try await connection.connect()
                Issue.record("expected connectionFailed")
            } catch let error as NATSClientError {
                #expect(error.code == .connectionFailed)
            }
            #expect(await connection.status == .idle)
            await #expect(throws: NATSClientError.self) { try await connection.publish("a", "b") }
        }

        @Test func credentialsAreChecked() async throws {
            let server = try await NATSServerProcess.start(arguments: ["--user", "hub", "--pass", "s3cret"])
            let good = try await connect(to: server) {
                $0.connectOptions.auth = .userPassword(user: "hub", password: "s3cret")
            }
            try await good.flush()
            await good.close()

            let bad = NATSConnection(
                configuration: configuration(ports: [server.port]) {
                    $0.connectOptions.auth = .userPassword(user: "hub", password: "wrong")
                },
                logger: testLogger
            )
            do {
                try await bad.connect()
                Issue.record("expected connectionFailed")
            } catch let error as NATSClientError {
                #expect(error.code == .connectionFailed)
                let cause = error.underlying as? NATSClientError
                #expect(cause?.serverMessage?.contains("Authorization Violation") == true)
            }
        }

        @Test func drainDeliversBufferedMessagesThenCloses() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe("drained")
            for index in 0..<5 {
                try await connection.publish("drained", "\(index)")
            }
            try await connection.drain()
            #expect(await connection.status == .closed)
            #expect(try await all(of: subscription).map(\.string) == ["0", "1", "2", "3", "4"])
            do {
                try await connection.publish("drained", "late")
                Issue.record("expected connectionClosed")
            } catch let error as NATSClientError {
                #expect(error.code == .connectionClosed)
            }
        }

        @Test func closeEndsSubscriptionsAndFailsPendingRequests() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe("silent")
            try await connection.flush()
            let request = Task { try await connection.request("silent", payload: [UInt8](), timeout: .seconds(60)) }
            _ = try await next(1, of: subscription)
            await connection.close()
            do {
                _ = try await request.value
                Issue.record("expected connectionClosed")
            } catch let error as NATSClientError {
                #expect(error.code == .connectionClosed)
            }
            #expect(try await all(of: subscription).isEmpty)
        }

        @Test func runsAsAServiceAndDrainsOnGracefulShutdown() async throws {
            let server = try await NATSServerProcess.start()
            let connection = NATSConnection(configuration: configuration(ports: [server.port]), logger: testLogger)
            let group = ServiceGroup(services: [connection], logger: testLogger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually("connected by run()") { await connection.status == .connected }
                let subscription = try await connection.subscribe("svc")
                try await connection.publish("svc", "one")
                try await connection.flush()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(try await all(of: subscription).map(\.string) == ["one"])
            }
            #expect(await connection.status == .closed)
        }
    }
}
