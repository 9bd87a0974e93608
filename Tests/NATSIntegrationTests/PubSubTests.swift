import HubTesting
import NATSClient
import NATSCore
import NIOCore
import Testing

extension IntegrationTests {
    @Suite struct PubSub {
        @Test func publishSubscribeRoundTrip() async throws {
            let server = try await NATSServerProcess.start()
            let subscriber = try await connect(to: server)
            let publisher = try await connect(to: server)
            let subscription = try await subscriber.subscribe("sensors.temp")
            try await subscriber.flush()

            try await publisher.publish("sensors.temp", payload: Array("21.5".utf8))
            try await publisher.publish("sensors.temp", payload: ByteBuffer(string: "22.0"))
            try await publisher.publish("sensors.temp", payload: [UInt8]())

            let messages = try await next(3, of: subscription)
            #expect(messages.map(\.string) == ["21.5", "22.0", ""])
            #expect(messages.allSatisfy { $0.subject == "sensors.temp" && $0.replyTo == nil && $0.headers == nil })
            #expect(await publisher.statistics.outMessages == 3)
            #expect(await subscriber.statistics.inMessages == 3)
            await publisher.close()
            await subscriber.close()
        }

        @Test func queueGroupSplitsMessagesBetweenMembers() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let workerA = try await connection.subscribe("jobs", queue: "workers")
            let workerB = try await connection.subscribe("jobs", queue: "workers")
            let observer = try await connection.subscribe("jobs")
            for index in 0..<100 {
                try await connection.publish("jobs", "job \(index)")
            }
            // After the PONG every message the server routed to us has been buffered.
            try await connection.flush()
            try await workerA.unsubscribe()
            try await workerB.unsubscribe()
            try await observer.unsubscribe()

            let a = try await all(of: workerA)
            let b = try await all(of: workerB)
            let all = try await all(of: observer)
            #expect(a.count + b.count == 100, "each message goes to exactly one member")
            #expect(!a.isEmpty && !b.isEmpty, "both members get a share")
            #expect(Set((a + b).map(\.string)) == Set((0..<100).map { "job \($0)" }))
            #expect(all.count == 100, "a plain subscription gets everything")
            await connection.close()
        }

        @Test func wildcardSubscriptions() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let singleToken = try await connection.subscribe("sensors.*.temp")
            let tail = try await connection.subscribe("sensors.>")
            for subject in ["sensors.a.temp", "sensors.b.humidity", "sensors.c.d.temp", "sensors", "other.a.temp"] {
                try await connection.publish(subject, subject)
            }
            try await connection.flush()
            try await singleToken.unsubscribe()
            try await tail.unsubscribe()

            #expect(try await all(of: singleToken).map(\.subject) == ["sensors.a.temp"])
            #expect(
                try await all(of: tail).map(\.subject) == ["sensors.a.temp", "sensors.b.humidity", "sensors.c.d.temp"]
            )
            await connection.close()
        }

        @Test func headersAndReplySubjectRoundTrip() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe("with.headers")
            var headers: NATSHeaders = ["Content-Type": "application/json"]
            headers.append(name: "X-Trace", value: "a")
            headers.append(name: "X-Trace", value: "b c")
            try await connection.publish("with.headers", #"{"t":1}"#, headers: headers, replyTo: "answers.here")

            let message = try #require(try await next(1, of: subscription).first)
            #expect(message.headers == headers)
            #expect(message.headers?.values(for: "X-Trace") == ["a", "b c"])
            #expect(message.replyTo == "answers.here")
            #expect(message.string == #"{"t":1}"#)
            await connection.close()
        }

        @Test func unsubscribeAfterMaxMessagesEndsTheSequence() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let subscription = try await connection.subscribe("limited")
            try await subscription.unsubscribe(after: 3)
            for index in 0..<10 {
                try await connection.publish("limited", "\(index)")
            }
            try await connection.flush()

            #expect(try await all(of: subscription).map(\.string) == ["0", "1", "2"])
            #expect(await connection.statistics.inMessages == 3, "the server stopped delivering after 3")
            await connection.close()
        }

        @Test func invalidSubjectsAreRefused() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            await #expect(throws: NATSClientError.self) { try await connection.publish("a.*", "x") }
            await #expect(throws: NATSClientError.self) { try await connection.publish("a b", "x") }
            await #expect(throws: NATSClientError.self) { _ = try await connection.subscribe("a..b") }
            await #expect(throws: NATSClientError.self) { _ = try await connection.subscribe("a", queue: "q q") }
            do {
                try await connection.publish("", "x")
            } catch let error as NATSClientError {
                #expect(error.code == .invalidArgument)
                #expect((error.underlying as? NATSCoreError)?.code == .invalidSubject)
            }
            await connection.close()
        }
    }
}
