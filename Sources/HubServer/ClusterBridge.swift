import BrokerCore
import Foundation
import Logging
import Metrics
import MQTTCore
import MQTTServer
import NATSClient
import NATSCore
import NIOCore
import ServiceLifecycle

/// Joins this node's broker to the other nodes of a cluster over NATS (`--cluster`).
///
/// Every message routed on this node (from its clients, its services and the management API) is published on
/// subject `iothub.cluster.publish`, and every node routes what arrives there to its own subscribers and
/// retained store; a client that connects here is announced on `iothub.cluster.connected`, and the node that
/// held its connection closes it (the takeover of MQTT-3.1.4-2, across nodes). The connection is made with
/// `echo` off, so a node never receives its own messages back.
///
/// The broker hands messages over under its lock: they go into a queue bounded in bytes (`queueBytes`), and what
/// does not fit is dropped and counted (`iothub_cluster_dropped_total`), so a slow or absent NATS never stalls
/// the broker. One connection carries a node's messages in the order the broker routed them, and NATS keeps that
/// order to every subscriber: messages of one publisher arrive at the other nodes in the order they were sent.
final class ClusterBridge: Service, Sendable {
    static let publishSubject = "iothub.cluster.publish"
    static let connectedSubject = "iothub.cluster.connected"
    /// How long a node waits at start for its first connection to NATS.
    static let startTimeout: Duration = .seconds(10)

    enum Outbound: Sendable {
        case publish(ByteBuffer)
        case connected([UInt8])
    }

    let connection: NATSConnection
    /// `publishSubject`, subscribed to at bootstrap.
    let publishes: NATSSubscription
    /// Names this node in its answers to `ClusterRetained` requests and its connect announcements (and, in
    /// `ClusterSessions`, in its heartbeats).
    let node: String
    /// Which of two connects of one ClientId on two nodes wins.
    let connectOrder: ClusterConnectOrder
    let host: BrokerHost
    /// The hub's services, for the RRPC replies of devices connected to other nodes.
    let services: HubServices
    let outbound: ByteBudgetQueue<Outbound>
    let logger: Logger
    private let dropCounter = Counter(label: "iothub_cluster_dropped_total")
    private let sentCounter = Counter(label: "iothub_cluster_messages_total", dimensions: [("direction", "out")])
    private let receivedCounter = Counter(label: "iothub_cluster_messages_total", dimensions: [("direction", "in")])

    init(
        connection: NATSConnection, publishes: NATSSubscription, node: String, host: BrokerHost, services: HubServices, queueBytes: Int, logger: Logger
    ) {
        self.node = node
        self.connection = connection
        self.publishes = publishes
        self.connectOrder = ClusterConnectOrder(node: node)
        self.host = host
        self.services = services
        self.outbound = ByteBudgetQueue(budget: queueBytes)
        self.logger = logger
    }

    /// Connects to the cluster's NATS servers. The client reconnects for ever afterwards (a node outlives a NATS
    /// restart; what is published meanwhile waits in the client's reconnect buffer, then is dropped and counted by
    /// it), so the first connection is bounded here: a node that cannot reach NATS at start stops with an error.
    static func connect(urls: [String], logger: Logger) async throws -> NATSConnection {
        var servers: [NATSConfiguration.Server] = []
        for url in urls {
            guard let components = URLComponents(string: url), components.scheme == "nats", let hostName = components.host, !hostName.isEmpty else {
                throw HubConfigurationError("cluster: \(url) is not a nats://HOST[:PORT] URL")
            }
            servers.append(NATSConfiguration.Server(host: hostName, port: components.port ?? 4222))
        }
        guard !servers.isEmpty else { throw HubConfigurationError("cluster: no NATS server given") }
        var configuration = NATSConfiguration(servers: servers)
        configuration.connectOptions.echo = false
        configuration.connectOptions.name = "iothub"
        configuration.reconnect.maxAttempts = nil
        let connection = NATSConnection(configuration: configuration, logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await connection.connect() }
                group.addTask {
                    try await Task.sleep(for: Self.startTimeout)
                    throw NATSClientError(.connectionFailed, "no NATS server answered within \(Self.startTimeout)")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            await connection.close()
            throw HubConfigurationError("cluster: cannot connect to NATS (\(servers.map(\.description).joined(separator: ","))): \(error)")
        }
        logger.info("connected to the cluster", metadata: ["hub.cluster": "\(servers.map(\.description).joined(separator: ","))"])
        return connection
    }

    /// Called by the broker, under its lock: encodes and queues, never waits.
    func offer(_ event: ClusterEvent) {
        switch event {
        case .publish(let message):
            let encoded = ClusterMessageCodec.encode(message)
            if !outbound.offer(.publish(encoded), size: encoded.readableBytes) { dropCounter.increment() }
        case .connected(let clientId, let cleanSession):
            let announcement = ClusterConnectOrder.encode(
                clientId: clientId, cleanSession: cleanSession, millis: connectOrder.connectedHere(clientId), node: node
            )
            if !outbound.offer(.connected(announcement), size: announcement.count) { dropCounter.increment() }
        }
    }

    func run() async throws {
        let publishes = self.publishes
        let connects = try await connection.subscribe(Self.connectedSubject)
        // A queue group: one node answers each request (every node holds the cluster's retained messages).
        let retainedRequests = try await connection.subscribe(ClusterRetained.syncSubject, queue: "iothub.retained")
        try await connection.flush()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [connection] in try? await connection.run() }
                group.addTask { [host, services, receivedCounter, logger] in
                    do { for try await message in publishes {
                        guard let publish = ClusterMessageCodec.decode(message.payload) else {
                            logger.warning("cluster message not understood", metadata: ["hub.bytes": "\(message.payload.readableBytes)"])
                            continue
                        }
                        receivedCounter.increment()
                        _ = host.perform { broker, _ in broker.publishFromCluster(publish) }
                        if publish.topic.utf8.first == UInt8(ascii: "$") { await services.fromCluster(publish) }
                    } } catch { logger.warning("cluster subscription ended", metadata: ["error": "\(error)"]) }
                }
                group.addTask { [host, connectOrder, logger] in
                    do {
                        for try await message in connects {
                            guard let (clientId, cleanSession, millis, other) = ClusterConnectOrder.decode(Array(message.payload.readableBytesView)) else {
                                logger.warning("cluster connect announcement not understood", metadata: ["hub.bytes": "\(message.payload.readableBytes)"])
                                continue
                            }
                            // This node's connection is the later one: it stays, and the other node closes its own.
                            guard connectOrder.yields(clientId, toConnectAt: millis, on: other) else { continue }
                            _ = host.perform { broker, _ in broker.takenOverElsewhere(clientId: clientId, cleanSession: cleanSession) }
                        }
                    } catch { logger.warning("cluster subscription ended", metadata: ["error": "\(error)"]) }
                }
                group.addTask { [host, node, connection, logger] in
                    do {
                        for try await request in retainedRequests {
                            await ClusterRetained.answer(request, host: host, node: node, connection: connection, logger: logger)
                        }
                    } catch { logger.warning("cluster subscription ended", metadata: ["error": "\(error)"]) }
                }
                group.addTask { [outbound, connection, sentCounter, logger] in
                    while let item = await outbound.next() {
                        do {
                            switch item {
                            case .publish(let bytes):
                                try await connection.publish(Self.publishSubject, payload: bytes)
                                sentCounter.increment()
                            case .connected(let announcement):
                                try await connection.publish(Self.connectedSubject, payload: announcement)
                            }
                        } catch {
                            logger.warning("cluster publish failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: { [outbound, connection] in
            outbound.finish()
            Task { await connection.close() }
        }
    }
}

/// A message between nodes: version 1, flags (QoS in bits 0–1, RETAIN in bit 2), the topic's length (2 bytes,
/// big-endian), the topic, the payload. MQTT 5 properties do not cross nodes.
enum ClusterMessageCodec {
    static func encode(_ message: MQTTPublish) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + message.topic.utf8.count + message.payload.readableBytes)
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(UInt8(message.qos.rawValue) | (message.retain ? 0x04 : 0))
        buffer.writeInteger(UInt16(message.topic.utf8.count))
        buffer.writeString(message.topic)
        buffer.writeImmutableBuffer(message.payload)
        return buffer
    }

    static func decode(_ buffer: ByteBuffer) -> MQTTPublish? {
        var buffer = buffer
        guard let version = buffer.readInteger(as: UInt8.self), version == 1, let flags = buffer.readInteger(as: UInt8.self),
            let qos = MQTTQoS(rawValue: flags & 0x03), let length = buffer.readInteger(as: UInt16.self),
            let topic = buffer.readString(length: Int(length)), !topic.isEmpty
        else { return nil }
        return MQTTPublish(topic: topic, payload: buffer, qos: qos, retain: flags & 0x04 != 0)
    }
}
