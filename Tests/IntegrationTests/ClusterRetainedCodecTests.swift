@testable import HubServer
import MQTTCore
import NIOCore
import XCTest

/// The chunks a node answers a starting node's request for retained messages with (`ClusterRetained`).
final class ClusterRetainedCodecTests: XCTestCase {
    func message(_ i: Int, bytes: Int) -> MQTTPublish {
        MQTTPublish(topic: "p/d/\(i)", payload: ByteBuffer(repeating: UInt8(i % 256), count: bytes), qos: i % 2 == 0 ? .atMostOnce : .atLeastOnce, retain: true)
    }

    func testChunksFitTheBudgetAndDecodeToTheSameMessagesInOrder() throws {
        let messages = (0..<50).map { message($0, bytes: 100 + $0) }
        let chunks = ClusterRetained.chunked(messages, node: "n1", maxBytes: 1000)
        XCTAssertGreaterThan(chunks.count, 5)
        XCTAssertTrue(chunks.allSatisfy { $0.readableBytes <= 1000 })
        var decoded: [MQTTPublish] = []
        for (index, chunk) in chunks.enumerated() {
            let parsed = try XCTUnwrap(ClusterRetained.decode(chunk))
            XCTAssertEqual(parsed.node, "n1")
            XCTAssertEqual(parsed.index, index)
            XCTAssertEqual(parsed.count, chunks.count)
            decoded += parsed.messages
        }
        XCTAssertEqual(decoded, messages)
    }

    func testNothingHeldIsOneEmptyChunkAndAMessageTooLargeToCrossIsLeftOut() throws {
        let empty = ClusterRetained.chunked([], node: "n1", maxBytes: 1000)
        XCTAssertEqual(empty.count, 1)
        XCTAssertEqual(ClusterRetained.decode(empty[0])?.messages.count, 0)
        let chunks = ClusterRetained.chunked([message(1, bytes: 10), message(2, bytes: 5000), message(3, bytes: 10)], node: "n1", maxBytes: 1000)
        XCTAssertEqual(chunks.flatMap { ClusterRetained.decode($0)?.messages ?? [] }.map(\.topic), ["p/d/1", "p/d/3"])
    }

    func testMalformedChunksAreRefused() throws {
        let chunk = try XCTUnwrap(ClusterRetained.chunked([message(1, bytes: 20)], node: "n1", maxBytes: 1000).first)
        for length in 0..<chunk.readableBytes where length != 1 + 2 + 2 + 8 {
            XCTAssertNil(ClusterRetained.decode(chunk.getSlice(at: 0, length: length)!), "truncated to \(length)")
        }
        var badIndex = chunk
        badIndex.setInteger(UInt32(7), at: 1 + 2 + 2)
        XCTAssertNil(ClusterRetained.decode(badIndex), "index past the count")
    }
}
