import DeviceAuth
import DeviceServices
import JSONCore
import XCTest

/// device-protocol.md §6.10: the requests as each SDK sends them (exact texts from the spec's captures) and
/// the hub's exact replies.
final class GatewayProtocolTests: XCTestCase {
    let sub = GatewayProtocol.SubDevice(productId: "SUBPRODUCT", deviceName: "sub001")

    func parse(_ text: String) -> GatewayProtocol.Request? { GatewayProtocol.parse(Array(text.utf8)) }

    func testOnlineOfflineInEverySDKsForm() {
        let expected = GatewayProtocol.Request.devices(.online, [.init(device: sub, proof: nil, productId: "SUBPRODUCT", deviceName: "sub001")])
        XCTAssertEqual(parse(#"{"type":"online","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001"}]}}"#), expected, "C32, C33")
        XCTAssertEqual(parse(#"{"type": "online", "payload": {"devices": [{"product_id": "SUBPRODUCT", "device_name": "sub001"}]}}"#), expected, "PY")
        XCTAssertEqual(parse(#"{"payload":{"devices":[{"device_name":"sub001","product_id":"SUBPRODUCT"}]},"type":"online"}"#), expected, "JAVA")
        guard case .devices(.offline, _)? = parse(#"{"type":"offline","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001"}]}}"#) else {
            return XCTFail("offline")
        }
    }

    func testBindInEverySDKsForm() throws {
        let c = parse(#"{"type":"bind","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001","signature":"xrMRqOyG8Lz6ER0T0bxqjbX7pKI=","random":485275368,"timestamp":1796607217,"signmethod":"hmacsha1","authtype":"psk"}]}}"#)
        XCTAssertEqual(c, .devices(.bind, [.init(
            device: sub, proof: GatewayBindProof(signature: "xrMRqOyG8Lz6ER0T0bxqjbX7pKI=", random: 485_275_368, timestamp: 1_796_607_217, signMethod: "hmacsha1", authType: "psk"),
            productId: "SUBPRODUCT", deviceName: "sub001"
        )]))
        let java = parse(#"{"payload":{"devices":[{"random":724839,"device_name":"test_device","signmethod":"hmacsha256","signature":"ad7KTCgchgJUMfH8+XNUk/76fCxSnb3r9dtlP9pHFGA=","product_id":"9RW4A8OOFK","timestamp":1615513361,"authtype":"psk"}]},"type":"bind"}"#)
        guard case .devices(.bind, let entries)? = java, let proof = entries.first?.proof else { return XCTFail("\(String(describing: java))") }
        XCTAssertEqual(proof.random, 724_839)
        XCTAssertEqual(proof.signMethod, "hmacsha256")
        // The PY capture verifies with the spec's key and its own random and timestamp.
        let py = parse(#"{"type": "bind", "payload": {"devices": [{"product_id": "SUBPRODUCT", "device_name": "sub001", "signature": "S+bJij0BCcwxGxt4H1xC9Rfl0FY=", "random": 257605724, "timestamp": 1796607259, "signmethod": "hmacsha1", "authtype": "psk"}]}}"#)
        guard case .devices(.bind, let pyEntries)? = py, let pyProof = pyEntries.first?.proof else { return XCTFail("\(String(describing: py))") }
        XCTAssertEqual(pyProof.timestamp, 1_796_607_259)
        // random and timestamp also as decimal strings; a missing signature leaves no proof (answered 801).
        let strings = parse(#"{"type":"bind","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001","signature":"x","random":"12","timestamp":"34","signmethod":"hmacsha1"}]}}"#)
        guard case .devices(.bind, let stringEntries)? = strings else { return XCTFail() }
        XCTAssertEqual(stringEntries.first?.proof?.random, 12)
        XCTAssertEqual(stringEntries.first?.proof?.authType, "psk")
        guard case .devices(.bind, let unsigned)? = parse(#"{"type":"bind","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001"}]}}"#) else { return XCTFail() }
        XCTAssertNil(unsigned.first?.proof)
    }

    func testWhatGetsNoReply() {
        XCTAssertNil(parse("not json"))
        XCTAssertNil(parse(#"{"type":"reboot"}"#))
        XCTAssertNil(parse(#"{"type":"online","payload":{"devices":[]}}"#))
        XCTAssertNil(parse(#"{"type":"online"}"#))
        XCTAssertEqual(parse(#"{"type":"describe_sub_devices"}"#), .describeSubDevices)
        XCTAssertEqual(parse(#"{"type": "describe_sub_devices"}"#), .describeSubDevices)
        XCTAssertEqual(parse(#"{"type":"unbind_all", "payload":{"result":0}}"#), .acknowledgement("unbind_all"), "a C33 acknowledgement, not a request")
        XCTAssertEqual(parse(#"{"type":"change", "payload":{"status":1, "devices":[]}}"#), .acknowledgement("change"))
        guard case .devices(.online, let entries)? = parse(#"{"type":"online","payload":{"devices":[{"device_name":"x"}]}}"#) else { return XCTFail() }
        XCTAssertNil(entries.first?.device, "an entry without product_id is answered 801")
    }

    func testRepliesAreTheProductionTextsExactly() {
        XCTAssertEqual(
            GatewayProtocol.reply(.online, results: [("9RW4A8OOFK", "test_device", 0)]).serializedString(),
            #"{"type":"online","payload":{"devices":[{"product_id":"9RW4A8OOFK","device_name":"test_device","result":0}]}}"#
        )
        XCTAssertEqual(
            GatewayProtocol.reply(.bind, results: [("9RW4A8OOFK", "test_device", 809)]).serializedString(),
            #"{"type":"bind","payload":{"devices":[{"product_id":"9RW4A8OOFK","device_name":"test_device","result":809}]}}"#
        )
        XCTAssertEqual(
            GatewayProtocol.describeReply([.init(productId: "9RW4A8OOFK", deviceName: "test_device1"), .init(productId: "9RW4A8OOFK", deviceName: "test_device")]).serializedString(),
            #"{"type":"describe_sub_devices","payload":{"devices":[{"product_id":"9RW4A8OOFK","device_name":"test_device1"},{"product_id":"9RW4A8OOFK","device_name":"test_device"}]}}"#
        )
        XCTAssertEqual(GatewayProtocol.describeReply([]).serializedString(), #"{"type":"describe_sub_devices","payload":{"devices":[]}}"#)
    }

    func testChangePushesFitTheCReceiveBuffer() throws {
        let one = GatewayProtocol.changePushes(bound: true, [.init(productId: "SUBPRODUCT", deviceName: "sub002")])
        XCTAssertEqual(one.map { String(decoding: $0, as: UTF8.self) }, [#"{"type":"change","payload":{"status":1,"devices":[{"product_id":"SUBPRODUCT","device_name":"sub002"}]}}"#])
        let many = (0..<100).map { GatewayProtocol.SubDevice(productId: "SUBPRODUCT", deviceName: String(repeating: "n", count: 40) + String(format: "%08d", $0)) }
        let pushes = GatewayProtocol.changePushes(bound: false, many)
        XCTAssertGreaterThan(pushes.count, 5)
        XCTAssertTrue(pushes.allSatisfy { $0.count <= 1023 }, "\(pushes.map(\.count))")
        var names: [String] = []
        for push in pushes {
            guard case .change(let bound, let devices)? = GatewayProtocol.parseReply(push) else { return XCTFail() }
            XCTAssertFalse(bound)
            names += devices.map(\.deviceName)
        }
        XCTAssertEqual(names, many.map(\.deviceName), "every device once, in order")
        XCTAssertTrue(GatewayProtocol.changePushes(bound: true, []).isEmpty)
    }

    func testTheSDKsRequestsAndReplyParsing() throws {
        let proof = GatewayBindProof(signature: "xrMRqOyG8Lz6ER0T0bxqjbX7pKI=", random: 485_275_368, timestamp: 1_796_607_217, signMethod: "hmacsha1", authType: "psk")
        XCTAssertEqual(
            String(decoding: GatewayProtocol.request(.bind, sub, proof: proof), as: UTF8.self),
            #"{"type":"bind","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001","signature":"xrMRqOyG8Lz6ER0T0bxqjbX7pKI=","random":485275368,"timestamp":1796607217,"signmethod":"hmacsha1","authtype":"psk"}]}}"#,
            "the C SDK's text"
        )
        XCTAssertEqual(
            String(decoding: GatewayProtocol.request(.online, sub), as: UTF8.self),
            #"{"type":"online","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001"}]}}"#
        )
        XCTAssertEqual(
            GatewayProtocol.parseReply(Array(#"{"type":"online","payload":{"devices":[{"product_id":"SUBPRODUCT","device_name":"sub001","result":-1}]}}"#.utf8)),
            .result(.online, [(sub, Int64(-1))])
        )
        XCTAssertEqual(GatewayProtocol.parseReply(GatewayProtocol.unbindAllPush), .unbindAll)
    }
}
