import NATSCore
import Testing

/// Fuzz-like checks: whatever the bytes, the parser returns operations, asks for more, or throws a
/// `NATSCoreError`; it never traps and never buffers beyond its limits.
@Suite struct NATSParserRobustnessTests {
    private static let limits = NATSServerOperationParser.Limits(maxControlLineLength: 256, maxPayloadSize: 512)

    /// Feeds `input` in random chunks; returns normally however parsing ends.
    private func feed(_ input: [UInt8], using random: inout SplitMix64) {
        var parser = NATSServerOperationParser(limits: Self.limits)
        var start = 0
        while start < input.count {
            let end = min(input.count, start + Int.random(in: 1...64, using: &random))
            parser.append(input[start..<end])
            start = end
            do {
                while try parser.next() != nil {}
            } catch {
                return
            }
            // Unconsumed bytes stay within one control line plus one payload.
            #expect(parser.bufferedByteCount <= Self.limits.maxControlLineLength + Self.limits.maxPayloadSize + 64 + 2)
        }
    }

    @Test func randomBytes() {
        var random = SplitMix64(state: 7)
        for _ in 0..<500 {
            let input = (0..<Int.random(in: 0...600, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            self.feed(input, using: &random)
        }
    }

    @Test func randomProtocolLikeTokens() {
        let tokens = ["MSG ", "HMSG ", "PING", "PONG", "+OK", "-ERR ", "INFO ", "{", "}", "\"", ":", ",", " ", "\r\n",
                      "\r", "\n", "a.b", "_INBOX.1", "1", "12", "99999999999999999999", "-1", "NATS/1.0", "503", "x"]
        var random = SplitMix64(state: 11)
        for _ in 0..<2000 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...40, using: &random) {
                input += Array(tokens.randomElement(using: &random)!.utf8)
            }
            self.feed(input, using: &random)
        }
    }

    @Test func mutatedValidStream() {
        let valid = Array(
            ("INFO {\"server_id\":\"N\",\"max_payload\":100}\r\nMSG a.b 1 _R 5\r\nhello\r\n"
                + "HMSG a 2 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n").utf8
        )
        var random = SplitMix64(state: 13)
        for _ in 0..<3000 {
            var input = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            self.feed(input, using: &random)
        }
    }

    @Test func deeplyNestedInfoIsRejectedNotOverflowed() {
        let json = "{\"server_id\":\"a\",\"x\":" + String(repeating: "[", count: 10_000) + "}"
        var parser = NATSServerOperationParser()
        parser.append(Array("INFO \(json)\r\n".utf8))
        do {
            _ = try parser.next()
            Issue.record("expected malformedJSON")
        } catch {
            #expect(error.code == .malformedJSON)
        }
    }
}
