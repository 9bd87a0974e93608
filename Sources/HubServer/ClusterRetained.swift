import BrokerCore
import Foundation
import Logging
import MQTTCore
import MQTTServer
import NATSClient
import NATSCore
import NIOCore

/// Retained messages across a cluster. Every node stores the retained messages routed in the cluster while it runs
/// (`ClusterBridge`); a node that starts (or restarts) asks the others for what they hold, before its listeners
/// open, and takes the first answer as its own (`Broker.replaceRetained`): what was set or deleted while it was
/// away is then as on the other nodes. A node alone in its cluster keeps what it had.
///
/// The request goes to `iothub.cluster.retained.sync` with a reply subject; one running node (a NATS queue group)
/// answers there with its retained messages in chunks that fit the server's `max_payload`: version 1, the node, the chunk's index and
/// the count of chunks (4 bytes each), then messages (flags: QoS in bits 0–1; the topic with a 2-byte length; the
/// payload with a 4-byte length).
enum ClusterRetained {
    static let syncSubject = "iothub.cluster.retained.sync"
    /// How long a starting node waits for the first answer (a node alone waits this long, once, at start).
    static let answerTimeout: Duration = .seconds(1)

    /// Asks the other nodes; nil if none answered in time.
    static func fetch(connection: NATSConnection, logger: Logger) async -> [MQTTPublish]? {
        let inbox = "iothub.cluster.retained.reply.\(UInt64.random(in: 0...UInt64.max))"
        guard let replies = try? await connection.subscribe(inbox) else { return nil }
        defer { Task { try? await replies.unsubscribe() } }
        do {
            try await connection.publish(syncSubject, payload: [], replyTo: inbox)
        } catch {
            logger.warning("cluster retained messages not asked for", metadata: ["error": "\(error)"])
            return nil
        }
        return await withTaskGroup(of: [MQTTPublish]?.self) { group in
            group.addTask {
                var from: String?
                var chunks: [Int: [MQTTPublish]] = [:]
                do {
                    for try await reply in replies {
                        guard let chunk = decode(reply.payload), from == nil || from == chunk.node else { continue }
                        from = chunk.node
                        chunks[chunk.index] = chunk.messages
                        if chunks.count == chunk.count { return (0..<chunk.count).flatMap { chunks[$0] ?? [] } }
                    }
                } catch {}
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: answerTimeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Answers a request with this node's retained messages.
    static func answer(_ request: NATSMessage, host: BrokerHost, node: String, connection: NATSConnection, logger: Logger) async {
        guard let replyTo = request.replyTo else { return }
        let messages = host.inspect { $0.retainedMessages }
        let maxPayload = await connection.serverInfo?.maxPayload ?? 1_048_576
        let chunks = chunked(messages, node: node, maxBytes: maxPayload - 64)
        for chunk in chunks {
            do { try await connection.publish(replyTo, payload: chunk) } catch {
                logger.warning("cluster retained messages not sent", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// The messages in chunks of at most `maxBytes` (a message alone over it is left out: it could not cross).
    static func chunked(_ messages: [MQTTPublish], node: String, maxBytes: Int) -> [ByteBuffer] {
        let header = 1 + 2 + node.utf8.count + 4 + 4
        var groups: [[MQTTPublish]] = [[]]
        var size = header
        for message in messages {
            let cost = 1 + 2 + message.topic.utf8.count + 4 + message.payload.readableBytes
            guard header + cost <= maxBytes else { continue }
            if size + cost > maxBytes {
                groups.append([])
                size = header
            }
            groups[groups.count - 1].append(message)
            size += cost
        }
        return groups.enumerated().map { index, group in
            var buffer = ByteBufferAllocator().buffer(capacity: maxBytes)
            buffer.writeInteger(UInt8(1))
            buffer.writeClusterString(node)
            buffer.writeInteger(UInt32(index))
            buffer.writeInteger(UInt32(groups.count))
            for message in group {
                buffer.writeInteger(message.qos.rawValue)
                buffer.writeClusterString(message.topic)
                buffer.writeInteger(UInt32(message.payload.readableBytes))
                buffer.writeImmutableBuffer(message.payload)
            }
            return buffer
        }
    }

    static func decode(_ bytes: ByteBuffer) -> (node: String, index: Int, count: Int, messages: [MQTTPublish])? {
        var buffer = bytes
        guard buffer.readInteger(as: UInt8.self) == 1, let node = buffer.readClusterString(), let index = buffer.readInteger(as: UInt32.self),
            let count = buffer.readInteger(as: UInt32.self), index < count
        else { return nil }
        var messages: [MQTTPublish] = []
        while buffer.readableBytes > 0 {
            guard let flags = buffer.readInteger(as: UInt8.self), let qos = MQTTQoS(rawValue: flags & 0x03),
                let topic = buffer.readClusterString(), !topic.isEmpty,
                let length = buffer.readInteger(as: UInt32.self), let payload = buffer.readSlice(length: Int(length))
            else { return nil }
            messages.append(MQTTPublish(topic: topic, payload: payload, qos: qos, retain: true))
        }
        return (node, Int(index), Int(count), messages)
    }
}
