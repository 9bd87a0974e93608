extension BrokerChange {
    /// Drops what a batch undoes itself: a message added and acknowledged in the same batch (with its
    /// updates between), and a QoS 2 packet id received and released in it. The rest keeps its order.
    public static func coalesced(_ changes: [BrokerChange]) -> [BrokerChange] {
        struct MessageKey: Hashable {
            var clientId: String
            var sequence: UInt64
        }
        struct PacketKey: Hashable {
            var clientId: String
            var packetId: UInt16
        }
        var added: [MessageKey: Int] = [:]
        var received: [PacketKey: Int] = [:]
        var dropped = Set<Int>()
        var touching: [MessageKey: [Int]] = [:]
        for (index, change) in changes.enumerated() {
            switch change {
            case .messageAdded(let clientId, let message):
                added[MessageKey(clientId: clientId, sequence: message.sequence)] = index
            case .messageSent(let clientId, let sequence, _), .messageReleased(let clientId, let sequence):
                touching[MessageKey(clientId: clientId, sequence: sequence), default: []].append(index)
            case .messageRemoved(let clientId, let sequence):
                let key = MessageKey(clientId: clientId, sequence: sequence)
                if let first = added.removeValue(forKey: key) {
                    dropped.insert(first)
                    dropped.insert(index)
                    for other in touching[key] ?? [] where other > first { dropped.insert(other) }
                }
                touching[key] = nil
            case .qos2Received(let clientId, let packetId):
                received[PacketKey(clientId: clientId, packetId: packetId)] = index
            case .qos2Released(let clientId, let packetId):
                if let first = received.removeValue(forKey: PacketKey(clientId: clientId, packetId: packetId)) {
                    dropped.insert(first)
                    dropped.insert(index)
                }
            case .sessionEnded(let clientId), .sessionMoved(let clientId, _):
                // Rows added before in this batch are deleted by the end anyway; keep the order simple.
                added = added.filter { $0.key.clientId != clientId }
                received = received.filter { $0.key.clientId != clientId }
            default:
                break
            }
        }
        guard !dropped.isEmpty else { return changes }
        return changes.enumerated().compactMap { dropped.contains($0.offset) ? nil : $0.element }
    }
}
