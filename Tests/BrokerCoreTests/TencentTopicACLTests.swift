import BrokerCore
import XCTest

final class TencentTopicACLTests: XCTestCase {
    let acl = TencentTopicACL()
    let me = ClientIdentity.device(productId: "ABCDEFGHIJ", deviceName: "dev001")

    func testDeviceTopicTable() {
        let publish = [
            "ABCDEFGHIJ/dev001/event", "ABCDEFGHIJ/dev001/data", "ABCDEFGHIJ/dev001/custom_1", "$shadow/operation/ABCDEFGHIJ/dev001",
            "$ota/report/ABCDEFGHIJ/dev001", "$sys/operation/ABCDEFGHIJ/dev001", "$rrpc/txd/ABCDEFGHIJ/dev001/4021",
            "$config/operation/ABCDEFGHIJ/dev001", "$log/operation/ABCDEFGHIJ/dev001", "$gateway/operation/ABCDEFGHIJ/dev001",
            "$thing/up/property/ABCDEFGHIJ/dev001",
        ]
        let subscribe = [
            "ABCDEFGHIJ/dev001/control", "ABCDEFGHIJ/dev001/data", "$shadow/operation/result/ABCDEFGHIJ/dev001",
            "$ota/update/ABCDEFGHIJ/dev001", "$sys/operation/result/ABCDEFGHIJ/dev001", "$broadcast/rxd/ABCDEFGHIJ/dev001",
            "$rrpc/rxd/ABCDEFGHIJ/dev001/+", "$config/operation/result/ABCDEFGHIJ/dev001", "$log/operation/result/ABCDEFGHIJ/dev001",
            "$gateway/operation/result/ABCDEFGHIJ/dev001", "$thing/down/action/ABCDEFGHIJ/dev001",
            "ABCDEFGHIJ/dev001/+", "ABCDEFGHIJ/dev001/#",
        ]
        for topic in publish { XCTAssertTrue(acl.mayPublish(me, topic: topic), topic) }
        for filter in subscribe { XCTAssertTrue(acl.maySubscribe(me, filter: filter), filter) }
        // Directions are enforced.
        XCTAssertFalse(acl.mayPublish(me, topic: "ABCDEFGHIJ/dev001/control"))
        XCTAssertFalse(acl.maySubscribe(me, filter: "ABCDEFGHIJ/dev001/event"))
        XCTAssertFalse(acl.mayPublish(me, topic: "$ota/update/ABCDEFGHIJ/dev001"))
        XCTAssertFalse(acl.maySubscribe(me, filter: "$shadow/operation/ABCDEFGHIJ/dev001"))
    }

    func testNeverAnotherDevicesTopicsAndWildcardsOnlyInsideOwnNamespace() {
        for topic in [
            "ABCDEFGHIJ/dev002/data", "ABCDEFGHIJ/dev002/event", "ZZZZZZZZZZ/dev001/data", "$shadow/operation/ABCDEFGHIJ/dev002",
            "$rrpc/txd/ABCDEFGHIJ/dev0011/1", "other/topic",
        ] {
            XCTAssertFalse(acl.mayPublish(me, topic: topic), topic)
        }
        for filter in [
            "#", "+/+/data", "ABCDEFGHIJ/+/data", "ABCDEFGHIJ/#", "$shadow/operation/result/+/+", "$rrpc/rxd/ABCDEFGHIJ/+/+",
            "ABCDEFGHIJ/dev002/control", "$broadcast/rxd/ABCDEFGHIJ/#",
        ] {
            XCTAssertFalse(acl.maySubscribe(me, filter: filter), filter)
        }
        // A wildcard inside the namespace still only delivers subscribable topics.
        XCTAssertTrue(acl.mayReceive(me, topic: "ABCDEFGHIJ/dev001/data"))
        XCTAssertFalse(acl.mayReceive(me, topic: "ABCDEFGHIJ/dev001/event"))
    }

    /// Resource management (device-protocol.md §6.12.1): the device publishes its up topic and subscribes its
    /// down topic, never the other way round, never another device's, never with a wildcard.
    func testResourceTopics() {
        XCTAssertTrue(acl.mayPublish(me, topic: "$resource/up/service/ABCDEFGHIJ/dev001"))
        XCTAssertTrue(acl.maySubscribe(me, filter: "$resource/down/service/ABCDEFGHIJ/dev001"))
        XCTAssertTrue(acl.mayReceive(me, topic: "$resource/down/service/ABCDEFGHIJ/dev001"))
        XCTAssertFalse(acl.maySubscribe(me, filter: "$resource/up/service/ABCDEFGHIJ/dev001"))
        XCTAssertFalse(acl.mayPublish(me, topic: "$resource/down/service/ABCDEFGHIJ/dev001"))
        XCTAssertFalse(acl.mayReceive(me, topic: "$resource/up/service/ABCDEFGHIJ/dev001"))
        for other in ["$resource/up/service/ABCDEFGHIJ/dev002", "$resource/up/service/ZZZZZZZZZZ/dev001", "$resource/up/other/ABCDEFGHIJ/dev001",
                      "$resource/up/service/ABCDEFGHIJ/dev001/x"] {
            XCTAssertFalse(acl.mayPublish(me, topic: other), other)
        }
        for filter in ["$resource/down/service/ABCDEFGHIJ/dev002", "$resource/down/service/ABCDEFGHIJ/+", "$resource/down/service/+/+",
                       "$resource/#", "$resource/down/+/ABCDEFGHIJ/dev001"] {
            XCTAssertFalse(acl.maySubscribe(me, filter: filter), filter)
        }
        // Applications reach their products' resource topics; anonymous clients never do.
        let app = ClientIdentity.application(id: "app1", products: ["ABCDEFGHIJ"])
        XCTAssertTrue(acl.mayReceive(app, topic: "$resource/up/service/ABCDEFGHIJ/dev001"))
        XCTAssertFalse(acl.mayReceive(app, topic: "$resource/up/service/ZZZZZZZZZZ/dev001"))
        XCTAssertFalse(acl.maySubscribe(.anonymous, filter: "$resource/#"))
        XCTAssertFalse(acl.mayPublish(.anonymous, topic: "$resource/down/service/ABCDEFGHIJ/dev001"))
        // The namespace of a resource topic is its device's (gateways use it for attached sub-devices).
        let namespace = TencentTopicACL.deviceNamespace("$resource/up/service/ABCDEFGHIJ/dev001")
        XCTAssertEqual(namespace?.0, "ABCDEFGHIJ")
        XCTAssertEqual(namespace?.1, "dev001")
    }

    /// A gateway uses the resource topics of a sub-device attached to it, as the sub-device could; not of others.
    func testGatewayUsesResourceTopicsOfAttachedSubDevice() {
        struct Attached: GatewayProxies {
            func isAttached(subProductId: Substring, subDeviceName: Substring, gatewayProductId: String, gatewayName: String) -> Bool {
                subProductId == "SUBPRODUCT" && subDeviceName == "sub1" && gatewayProductId == "ABCDEFGHIJ" && gatewayName == "dev001"
            }
        }
        let acl = TencentTopicACL(proxies: Attached())
        XCTAssertTrue(acl.mayPublish(me, topic: "$resource/up/service/SUBPRODUCT/sub1"))
        XCTAssertTrue(acl.maySubscribe(me, filter: "$resource/down/service/SUBPRODUCT/sub1"))
        XCTAssertFalse(acl.mayPublish(me, topic: "$resource/down/service/SUBPRODUCT/sub1"))
        XCTAssertFalse(acl.mayPublish(me, topic: "$resource/up/service/SUBPRODUCT/sub2"))
        XCTAssertFalse(acl.maySubscribe(me, filter: "$resource/down/service/SUBPRODUCT/sub2"))
    }

    func testApplicationsAndAnonymousClients() {
        let app = ClientIdentity.application(id: "app1", products: ["ABCDEFGHIJ"])
        XCTAssertTrue(acl.maySubscribe(app, filter: "+/+/event"))
        XCTAssertTrue(acl.mayReceive(app, topic: "ABCDEFGHIJ/dev001/event"))
        XCTAssertFalse(acl.mayReceive(app, topic: "ZZZZZZZZZZ/dev001/event"))
        XCTAssertTrue(acl.mayPublish(app, topic: "ABCDEFGHIJ/dev001/control"))
        XCTAssertFalse(acl.mayPublish(app, topic: "ZZZZZZZZZZ/dev001/control"))
        XCTAssertFalse(acl.mayPublish(app, topic: "free/topic"))
        XCTAssertTrue(acl.mayPublish(.anonymous, topic: "free/topic"))
        XCTAssertTrue(acl.maySubscribe(.anonymous, filter: "#"))
        XCTAssertFalse(acl.mayReceive(.anonymous, topic: "ABCDEFGHIJ/dev001/data"))
        XCTAssertFalse(acl.mayPublish(.anonymous, topic: "ABCDEFGHIJ/dev001/control"))
        XCTAssertFalse(acl.maySubscribe(.anonymous, filter: "$shadow/#"))
    }
}
