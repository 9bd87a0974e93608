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
