import NIOCore
import MQTTCore

extension Broker {
    /// The retained messages held, by topic.
    public var retainedMessages: [MQTTPublish] { retained.messages.values.sorted { $0.topic < $1.topic } }

    /// Takes another node's retained messages as its own (a node joining a cluster takes the cluster's): a topic
    /// the other node has no message for is deleted here, every other is stored as the other node has it. Limits
    /// apply as to any retained message (what does not fit is counted as dropped). Journaled.
    public func replaceRetained(with messages: [MQTTPublish]) {
        let incoming = Set(messages.map(\.topic))
        for topic in retained.messages.keys.sorted() where !incoming.contains(topic) {
            let deletion = MQTTPublish(topic: topic, payload: ByteBuffer(), qos: .atMostOnce, retain: true)
            _ = retained.store(deletion)
            if journaling { record(.retained(deletion)) }
        }
        for message in messages where !message.topic.isEmpty && message.payload.readableBytes > 0 {
            var stored = message
            stored.retain = true
            stored.dup = false
            stored.packetId = nil
            switch retained.store(stored) {
            case .refusedFull: observer.messageDropped(reason: "retained_store_full")
            case .refusedTooLarge: observer.messageDropped(reason: "retained_too_large")
            case .stored, .deleted: if journaling { record(.retained(stored)) }
            }
        }
    }
}
