import IoTHubDevice
import XCTest

final class DeviceTopicsTests: XCTestCase {
    func testTopicsOfTheProtocolTable() {
        let topics = DeviceTopics(productId: "ABCDEFGHIJ", deviceName: "dev1")
        XCTAssertEqual(topics.control, "ABCDEFGHIJ/dev1/control")
        XCTAssertEqual(topics.event, "ABCDEFGHIJ/dev1/event")
        XCTAssertEqual(topics.data, "ABCDEFGHIJ/dev1/data")
        XCTAssertEqual(topics.shadowOperation, "$shadow/operation/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.shadowResult, "$shadow/operation/result/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.otaReport, "$ota/report/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.otaUpdate, "$ota/update/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.sysOperation, "$sys/operation/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.sysResult, "$sys/operation/result/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.broadcast, "$broadcast/rxd/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.rrpcRequests, "$rrpc/rxd/ABCDEFGHIJ/dev1/+")
        XCTAssertEqual(topics.rrpcReply(processId: "4021"), "$rrpc/txd/ABCDEFGHIJ/dev1/4021")
        XCTAssertEqual(topics.configOperation, "$config/operation/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.logResult, "$log/operation/result/ABCDEFGHIJ/dev1")
        XCTAssertEqual(topics.custom("telemetry"), "ABCDEFGHIJ/dev1/telemetry")
    }

    func testRRPCProcessIdIsTheLastLevelOfThisDevicesTopic() {
        let topics = DeviceTopics(productId: "ABCDEFGHIJ", deviceName: "dev1")
        XCTAssertEqual(topics.rrpcProcessId(of: "$rrpc/rxd/ABCDEFGHIJ/dev1/4021"), "4021")
        XCTAssertNil(topics.rrpcProcessId(of: "$rrpc/rxd/ABCDEFGHIJ/dev2/4021"))
        XCTAssertNil(topics.rrpcProcessId(of: "$rrpc/rxd/ABCDEFGHIJ/dev1/"))
        XCTAssertNil(topics.rrpcProcessId(of: "$rrpc/rxd/ABCDEFGHIJ/dev1/1/2"))
    }
}
