import NATSCore
import Testing

@Suite struct NATSServerOperationParserTests {
    static let info =
        #"INFO {"server_id":"NABC","server_name":"n1","version":"2.9.10","proto":1,"host":"127.0.0.1","port":4222,"#
        + #""headers":true,"max_payload":1048576,"client_id":7,"connect_urls":["10.0.0.1:4222"],"x":{"y":[1,2.5,null]}}"#
        + "\r\n"

    /// One of every server operation, in one stream.
    static let stream = bytes(
        info
            + "MSG foo.bar 9 11\r\nhello world\r\n"
            + "MSG foo.bar 9 _INBOX.x.1 0\r\n\r\n"
            + hmsg("a.b 12 _INBOX.r", block: "NATS/1.0\r\nK1: v1\r\nK1: v2\r\nX-Y:z\r\n\r\n", payload: "hello")
            + "HMSG _INBOX.q.1 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
            + "PING\r\nPONG\r\n+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"
            + "msg lower 1 2\r\nhi\r\n"
    )

    static func hmsg(_ arguments: String, block: String, payload: String) -> String {
        "HMSG \(arguments) \(block.utf8.count) \(block.utf8.count + payload.utf8.count)\r\n\(block)\(payload)\r\n"
    }

    static let expected: [NATSServerOperation] = [
        .info(
            NATSServerInfo(
                serverID: "NABC",
                serverName: "n1",
                version: "2.9.10",
                proto: 1,
                host: "127.0.0.1",
                port: 4222,
                headers: true,
                maxPayload: 1_048_576,
                clientID: 7,
                connectURLs: ["10.0.0.1:4222"]
            )
        ),
        .message(NATSInboundMessage(subject: "foo.bar", sid: 9, payload: bytes("hello world"))),
        .message(NATSInboundMessage(subject: "foo.bar", sid: 9, replyTo: "_INBOX.x.1", payload: [])),
        .message(
            NATSInboundMessage(
                subject: "a.b",
                sid: 12,
                replyTo: "_INBOX.r",
                headers: NATSHeaders(fields: [
                    .init(name: "K1", value: "v1"), .init(name: "K1", value: "v2"), .init(name: "X-Y", value: "z"),
                ]),
                payload: bytes("hello")
            )
        ),
        .message(NATSInboundMessage(subject: "_INBOX.q.1", sid: 3, headers: NATSHeaders(status: 503), payload: [])),
        .ping, .pong, .ok, .error("Unknown Protocol Operation"),
        .message(NATSInboundMessage(subject: "lower", sid: 1, payload: bytes("hi"))),
    ]

    @Test func wholeStreamAtOnce() throws {
        #expect(try parseAll([Self.stream[...]]) == Self.expected)
    }

    @Test func splitAtEveryByte() throws {
        let stream = Self.stream
        for split in 0...stream.count {
            let operations = try parseAll([stream[..<split], stream[split...]])
            #expect(operations == Self.expected, "split at \(split)")
        }
    }

    @Test func dripFedOneByteAtATime() throws {
        let chunks = Self.stream.indices.map { Self.stream[$0..<($0 + 1)] }
        #expect(try parseAll(chunks) == Self.expected)
    }

    @Test func randomChunkings() throws {
        var random = SplitMix64(state: 42)
        let stream = Self.stream
        for _ in 0..<200 {
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + Int.random(in: 1...40, using: &random))
                chunks.append(stream[start..<end])
                start = end
            }
            #expect(try parseAll(chunks) == Self.expected)
        }
    }

    @Test func statusHeadersWithDescription() throws {
        let block = "NATS/1.0 408 Request Timeout\r\n\r\n"
        let operations = try parseAll([bytes("HMSG s 1 \(block.utf8.count) \(block.utf8.count)\r\n\(block)\r\n")[...]])
        guard case .message(let message) = operations.first else {
            Issue.record("expected a message")
            return
        }
        #expect(message.headers?.status == 408)
        #expect(message.headers?.statusDescription == "Request Timeout")
        #expect(message.payload.isEmpty)
    }

    @Test func controlLineOverTheLimitFailsBeforeItsEnd() {
        let limits = NATSServerOperationParser.Limits(maxControlLineLength: 16, maxPayloadSize: 1024)
        var parser = NATSServerOperationParser(limits: limits)
        parser.append(bytes("MSG a.very.long.subject.name 1 5"))  // no CRLF yet
        #expect(throws: NATSCoreError.self) { try parser.next() }
        do {
            _ = try parser.next()
            Issue.record("a failed parser must stay failed")
        } catch {
            #expect(error.code == .controlLineTooLong)
        }
    }

    @Test func controlLineExactlyAtTheLimitIsAccepted() throws {
        let limits = NATSServerOperationParser.Limits(maxControlLineLength: 11, maxPayloadSize: 1024)
        let operations = try parseAll([bytes("MSG abc 1 2\r\nhi\r\n")[...]], limits: limits)
        #expect(operations.count == 1)
    }

    @Test func completeControlLineOverTheLimitFails() {
        let limits = NATSServerOperationParser.Limits(maxControlLineLength: 10, maxPayloadSize: 1024)
        #expect(throws: NATSCoreError(.controlLineTooLong, "control line of 11 bytes")) {
            try parseAll([bytes("MSG abc 1 2\r\nhi\r\n")[...]], limits: limits)
        }
    }

    @Test func payloadOverTheLimitFailsAtItsControlLine() {
        let limits = NATSServerOperationParser.Limits(maxControlLineLength: 100, maxPayloadSize: 4)
        var parser = NATSServerOperationParser(limits: limits)
        parser.append(bytes("MSG a 1 5\r\n"))  // no payload byte has arrived
        do {
            _ = try parser.next()
            Issue.record("expected payloadTooLarge")
        } catch {
            #expect(error.code == .payloadTooLarge)
        }
        #expect(throws: NATSCoreError.self) {
            try parseAll([bytes("HMSG a 1 2 5\r\n")[...]], limits: limits)
        }
    }

    @Test(arguments: [
        "MSG a 1\r\n",  // too few arguments
        "MSG a b c d e\r\n",  // too many
        "MSG a x 1\r\n",  // sid not a number
        "MSG a 1 -1\r\n",  // size not a number
        "HMSG a 1 6 5\r\n",  // header size above total
        "MSG a 1 2\r\nabc\r\n",  // payload longer than announced
        "PING now\r\n",  // arguments where none are allowed
        "PING\n",  // LF without CR
    ])
    func malformedOperations(input: String) {
        do {
            _ = try parseAll([bytes(input)[...]])
            Issue.record("expected malformedOperation for \(input.debugDescription)")
        } catch {
            #expect(error.code == .malformedOperation, "\(input.debugDescription)")
        }
    }

    @Test func unknownOperation() {
        do {
            _ = try parseAll([bytes("HELLO there\r\n")[...]])
            Issue.record("expected unknownOperation")
        } catch {
            #expect(error.code == .unknownOperation)
        }
    }

    @Test(arguments: ["NATS/1.1\r\n\r\n", "NATS/1.0 5x\r\n\r\n", "NATS/1.0\r\nNoColon\r\n\r\n", "NATS/1.0\r\n: v\r\n\r\n"])
    func malformedHeaderBlocks(block: String) {
        let input = "HMSG s 1 \(block.utf8.count) \(block.utf8.count)\r\n\(block)\r\n"
        do {
            _ = try parseAll([bytes(input)[...]])
            Issue.record("expected malformedHeaders for \(block.debugDescription)")
        } catch {
            #expect(error.code == .malformedHeaders)
        }
    }

    @Test(arguments: ["INFO\r\n", "INFO {\r\n", "INFO []\r\n", #"INFO {"port":1}"# + "\r\n", #"INFO {"server_id":"a"} x"# + "\r\n"])
    func malformedInfo(input: String) {
        do {
            _ = try parseAll([bytes(input)[...]])
            Issue.record("expected malformedJSON for \(input.debugDescription)")
        } catch {
            #expect(error.code == .malformedJSON)
        }
    }

    @Test func infoStringEscapes() throws {
        let input = #"INFO {"server_id":"a\"b\\c\/d\u00e9\ud83d\ude00\n"}"# + "\r\n"
        let operations = try parseAll([bytes(input)[...]])
        #expect(operations == [.info(NATSServerInfo(serverID: "a\"b\\c/d\u{e9}\u{1F600}\n", proto: 0, headers: false))])
    }

    @Test func largePayloadAcrossManyChunksKeepsBufferBounded() throws {
        var parser = NATSServerOperationParser()
        let payload = [UInt8](repeating: 0x61, count: 100_000)
        var received = 0
        for _ in 0..<20 {
            parser.append(bytes("MSG big 1 \(payload.count)\r\n"))
            for chunk in stride(from: 0, to: payload.count, by: 7_000) {
                parser.append(payload[chunk..<min(payload.count, chunk + 7_000)])
                while let operation = try parser.next() {
                    if case .message(let message) = operation { received += message.payload.count }
                }
            }
            parser.append(bytes("\r\n"))
            while let operation = try parser.next() {
                if case .message(let message) = operation { received += message.payload.count }
            }
            #expect(parser.bufferedByteCount == 0)
        }
        #expect(received == 20 * payload.count)
    }
}
