public import MQTTCore
import NIOCore

/// Retained messages by topic (MQTT-3.3.1-5…-11): one per topic, an empty payload deletes it.
public struct RetainedStore {
    public private(set) var messages: [String: MQTTPublish] = [:]
    let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    public enum Outcome: Equatable { case stored, deleted, refusedFull }

    /// Stores (or, with an empty payload, deletes) the retained message of its topic.
    public mutating func store(_ message: MQTTPublish) -> Outcome {
        if message.payload.readableBytes == 0 {
            messages[message.topic] = nil
            return .deleted
        }
        if messages[message.topic] == nil && messages.count >= limit { return .refusedFull }
        var stored = message
        stored.dup = false
        stored.packetId = nil
        messages[message.topic] = stored
        return .stored
    }

    /// Retained messages whose topic matches the filter.
    public func matching(_ filter: String) -> [MQTTPublish] {
        if !filter.contains("+") && !filter.contains("#") {
            return messages[filter].map { [$0] } ?? []
        }
        return messages.values.filter { MQTTTopic.matches(filter: filter, topic: $0.topic) }.sorted { $0.topic < $1.topic }
    }
}
