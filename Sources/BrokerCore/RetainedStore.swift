public import MQTTCore
import NIOCore

/// Retained messages by topic (MQTT-3.3.1-5…-11): one per topic, an empty payload deletes it. Bounded by
/// count, by the bytes of all messages together and by the size of one message.
public struct RetainedStore {
    public private(set) var messages: [String: MQTTPublish] = [:]
    /// Bytes (topic + payload) of the messages held.
    public private(set) var bytes = 0
    let limit: Int
    let maxBytes: Int
    let maxMessageBytes: Int

    public init(limit: Int, maxBytes: Int = .max, maxMessageBytes: Int = .max) {
        self.limit = limit
        self.maxBytes = maxBytes
        self.maxMessageBytes = maxMessageBytes
    }

    public enum Outcome: Equatable {
        case stored, deleted
        /// Not stored: the count or the total bytes would pass their limit.
        case refusedFull
        /// Not stored: the message alone is over the per-message limit.
        case refusedTooLarge
    }

    /// What a message costs the store's byte budget.
    public static func size(of message: MQTTPublish) -> Int { message.topic.utf8.count + message.payload.readableBytes }

    /// Stores (or, with an empty payload, deletes) the retained message of its topic.
    public mutating func store(_ message: MQTTPublish) -> Outcome {
        if message.payload.readableBytes == 0 {
            if let old = messages.removeValue(forKey: message.topic) { bytes -= Self.size(of: old) }
            return .deleted
        }
        let size = Self.size(of: message)
        guard size <= maxMessageBytes else { return .refusedTooLarge }
        let replaced = messages[message.topic].map(Self.size(of:))
        if replaced == nil && messages.count >= limit { return .refusedFull }
        guard bytes - (replaced ?? 0) + size <= maxBytes else { return .refusedFull }
        var stored = message
        stored.dup = false
        stored.packetId = nil
        messages[message.topic] = stored
        bytes += size - (replaced ?? 0)
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
