import BrokerCore
import MQTTCore
import NIOCore

/// The workloads whose heap allocations are counted. Each runs a fixed number of operations, so its
/// count is comparable from run to run and build to build of the same configuration.
struct AllocationScenario {
    var name: String
    var operations: Int
    /// Runs the workload once.
    var run: () -> Void
}

enum AllocationScenarios {
    static let topic = "ABCDEFGHIJ/dev1/event"
    static let payload = ByteBuffer(repeating: UInt8(ascii: "a"), count: 64)

    static func all() -> [AllocationScenario] {
        [control(), encodePublish(), decodePublish(), matchSubscriptions()]
    }

    /// Allocates exactly 1,000 objects: proves the counter counts.
    static func control() -> AllocationScenario {
        final class Box {
            var value = 0
        }
        var kept: [Box] = []
        kept.reserveCapacity(1_000)
        return AllocationScenario(name: "control.allocate-1000-objects", operations: 1_000) {
            kept.removeAll(keepingCapacity: true)
            for index in 0..<1_000 {
                let box = Box()
                box.value = index
                kept.append(box)
            }
            precondition(kept.count == 1_000)
        }
    }

    /// Encodes 1,000 QoS 1 PUBLISH packets (64-byte payload) into one buffer.
    static func encodePublish() -> AllocationScenario {
        var buffer = ByteBufferAllocator().buffer(capacity: 1 << 17)
        let publish = MQTTPublish(topic: topic, payload: payload, qos: .atLeastOnce, packetId: 1)
        return AllocationScenario(name: "codec.encode-publish", operations: 1_000) {
            buffer.clear()
            for index in 0..<1_000 {
                var packet = publish
                packet.packetId = UInt16(index + 1)
                MQTTPacketEncoder.encode(.publish(packet), version: .v3_1_1, into: &buffer)
            }
            precondition(buffer.readableBytes > 0)
        }
    }

    /// Frames and decodes 1,000 QoS 1 PUBLISH packets from one buffer.
    static func decodePublish() -> AllocationScenario {
        var encoded = ByteBufferAllocator().buffer(capacity: 1 << 17)
        for index in 0..<1_000 {
            MQTTPacketEncoder.encode(
                .publish(MQTTPublish(topic: topic, payload: payload, qos: .atLeastOnce, packetId: UInt16(index + 1))),
                version: .v3_1_1, into: &encoded
            )
        }
        let source = encoded
        let framer = MQTTFrameDecoder(maxPacketSize: 1 << 20)
        return AllocationScenario(name: "codec.decode-publish", operations: 1_000) {
            var buffer = source
            var decoded = 0
            while let frame = try! framer.decodeFrame(&buffer) {
                guard case .publish(let publish) = try! MQTTPacketDecoder.decode(frame, version: .v3_1_1) else { fatalError("not a PUBLISH") }
                decoded += publish.payload.readableBytes == 64 ? 1 : 0
            }
            precondition(decoded == 1_000)
        }
    }

    /// Matches 1,000 topics against a tree of 10,000 filters shaped like a hub's: per-device exact
    /// filters, single-level wildcards in a device's namespace, and RRPC wildcards.
    static func matchSubscriptions() -> AllocationScenario {
        let tree = SubscriptionTree()
        var filters = 0
        for device in 0..<4_500 {
            _ = tree.insert(filter: "ABCDEFGHIJ/dev\(device)/control", clientId: "c\(device)", qos: .atLeastOnce)
            _ = tree.insert(filter: "ABCDEFGHIJ/dev\(device)/data", clientId: "c\(device)", qos: .atMostOnce)
            filters += 2
        }
        for device in 0..<500 {
            _ = tree.insert(filter: "ABCDEFGHIJ/dev\(device)/+", clientId: "w\(device)", qos: .atMostOnce)
            _ = tree.insert(filter: "$rrpc/rxd/ABCDEFGHIJ/dev\(device)/+", clientId: "c\(device)", qos: .atMostOnce)
            filters += 2
        }
        precondition(filters == 10_000 && tree.count == 10_000)
        let topics = (0..<1_000).map { "ABCDEFGHIJ/dev\($0)/data" }
        return AllocationScenario(name: "trie.match-10000-filters", operations: 1_000) {
            var matched = 0
            for topic in topics {
                matched += tree.subscribers(matching: topic).count
            }
            precondition(matched == 1_500)
        }
    }
}
