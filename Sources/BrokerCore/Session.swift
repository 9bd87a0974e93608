import DequeModule
import NIOCore
import MQTTCore

/// An outbound QoS 1/2 message waiting for its acknowledgement.
struct InflightMessage {
    enum State: Equatable {
        /// QoS 1 sent, waiting for PUBACK; QoS 2 sent, waiting for PUBREC.
        case awaitingAcknowledgement
        /// QoS 2: PUBREL sent, waiting for PUBCOMP.
        case awaitingCompletion
    }

    var publish: MQTTPublish
    var state: State
    /// The message's place in the session's order (journaled sessions' storage key).
    var sequence: UInt64
}

/// A message waiting in a session's queue.
struct QueuedMessage {
    var publish: MQTTPublish
    var sequence: UInt64
}

/// The broker's state for one client id: survives disconnection when the client asked for a persistent
/// session (CleanSession 0).
final class Session {
    let clientId: String
    var identity: ClientIdentity
    var cleanSession: Bool
    var version: MQTTProtocolVersion
    var connection: ConnectionID?
    var will: MQTTWill?
    /// Seconds; 0 = no keep-alive timeout.
    var keepAlive: UInt16
    /// Milliseconds (broker clock) of the last packet received.
    var lastActivity: UInt64

    /// Filter → granted QoS.
    var subscriptions: [String: MQTTQoS] = [:]
    /// Outbound QoS>0 messages sent and not yet acknowledged, in send order.
    var inflight: [UInt16: InflightMessage] = [:]
    var inflightOrder: Deque<UInt16> = []
    /// Messages waiting for the in-flight window or for the client to come back.
    private(set) var queue: Deque<QueuedMessage> = []
    /// Bytes (topic + payload) of the queued messages.
    private(set) var queuedBytes = 0
    /// Messages dropped because the queue was full.
    var dropped = 0
    /// Milliseconds the session is kept after its connection ends: 0 ends it with the connection (MQTT 3.x
    /// CleanSession 1, MQTT 5 Session Expiry Interval 0).
    var expiryMillis: UInt64 = 0
    /// Broker clock (milliseconds) at which a disconnected session expires; nil while connected.
    var expiresAt: UInt64?
    /// The deadline under which the session is filed in the broker's expiry schedule, if it is: one entry
    /// per session, not one per disconnection (a device reconnecting every minute would otherwise leave
    /// 120 entries behind in two hours).
    var expiryFiledAt: UInt64?
    /// Inbound QoS 2 packet ids received and not yet released (exactly-once dedup).
    var inboundQoS2: Set<UInt16> = []
    var lastPacketId: UInt16 = 0
    /// The sequence of the next message (queued or sent).
    var nextSequence: UInt64 = 1
    /// The session is in the broker's journal (persistent, journaling on): its changes are recorded.
    var journaled = false
    /// The device's PUBLISH token bucket (`BrokerConfiguration.devicePublishRate`): tokens, and when they were
    /// counted (broker milliseconds); nil until the first PUBLISH.
    var publishTokens: Double = -1
    var publishTokensAt: UInt64 = 0

    init(clientId: String, identity: ClientIdentity, cleanSession: Bool, version: MQTTProtocolVersion, keepAlive: UInt16, now: UInt64) {
        self.clientId = clientId
        self.identity = identity
        self.cleanSession = cleanSession
        self.version = version
        self.keepAlive = keepAlive
        self.lastActivity = now
    }

    /// What a queued message costs the session's byte budget.
    static func size(of message: MQTTPublish) -> Int { RetainedStore.size(of: message) }

    /// Takes the next message sequence.
    func takeSequence() -> UInt64 {
        defer { nextSequence += 1 }
        return nextSequence
    }

    func enqueue(_ message: MQTTPublish, sequence: UInt64) {
        queue.append(QueuedMessage(publish: message, sequence: sequence))
        queuedBytes += Self.size(of: message)
    }

    func dequeue() -> QueuedMessage? {
        guard let message = queue.popFirst() else { return nil }
        queuedBytes -= Self.size(of: message.publish)
        return message
    }

    /// Takes a PUBLISH token; false when the session is over its rate.
    func takePublishToken(rate: Double, burst: Int, now: UInt64) -> Bool {
        if publishTokens < 0 {
            publishTokens = Double(burst)
        } else if now > publishTokensAt {
            publishTokens = min(Double(burst), publishTokens + Double(now - publishTokensAt) / 1000 * rate)
        }
        publishTokensAt = max(now, publishTokensAt)
        guard publishTokens >= 1 else { return false }
        publishTokens -= 1
        return true
    }

    /// The next free packet identifier (1…65535, skipping ids in flight).
    func nextPacketId() -> UInt16 {
        repeat {
            lastPacketId = lastPacketId == UInt16.max ? 1 : lastPacketId + 1
        } while inflight[lastPacketId] != nil
        return lastPacketId
    }

    func removeInflight(_ packetId: UInt16) {
        inflight[packetId] = nil
        if let index = inflightOrder.firstIndex(of: packetId) { inflightOrder.remove(at: index) }
    }
}
