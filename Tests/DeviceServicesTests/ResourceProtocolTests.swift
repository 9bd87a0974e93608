import DeviceServices
import JSONCore
import XCTest

/// device-protocol.md §6.12.2: the C33 texts exactly as captured on the wire, and the hub's exact replies.
final class ResourceProtocolTests: XCTestCase {
    func parse(_ text: String) -> ResourceProtocol.Request? { ResourceProtocol.parse(Array(text.utf8)) }

    func testC33RequestsAsCaptured() {
        XCTAssertEqual(parse(#"{"type": "get_download_task"}"#), .getDownloadTask)
        XCTAssertEqual(
            parse(#"{"type": "create_upload_task","size": 4053,"name": "uploadtest","md5sum": "5e03f90e0a534c6fddfa9f093933b1c0"}"#),
            .createUploadTask(name: "uploadtest", size: 4053, md5: "5e03f90e0a534c6fddfa9f093933b1c0")
        )
        XCTAssertEqual(
            parse(#"{"type":"report_download_progress","name":"res1","progress":{"percent":0,"state":"downloading","result_code":0,"result_msg":""}}"#),
            .downloadProgress(name: "res1", .init(state: .downloading, percent: 0))
        )
        XCTAssertEqual(
            parse(#"{"type":"report_download_progress","name":"res1","progress":{"state":"done","result_code":0,"result_msg":""}}"#),
            .downloadProgress(name: "res1", .init(state: .done))
        )
        XCTAssertEqual(
            parse(#"{"type":"report_upload_progress","name":"uploadtest","progress":{"percent":100,"state":"uploading","result_code":0,"result_msg":""}}"#),
            .uploadProgress(name: "uploadtest", .init(state: .uploading, percent: 100))
        )
        XCTAssertEqual(
            parse(#"{"type":"report_upload_progress","name":"uploadtest","progress":{"state":"done","result_code":0,"result_msg":""}}"#),
            .uploadProgress(name: "uploadtest", .init(state: .done))
        )
        XCTAssertEqual(
            parse(#"{"type":"report_download_progress","name":"res1","progress":{"state":"fail","result_code":-4,"result_msg":"md5sum not matched"}}"#),
            .downloadProgress(name: "res1", .init(state: .fail, resultCode: -4, resultMessage: "md5sum not matched"))
        )
    }

    func testBadMessagesGetNothing() {
        for text in [
            "", "not json", "[]", #"{"type":"unknown"}"#, #"{"type":1}"#,
            // create_upload_task outside the rules: no create_upload_task_rsp (§6.12.4)
            #"{"type":"create_upload_task","size":0,"name":"a","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            #"{"type":"create_upload_task","size":-1,"name":"a","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            #"{"type":"create_upload_task","size":10,"name":"","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            #"{"type":"create_upload_task","size":10,"name":"a/b","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            #"{"type":"create_upload_task","size":10,"name":"\#(String(repeating: "a", count: 64))","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            #"{"type":"create_upload_task","size":10,"name":"a","md5sum":"5E03F90E0A534C6FDDFA9F093933B1C0"}"#,
            #"{"type":"create_upload_task","size":10,"name":"a","md5sum":"5e03f90e"}"#,
            #"{"type":"create_upload_task","size":10.5,"name":"a","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            #"{"type":"create_upload_task","name":"a","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0"}"#,
            // reports outside the rules
            #"{"type":"report_download_progress","name":"res1","progress":{"percent":101,"state":"downloading","result_code":0}}"#,
            #"{"type":"report_download_progress","name":"res1","progress":{"state":"downloading","result_code":0}}"#,
            #"{"type":"report_download_progress","name":"res1","progress":{"percent":5,"state":"uploading","result_code":0}}"#,
            #"{"type":"report_upload_progress","name":"res1","progress":{"percent":5,"state":"downloading","result_code":0}}"#,
            #"{"type":"report_download_progress","name":"res1","progress":{"state":"burning"}}"#,
            #"{"type":"report_download_progress","name":"res1","progress":{"state":"done","result_code":"x"}}"#,
            #"{"type":"report_download_progress","name":"","progress":{"state":"done"}}"#,
            #"{"type":"report_download_progress","progress":{"state":"done"}}"#,
            #"{"type":"report_download_progress","name":"res1","progress":"done"}"#,
        ] {
            XCTAssertNil(parse(text), text)
        }
        XCTAssertTrue(ResourceProtocol.isValidName(String(repeating: "a", count: 63)))
        XCTAssertTrue(ResourceProtocol.isValidName("fw-1.2_x.bin"))
    }

    /// The vendor examples' shapes (§6.12.2), byte for byte with the hub's values.
    func testHubMessagesExactly() {
        let task = ResourceProtocol.Task(name: "AAAA", size: 372338, md5: "a567907174aaaaa3bb9a2bb20716fd97", url: "http://hub.example/abc.res")
        XCTAssertEqual(
            String(decoding: ResourceProtocol.downloadTask(task, .reply), as: UTF8.self),
            #"{"type":"get_download_task_rsp","size":372338,"name":"AAAA","md5sum":"a567907174aaaaa3bb9a2bb20716fd97","url":"http://hub.example/abc.res"}"#
        )
        XCTAssertEqual(
            String(decoding: ResourceProtocol.downloadTask(task, .push), as: UTF8.self),
            #"{"type":"download","size":372338,"name":"AAAA","md5sum":"a567907174aaaaa3bb9a2bb20716fd97","url":"http://hub.example/abc.res"}"#
        )
        let upload = ResourceProtocol.Task(name: "zxc", size: 100, md5: "5e03f90e0a534c6fddfa9f093933b1c0", url: "http://hub.example/0123")
        XCTAssertEqual(
            String(decoding: ResourceProtocol.uploadTask(upload), as: UTF8.self),
            #"{"type":"create_upload_task_rsp","size":100,"name":"zxc","md5sum":"5e03f90e0a534c6fddfa9f093933b1c0","url":"http://hub.example/0123"}"#
        )
        XCTAssertEqual(
            String(decoding: ResourceProtocol.progressReply(.upload), as: UTF8.self), #"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":"ok"}"#
        )
        XCTAssertEqual(
            String(decoding: ResourceProtocol.progressReply(.download), as: UTF8.self), #"{"type":"report_download_progress_rsp","result_code":0,"result_msg":"ok"}"#
        )
        XCTAssertEqual(
            String(decoding: ResourceProtocol.progressReply(.upload, resultCode: 1, resultMessage: ResourceProtocol.ReplyMessage.md5Mismatch), as: UTF8.self),
            #"{"type":"report_upload_progress_rsp","result_code":1,"result_msg":"md5 mismatch"}"#
        )
        XCTAssertEqual(ResourceProtocol.upTopic(productId: "ABCDEFGHIJ", deviceName: "dev1"), "$resource/up/service/ABCDEFGHIJ/dev1")
        XCTAssertEqual(ResourceProtocol.downTopic(productId: "ABCDEFGHIJ", deviceName: "dev1"), "$resource/down/service/ABCDEFGHIJ/dev1")
    }
}
