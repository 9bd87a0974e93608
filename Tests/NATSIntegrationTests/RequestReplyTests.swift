import HubTesting
import NATSClient
import NATSCore
import NIOCore
import Testing

extension IntegrationTests {
    @Suite struct RequestReply {
        /// A responder that answers every request on `subject` with the payload upper-cased.
        private static func startEchoResponder(
            on connection: NATSConnection,
            subject: String
        ) async throws -> Task<Void, any Error> {
            let requests = try await connection.subscribe(subject)
            try await connection.flush()
            return Task {
                for try await request in requests {
                    guard let replyTo = request.replyTo else { continue }
                    try await connection.publish(replyTo, request.string.uppercased(), headers: request.headers)
                }
            }
        }

        @Test func requestGetsItsReply() async throws {
            let server = try await NATSServerProcess.start()
            let responder = try await connect(to: server)
            let requester = try await connect(to: server)
            let task = try await Self.startEchoResponder(on: responder, subject: "svc.echo")

            let reply = try await requester.request("svc.echo", payload: Array("hello".utf8), timeout: .seconds(10))
            #expect(reply.string == "HELLO")
            #expect(reply.subject.hasPrefix("_INBOX."))

            // Concurrent requests share one inbox subscription and each gets its own reply.
            let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let reply = try await requester.request(
                            "svc.echo",
                            payload: ByteBuffer(string: "r\(index)"),
                            headers: ["Index": "\(index)"],
                            timeout: .seconds(10)
                        )
                        #expect(reply.headers?["Index"] == "\(index)")
                        return (index, reply.string)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(replies == Dictionary(uniqueKeysWithValues: (0..<20).map { ($0, "R\($0)") }))

            task.cancel()
            await requester.close()
            await responder.close()
        }

        @Test func requestWithoutRespondersFailsAtOnce() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            do {
                // The timeout is only a safety bound: the server answers "no responders" immediately.
                _ = try await connection.request("nobody.listens", payload: [UInt8](), timeout: .seconds(30))
                Issue.record("expected noResponders")
            } catch let error as NATSClientError {
                #expect(error.code == .noResponders)
            }
            await connection.close()
        }

        @Test func requestTimesOutWhenTheResponderIsSilent() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let silent = try await connection.subscribe("silent.service")
            try await connection.flush()
            do {
                _ = try await connection.request("silent.service", payload: [UInt8](), timeout: .milliseconds(200))
                Issue.record("expected timeout")
            } catch let error as NATSClientError {
                #expect(error.code == .timeout)
            }
            #expect(try await next(1, of: silent).count == 1, "the request did reach the subscriber")
            await connection.close()
        }

        @Test func cancellingARequestFailsIt() async throws {
            let server = try await NATSServerProcess.start()
            let connection = try await connect(to: server)
            let silent = try await connection.subscribe("silent.service")
            try await connection.flush()
            let request = Task {
                try await connection.request("silent.service", payload: [UInt8](), timeout: .seconds(60))
            }
            _ = try await next(1, of: silent)  // the request is in flight
            request.cancel()
            do {
                _ = try await request.value
                Issue.record("expected cancellation")
            } catch let error as NATSClientError {
                #expect(error.code == .cancelled)
            }
            await connection.close()
        }
    }
}
