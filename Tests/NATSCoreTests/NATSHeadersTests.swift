import NATSCore
import Testing

@Suite struct NATSHeadersTests {
    @Test func lookupIsCaseSensitiveAndKeepsOrder() {
        var headers: NATSHeaders = ["A": "1"]
        headers.append(name: "A", value: "2")
        headers.append(name: "a", value: "3")
        #expect(headers["A"] == "1")
        #expect(headers.values(for: "A") == ["1", "2"])
        #expect(headers["a"] == "3")
        headers["A"] = "x"
        #expect(headers.map(\.name) == ["a", "A"])
        headers["A"] = nil
        #expect(headers.values(for: "A").isEmpty)
    }

    @Test func statusLineEncoding() {
        var block: [UInt8] = []
        NATSHeaders(status: 503, statusDescription: "No Responders").write(into: &block)
        #expect(String(decoding: block, as: UTF8.self) == "NATS/1.0 503 No Responders\r\n\r\n")
        #expect(NATSHeaders(status: 503).encodedCount == "NATS/1.0 503\r\n\r\n".utf8.count)
    }

    @Test func validation() {
        #expect(throws: NATSCoreError.self) { try NATSHeaders(fields: [.init(name: "", value: "v")]).validate() }
        #expect(throws: NATSCoreError.self) { try NATSHeaders(fields: [.init(name: "a:b", value: "v")]).validate() }
        #expect(throws: NATSCoreError.self) { try NATSHeaders(fields: [.init(name: "a", value: "v\n")]).validate() }
        #expect(throws: NATSCoreError.self) { try NATSHeaders(status: 42).validate() }
        #expect(throws: Never.self) { try NATSHeaders(fields: [.init(name: "Nats-Msg-Id", value: "ü ok")]).validate() }
    }
}
