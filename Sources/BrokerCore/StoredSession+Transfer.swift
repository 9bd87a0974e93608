public import NIOCore
import MQTTCore

/// A session handed over between the nodes of a cluster (`Broker.handOverSession`), in bytes: version 1, the
/// client id and identity (`ClientIdentity.storageText`), the protocol level, the expiry, the subscriptions, the
/// messages and the QoS 2 packet ids received. Strings are length-prefixed (2 bytes), payloads 4 bytes, integers
/// big-endian. MQTT 5 properties are not carried.
extension StoredSession {
    static let transferVersion: UInt8 = 1

    /// The encoding, at most `maxBytes` long: queued messages that do not fit are left out, newest first (messages
    /// in flight always go); `dropped` counts them.
    public func transferEncoding(maxBytes: Int = .max) -> (bytes: ByteBuffer, dropped: Int) {
        var kept = messages
        var dropped = 0
        var size = transferSize(of: kept)
        while size > maxBytes, let index = kept.lastIndex(where: { $0.state == .queued }) {
            size -= Self.transferSize(of: kept[index])
            kept.remove(at: index)
            dropped += 1
        }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeInteger(Self.transferVersion)
        Self.writeString(session.clientId, to: &buffer)
        Self.writeString(session.identity.storageText, to: &buffer)
        buffer.writeInteger(session.version.rawValue)
        buffer.writeInteger(session.expiryMillis)
        buffer.writeInteger(UInt32(subscriptions.count))
        for (filter, qos) in subscriptions.sorted(by: { $0.key < $1.key }) {
            Self.writeString(filter, to: &buffer)
            buffer.writeInteger(qos.rawValue)
        }
        buffer.writeInteger(UInt32(kept.count))
        for message in kept {
            let publish = message.publish
            buffer.writeInteger(message.sequence)
            buffer.writeInteger(message.state.rawValue)
            let flags = publish.qos.rawValue | (publish.retain ? 0x04 : 0) | (publish.dup ? 0x08 : 0) | (publish.packetId == nil ? 0 : 0x10)
            buffer.writeInteger(flags)
            buffer.writeInteger(publish.packetId ?? 0)
            Self.writeString(publish.topic, to: &buffer)
            buffer.writeInteger(UInt32(publish.payload.readableBytes))
            buffer.writeImmutableBuffer(publish.payload)
        }
        buffer.writeInteger(UInt32(inboundQoS2.count))
        for packetId in inboundQoS2.sorted() { buffer.writeInteger(packetId) }
        return (buffer, dropped)
    }

    /// Reads `transferEncoding`; nil for anything malformed (a wrong version, a short read, bytes left over).
    public init?(transferEncoding bytes: ByteBuffer) {
        var buffer = bytes
        guard buffer.readInteger(as: UInt8.self) == Self.transferVersion, let clientId = Self.readString(&buffer), !clientId.isEmpty,
            let identityText = Self.readString(&buffer), let identity = ClientIdentity(storageText: identityText),
            let version = buffer.readInteger(as: UInt8.self).flatMap(MQTTProtocolVersion.init(rawValue:)),
            let expiryMillis = buffer.readInteger(as: UInt64.self), let subscriptionCount = buffer.readInteger(as: UInt32.self)
        else { return nil }
        var subscriptions: [String: MQTTQoS] = [:]
        for _ in 0..<subscriptionCount {
            guard let filter = Self.readString(&buffer), let qos = buffer.readInteger(as: UInt8.self).flatMap(MQTTQoS.init(rawValue:)) else { return nil }
            subscriptions[filter] = qos
        }
        guard let messageCount = buffer.readInteger(as: UInt32.self) else { return nil }
        var messages: [PersistedMessage] = []
        for _ in 0..<messageCount {
            guard let sequence = buffer.readInteger(as: UInt64.self),
                let state = buffer.readInteger(as: UInt8.self).flatMap(PersistedMessage.State.init(rawValue:)),
                let flags = buffer.readInteger(as: UInt8.self), let qos = MQTTQoS(rawValue: flags & 0x03),
                let packetId = buffer.readInteger(as: UInt16.self), let topic = Self.readString(&buffer), !topic.isEmpty,
                let length = buffer.readInteger(as: UInt32.self), let payload = buffer.readSlice(length: Int(length))
            else { return nil }
            let publish = MQTTPublish(
                topic: topic, payload: payload, qos: qos, retain: flags & 0x04 != 0, dup: flags & 0x08 != 0, packetId: flags & 0x10 != 0 ? packetId : nil
            )
            messages.append(PersistedMessage(sequence: sequence, publish: publish, state: state))
        }
        guard let receivedCount = buffer.readInteger(as: UInt32.self) else { return nil }
        var inboundQoS2: Set<UInt16> = []
        for _ in 0..<receivedCount {
            guard let packetId = buffer.readInteger(as: UInt16.self) else { return nil }
            inboundQoS2.insert(packetId)
        }
        guard buffer.readableBytes == 0 else { return nil }
        self.init(
            session: PersistedSession(clientId: clientId, identity: identity, version: version, expiryMillis: expiryMillis),
            subscriptions: subscriptions, messages: messages, inboundQoS2: inboundQoS2
        )
    }

    private func transferSize(of messages: [PersistedMessage]) -> Int {
        var size = 1 + 2 + session.clientId.utf8.count + 2 + session.identity.storageText.utf8.count + 1 + 8 + 4 + 4 + 4 + 2 * inboundQoS2.count
        for filter in subscriptions.keys { size += 2 + filter.utf8.count + 1 }
        for message in messages { size += Self.transferSize(of: message) }
        return size
    }

    private static func transferSize(of message: PersistedMessage) -> Int {
        8 + 1 + 1 + 2 + 2 + message.publish.topic.utf8.count + 4 + message.publish.payload.readableBytes
    }

    private static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(truncatingIfNeeded: string.utf8.count))
        buffer.writeString(string)
    }

    private static func readString(_ buffer: inout ByteBuffer) -> String? {
        guard let length = buffer.readInteger(as: UInt16.self) else { return nil }
        return buffer.readString(length: Int(length))
    }
}
