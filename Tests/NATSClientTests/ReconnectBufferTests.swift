import NIOCore
import Testing

@testable import NATSClient

@Suite struct ReconnectBufferTests {
    @Test func reconnectBufferKeepsItsBudget() {
        var buffer = ReconnectBuffer(capacity: 10)
        let accepted = [
            buffer.append(ByteBuffer(string: "123456")),
            buffer.append(ByteBuffer(string: "12345")),
            buffer.append(ByteBuffer(string: "1234")),
        ]
        #expect(accepted == [true, false, true])
        #expect(buffer.bytes == 10)
        let drained = buffer.removeAll().map { String(buffer: $0) }
        #expect(drained == ["123456", "1234"])
        #expect(buffer.bytes == 0)
        let refilled = buffer.append(ByteBuffer(string: "1234567890"))
        #expect(refilled)
    }
}
