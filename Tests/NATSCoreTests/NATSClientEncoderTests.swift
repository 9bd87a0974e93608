import NATSCore
import Testing

@Suite struct NATSClientEncoderTests {
    private func encoded(_ write: (inout [UInt8]) throws(NATSCoreError) -> Void) throws -> String {
        var out: [UInt8] = []
        try write(&out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func connectWithoutCredentials() throws {
        let options = NATSConnectOptions(name: "hub-1", clientVersion: "1.2.3")
        let text = try encoded { (out: inout [UInt8]) throws(NATSCoreError) in try NATSClientEncoder.writeConnect(options, into: &out) }
        #expect(
            text
                == #"CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"hub-1","lang":"swift","#
                + #""version":"1.2.3","protocol":1,"echo":true,"headers":true,"no_responders":true}"# + "\r\n"
        )
    }

    @Test func connectWithUserPasswordEscapesJSON() throws {
        let options = NATSConnectOptions(auth: .userPassword(user: "hub", password: "p\"w\\d\n"), echo: false)
        let text = try encoded { (out: inout [UInt8]) throws(NATSCoreError) in try NATSClientEncoder.writeConnect(options, into: &out) }
        #expect(
            text
                == #"CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"lang":"swift","version":"0.1.0","#
                + #""protocol":1,"echo":false,"headers":true,"no_responders":true,"user":"hub","pass":"p\"w\\d\n"}"#
                + "\r\n"
        )
        #expect(!options.description.contains("p\"w"))
    }

    @Test func connectWithToken() throws {
        let options = NATSConnectOptions(auth: .token("s3cret\u{01}"))
        let text = try encoded { (out: inout [UInt8]) throws(NATSCoreError) in try NATSClientEncoder.writeConnect(options, into: &out) }
        #expect(text.hasSuffix(#""no_responders":true,"auth_token":"s3cret\u0001"}"# + "\r\n"))
        #expect(!options.description.contains("s3cret"))
    }

    @Test func publish() throws {
        #expect(
            try encoded { (out: inout [UInt8]) throws(NATSCoreError) in
                try NATSClientEncoder.writePublish(subject: "a.b", payload: Array("hello".utf8), into: &out)
            } == "PUB a.b 5\r\nhello\r\n"
        )
        #expect(
            try encoded { (out: inout [UInt8]) throws(NATSCoreError) in
                try NATSClientEncoder.writePublish(subject: "a", replyTo: "_INBOX.1", payload: [UInt8](), into: &out)
            } == "PUB a _INBOX.1 0\r\n\r\n"
        )
    }

    @Test func publishWithHeaders() throws {
        var headers: NATSHeaders = ["Content-Type": "text/plain"]
        headers.append(name: "X-Trace", value: "1")
        headers.append(name: "X-Trace", value: "2")
        var out: [UInt8] = []
        let size = try NATSClientEncoder.writePublish(
            subject: "a.b",
            replyTo: "r",
            headers: headers,
            payload: Array("hi".utf8),
            into: &out
        )
        let block = "NATS/1.0\r\nContent-Type: text/plain\r\nX-Trace: 1\r\nX-Trace: 2\r\n\r\n"
        #expect(String(decoding: out, as: UTF8.self) == "HPUB a.b r \(block.utf8.count) \(block.utf8.count + 2)\r\n\(block)hi\r\n")
        #expect(size == block.utf8.count + 2)
    }

    @Test func emptyHeadersArePlainPublish() throws {
        #expect(
            try encoded { (out: inout [UInt8]) throws(NATSCoreError) in
                try NATSClientEncoder.writePublish(subject: "a", headers: NATSHeaders(), payload: [UInt8(1)], into: &out)
            } == "PUB a 1\r\n\u{01}\r\n"
        )
    }

    @Test func subscribeAndUnsubscribe() throws {
        #expect(
            try encoded { (out: inout [UInt8]) throws(NATSCoreError) in
                try NATSClientEncoder.writeSubscribe(subject: "a.*.>", queueGroup: nil, sid: 1, into: &out)
            } == "SUB a.*.> 1\r\n"
        )
        #expect(
            try encoded { (out: inout [UInt8]) throws(NATSCoreError) in
                try NATSClientEncoder.writeSubscribe(subject: "jobs", queueGroup: "workers", sid: 42, into: &out)
            } == "SUB jobs workers 42\r\n"
        )
        var out: [UInt8] = []
        NATSClientEncoder.writeUnsubscribe(sid: 42, maxMessages: nil, into: &out)
        NATSClientEncoder.writeUnsubscribe(sid: 7, maxMessages: 3, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "UNSUB 42\r\nUNSUB 7 3\r\n")
        #expect(NATSClientEncoder.ping == Array("PING\r\n".utf8))
        #expect(NATSClientEncoder.pong == Array("PONG\r\n".utf8))
    }

    @Test func invalidArgumentsAppendNothing() {
        var out: [UInt8] = []
        #expect(throws: NATSCoreError.self) {
            try NATSClientEncoder.writePublish(subject: "a.*", payload: [UInt8](), into: &out)
        }
        #expect(throws: NATSCoreError.self) {
            try NATSClientEncoder.writePublish(subject: "a", replyTo: "r >", payload: [UInt8](), into: &out)
        }
        #expect(throws: NATSCoreError.self) {
            try NATSClientEncoder.writePublish(subject: "a", headers: ["Bad Name": "v"], payload: [UInt8](), into: &out)
        }
        #expect(throws: NATSCoreError.self) {
            try NATSClientEncoder.writePublish(subject: "a", headers: ["K": "line\r\nbreak"], payload: [UInt8](), into: &out)
        }
        #expect(throws: NATSCoreError.self) {
            try NATSClientEncoder.writeSubscribe(subject: "a", queueGroup: "two words", sid: 1, into: &out)
        }
        #expect(throws: NATSCoreError.self) {
            try NATSClientEncoder.writeConnect(NATSConnectOptions(name: "bad\nname"), into: &out)
        }
        #expect(out.isEmpty)
    }

    /// What the encoder writes, the parser (playing the server's delivery) reads back identically.
    @Test func headersRoundTripThroughTheParser() throws {
        let headers = NATSHeaders(fields: [.init(name: "A", value: "1"), .init(name: "b-c", value: "x: y")])
        var block: [UInt8] = []
        headers.write(into: &block)
        #expect(try NATSHeaders(parsing: block[...]) == headers)
    }
}
