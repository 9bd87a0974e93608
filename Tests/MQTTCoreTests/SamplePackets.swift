import MQTTCore
import NIOCore

/// Packets of every type, for round trips and as the fuzz corpus.
enum SamplePackets {
    /// Valid in 3.1.1 (no properties, no reason codes, no MQTT 5 subscription options).
    static let v311: [MQTTPacket] = [
        .connect(MQTTConnect(clientId: "")),
        .connect(
            MQTTConnect(
                cleanSession: false,
                keepAlive: 0,
                clientId: "device-1",
                will: MQTTWill(topic: "status/device-1", payload: ByteBuffer(string: "offline"), qos: .exactlyOnce, retain: true),
                username: "user",
                password: Array("secret".utf8)
            )
        ),
        .connect(MQTTConnect(clientId: "ü-client", username: "only-user")),
        .connect(MQTTConnect(version: .v3_1, keepAlive: 60, clientId: "py", username: "u", password: [0, 1, 2, 255])),
        .connack(MQTTConnAck(sessionPresent: false, returnCode: 0)),
        .connack(MQTTConnAck(sessionPresent: true, returnCode: 0)),
        .connack(MQTTConnAck(sessionPresent: false, returnCode: 5)),
        .publish(MQTTPublish(topic: "a/b", payload: ByteBuffer(string: "hi"))),
        .publish(MQTTPublish(topic: "a", payload: ByteBuffer())),
        .publish(MQTTPublish(topic: "sensors/温度", payload: ByteBuffer(bytes: [0, 1, 2, 3]), qos: .atLeastOnce, packetId: 1)),
        .publish(
            MQTTPublish(
                topic: "$sys/operation/ABCDEFGHIJ/dev001",
                payload: ByteBuffer(repeating: 0x7A, count: 300),
                qos: .exactlyOnce,
                retain: true,
                dup: true,
                packetId: 65535
            )
        ),
        .puback(MQTTAck(packetId: 1)),
        .pubrec(MQTTAck(packetId: 2)),
        .pubrel(MQTTAck(packetId: 3)),
        .pubcomp(MQTTAck(packetId: 0xFFFF)),
        .subscribe(
            MQTTSubscribe(
                packetId: 7,
                subscriptions: [
                    MQTTSubscription(filter: "a/+", qos: .atLeastOnce),
                    MQTTSubscription(filter: "#", qos: .atMostOnce),
                    MQTTSubscription(filter: "$ota/update/ABCDEFGHIJ/dev001", qos: .exactlyOnce),
                ]
            )
        ),
        .suback(MQTTSubAck(packetId: 7, returnCodes: [1, 0, 2, 0x80])),
        .unsubscribe(MQTTUnsubscribe(packetId: 8, filters: ["a/+", "sport/#"])),
        .unsuback(MQTTUnsubAck(packetId: 8)),
        .pingreq,
        .pingresp,
        .disconnect(MQTTDisconnect()),
    ]

    /// MQTT 5 packets with properties, reason codes and subscription options.
    static let v5: [MQTTPacket] = [
        .connect(
            MQTTConnect(
                version: .v5,
                cleanSession: true,
                keepAlive: 30,
                clientId: "v5-client",
                will: MQTTWill(
                    topic: "will/v5",
                    payload: ByteBuffer(string: "bye"),
                    qos: .atLeastOnce,
                    retain: false,
                    properties: [
                        (MQTTProperties.Identifier.willDelayInterval, .fourByteInt(10)),
                        (MQTTProperties.Identifier.contentType, .string("text/plain")),
                        (MQTTProperties.Identifier.correlationData, .binary(ByteBuffer(bytes: [9, 8, 7]))),
                    ]
                ),
                username: nil,
                password: Array("password-without-user".utf8),
                properties: [
                    (MQTTProperties.Identifier.sessionExpiryInterval, .fourByteInt(3600)),
                    (MQTTProperties.Identifier.receiveMaximum, .twoByteInt(20)),
                    (MQTTProperties.Identifier.userProperty, .stringPair("k", "v")),
                    (MQTTProperties.Identifier.userProperty, .stringPair("k", "v2")),
                ]
            )
        ),
        .connect(MQTTConnect(version: .v5, clientId: "")),
        .connack(
            MQTTConnAck(
                sessionPresent: true,
                returnCode: 0,
                properties: [
                    (MQTTProperties.Identifier.assignedClientIdentifier, .string("auto-1")),
                    (MQTTProperties.Identifier.maximumQoS, .byte(1)),
                    (MQTTProperties.Identifier.topicAliasMaximum, .twoByteInt(10)),
                ]
            )
        ),
        .connack(MQTTConnAck(sessionPresent: false, returnCode: 0x86)),
        .publish(
            MQTTPublish(
                topic: "a/b",
                payload: ByteBuffer(string: "{\"t\":1}"),
                qos: .atLeastOnce,
                packetId: 5,
                properties: [
                    (MQTTProperties.Identifier.payloadFormatIndicator, .byte(1)),
                    (MQTTProperties.Identifier.messageExpiryInterval, .fourByteInt(60)),
                    (MQTTProperties.Identifier.responseTopic, .string("reply/1")),
                    (MQTTProperties.Identifier.subscriptionIdentifier, .varInt(268_435_455)),
                    (MQTTProperties.Identifier.subscriptionIdentifier, .varInt(1)),
                ]
            )
        ),
        .publish(
            MQTTPublish(
                topic: "",
                payload: ByteBuffer(string: "aliased"),
                properties: [(MQTTProperties.Identifier.topicAlias, .twoByteInt(3))]
            )
        ),
        .publish(MQTTPublish(topic: "plain", payload: ByteBuffer())),
        .puback(MQTTAck(packetId: 1)),
        .puback(MQTTAck(packetId: 1, reasonCode: 0x10)),
        .pubrec(
            MQTTAck(packetId: 2, reasonCode: 0x80, properties: [(MQTTProperties.Identifier.reasonString, .string("no"))])
        ),
        .pubrel(MQTTAck(packetId: 3, reasonCode: 0x92)),
        .pubcomp(MQTTAck(packetId: 4, reasonCode: 0, properties: [(MQTTProperties.Identifier.userProperty, .stringPair("a", "b"))])),
        .subscribe(
            MQTTSubscribe(
                packetId: 9,
                subscriptions: [
                    MQTTSubscription(filter: "a/#", qos: .exactlyOnce, noLocal: true, retainAsPublished: true, retainHandling: 2),
                    MQTTSubscription(filter: "+", qos: .atMostOnce, retainHandling: 1),
                ],
                properties: [(MQTTProperties.Identifier.subscriptionIdentifier, .varInt(42))]
            )
        ),
        .suback(MQTTSubAck(packetId: 9, returnCodes: [2, 0x8F], properties: [(MQTTProperties.Identifier.reasonString, .string("r"))])),
        .unsubscribe(
            MQTTUnsubscribe(packetId: 10, filters: ["a/#"], properties: [(MQTTProperties.Identifier.userProperty, .stringPair("x", ""))])
        ),
        .unsuback(MQTTUnsubAck(packetId: 10, reasonCodes: [0, 0x11])),
        .pingreq,
        .pingresp,
        .disconnect(MQTTDisconnect()),
        .disconnect(MQTTDisconnect(reasonCode: 0x8B)),
        .disconnect(
            MQTTDisconnect(
                reasonCode: 0x04,
                properties: [
                    (MQTTProperties.Identifier.sessionExpiryInterval, .fourByteInt(0)),
                    (MQTTProperties.Identifier.serverReference, .string("other:1883")),
                ]
            )
        ),
        .auth(MQTTAuth()),
        .auth(
            MQTTAuth(
                reasonCode: 0x18,
                properties: [
                    (MQTTProperties.Identifier.authenticationMethod, .string("SCRAM-SHA-1")),
                    (MQTTProperties.Identifier.authenticationData, .binary(ByteBuffer(bytes: [1, 2, 3]))),
                ]
            )
        ),
    ]
}
