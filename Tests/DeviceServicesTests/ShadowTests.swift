import DeviceServices
import JSONCore
import XCTest

final class ShadowTests: XCTestCase {
    func json(_ text: String) -> JSONValue { try! JSONValue(parsing: text) }
    func text(_ value: JSONValue) -> String { value.serializedString() }

    func handle(_ request: String, _ document: inout ShadowDocument, now: Int64 = 1_700_000_000_123) -> (JSONValue, Bool, JSONValue?) {
        guard case .reply(let reply, let changed, let push) = ShadowProtocol.handle(Array(request.utf8), document: &document, nowMillis: now) else {
            fatalError()
        }
        return (reply, changed, push)
    }

    func testGetOfAnEmptyShadowWithTheCSDKText() {
        var document = ShadowDocument()
        let (reply, changed, push) = handle(#"{"type":"get", "clientToken":"ABCDEFGHIJ-0"}"#, &document)
        XCTAssertFalse(changed)
        XCTAssertNil(push)
        XCTAssertEqual(
            text(reply),
            #"{"clientToken":"ABCDEFGHIJ-0","payload":{"state":{"reported":{}},"timestamp":0,"version":0},"result":0,"timestamp":1700000000,"type":"get"}"#
        )
    }

    func testUpdateMergesAndVersionsGrow() {
        var document = ShadowDocument()
        let (reply, changed, _) = handle(#"{"type":"update", "state":{"reported":{"updateCount":0, "nested":{"a":1,"b":2}}}, "clientToken":"ABCDEFGHIJ-1"}"#, &document)
        XCTAssertTrue(changed)
        XCTAssertEqual(
            text(reply),
            #"{"clientToken":"ABCDEFGHIJ-1","payload":{"state":{"reported":{"updateCount":0,"nested":{"a":1,"b":2}}},"timestamp":1700000000123,"version":1},"result":0,"timestamp":1700000000,"type":"update"}"#
        )
        _ = handle(#"{"type":"update","state":{"reported":{"updateCount":1,"nested":{"b":null,"c":3}}},"clientToken":"t2"}"#, &document)
        XCTAssertEqual(text(.object(document.reported)), #"{"updateCount":1,"nested":{"a":1,"c":3}}"#)
        XCTAssertEqual(document.version, 2)
        // overwriteUpdate replaces reported.
        _ = handle(#"{"type":"update","state":{"reported":{"only":true}},"overwriteUpdate":true,"clientToken":"t3"}"#, &document)
        XCTAssertEqual(text(.object(document.reported)), #"{"only":true}"#)
        // "reported": null clears the section.
        _ = handle(#"{"type":"update","state":{"reported":null},"clientToken":"t4"}"#, &document)
        XCTAssertTrue(document.reported.isEmpty)
        XCTAssertEqual(document.version, 4)
    }

    func testDeltaAndDeltaPushWhenDesiredChanges() {
        var document = ShadowDocument()
        _ = handle(#"{"type":"update","state":{"reported":{"temperatureDesire":25,"status":1}},"clientToken":"a"}"#, &document)
        let (_, _, push) = handle(#"{"type":"update","state":{"desired":{"temperatureDesire":10,"status":1}},"clientToken":"b"}"#, &document)
        XCTAssertEqual(text(push!), #"{"type":"delta","payload":{"state":{"temperatureDesire":10},"timestamp":1700000000123,"version":2}}"#)
        let (get, _, _) = handle(#"{"type":"get","clientToken":"c"}"#, &document)
        XCTAssertEqual(get["payload"]?["state"]?["delta"], json(#"{"temperatureDesire":10}"#))
        XCTAssertEqual(get["payload"]?["state"]?["desired"], json(#"{"temperatureDesire":10,"status":1}"#))
        // A reported-only update pushes nothing; "desired": null (C SDK) clears desired.
        let (_, _, none) = handle(#"{"type":"update","state":{"reported":{"temperatureDesire":10}},"clientToken":"d"}"#, &document)
        XCTAssertNil(none)
        XCTAssertTrue(document.delta.isEmpty)
        _ = handle(#"{"type":"update", "state":{"desired": null }, "clientToken":"ABCDEFGHIJ-2"}"#, &document)
        XCTAssertTrue(document.desired.isEmpty)
        let (after, _, _) = handle(#"{"type":"get","clientToken":"e"}"#, &document)
        XCTAssertNil(after["payload"]?["state"]?["desired"], "desired only when non-empty")
    }

    func testRejectionsLeaveTheDocumentUnchanged() {
        var document = ShadowDocument()
        _ = handle(#"{"type":"update","state":{"reported":{"x":1}},"clientToken":"a"}"#, &document)
        let before = document
        for request in ["not json", #"{"clientToken":"t"}"#, #"{"type":"fly","clientToken":"t"}"#, #"{"type":"update","state":5,"clientToken":"t"}"#, #"{"type":"update","state":{"reported":7},"clientToken":"t"}"#] {
            let (reply, changed, _) = handle(request, &document)
            XCTAssertFalse(changed, request)
            XCTAssertEqual(reply["result"], .int(1), request)
            XCTAssertEqual(document, before, request)
        }
        let big = String(repeating: "x", count: 9000)
        let (reply, changed, _) = handle(#"{"type":"update","state":{"reported":{"blob":"\#(big)"}},"clientToken":"big"}"#, &document)
        XCTAssertFalse(changed)
        XCTAssertEqual(reply["result"], .int(2))
        XCTAssertEqual(reply["clientToken"], .string("big"))
        XCTAssertEqual(document, before)
    }

    func testDeleteAndStorageRoundTrip() {
        var document = ShadowDocument()
        _ = handle(#"{"type":"update","state":{"reported":{"x":1},"desired":{"x":2}},"clientToken":"a"}"#, &document)
        let restored = ShadowDocument(storage: document.storageJSON)
        XCTAssertEqual(restored, document)
        let (reply, changed, _) = handle(#"{"type":"delete","clientToken":"z"}"#, &document)
        XCTAssertTrue(changed)
        XCTAssertEqual(text(reply), #"{"clientToken":"z","result":0,"timestamp":1700000000,"type":"delete"}"#)
        XCTAssertTrue(document.reported.isEmpty && document.desired.isEmpty)
        XCTAssertEqual(document.version, 2)
        let data = ShadowProtocol.managementData(restored!, type: "get", nowMillis: 5)
        XCTAssertEqual(data["payload"]?["metadata"]?["reported"]?["x"]?["timestamp"], .int(1_700_000_000_123))
    }
}
