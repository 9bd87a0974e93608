import CloudAPI
import DeviceAuth
import JSONCore
import XCTest

/// The OTA action schemas (cloud-api.md §7.7) and their 2018 spellings (§9).
final class FirmwareActionSchemaTests: XCTestCase {
    private let catalog = ActionCatalog.standard

    static let both = [
        "GetCOSURL", "UploadFirmware", "DescribeFirmware", "EditFirmware", "BatchUpdateFirmware", "DescribeFirmwareTask",
        "DescribeFirmwareTasks", "DescribeFirmwareTaskDevices", "DescribeFirmwareTaskStatistics", "DescribeFirmwareTaskDistribution",
        "CancelDeviceFirmwareTask", "RetryDeviceFirmwareTask",
    ]

    func testFirmwareActionsImplementedPerVersion() {
        for version in APIVersion.allCases {
            for action in Self.both {
                guard case .implemented(let schema) = catalog.lookup(action: action, version: version) else {
                    XCTFail("\(action) \(version) not implemented")
                    continue
                }
                let product = schema.request.first { $0.internalName == "ProductId" }
                XCTAssertEqual(product?.name, version == .v20180614 ? "ProductID" : "ProductId", "\(action) \(version)")
            }
        }
        for action in ["ListFirmwares", "GetAllVersion", "UpdateOtaTaskStatus"] {
            XCTAssertNotNil(catalog.schema(action: action, version: .v20210408), action)
            XCTAssertEqual(catalog.lookup(action: action, version: .v20180614), .unknown, action)
        }
    }

    func testFwTypeIn2018AndFirmwareUserDefinedIn2021() throws {
        for action in ["UploadFirmware", "EditFirmware"] {
            let new = try XCTUnwrap(catalog.schema(action: action, version: .v20210408))
            let old = try XCTUnwrap(catalog.schema(action: action, version: .v20180614))
            XCTAssertNotNil(new.requestField(named: "FirmwareUserDefined"))
            XCTAssertNil(new.requestField(named: "FwType"))
            XCTAssertNotNil(old.requestField(named: "FwType"))
            XCTAssertNil(old.requestField(named: "FirmwareUserDefined"))
        }
        XCTAssertThrowsError(try catalog.validate(
            action: "UploadFirmware", version: .v20180614,
            parameters: ["ProductId": "A", "FirmwareVersion": "1", "Md5sum": "x", "FileSize": 1]
        ))
        XCTAssertNoThrow(try catalog.validate(
            action: "UploadFirmware", version: .v20180614,
            parameters: ["ProductID": "A", "FirmwareVersion": "1", "Md5sum": "x", "FileSize": 1, "FwType": "mcu"]
        ))
        // Responses keep `ProductId` in 2018 (DescribeFirmware, DescribeFirmwareTask).
        XCTAssertEqual(catalog.wireName(internal: "ProductId", action: "DescribeFirmware", version: .v20180614), "ProductId")
        XCTAssertEqual(catalog.wireName(internal: "ProductId", action: "DescribeFirmwareTask", version: .v20180614), "ProductId")
    }

    func testMD5Digest() {
        XCTAssertEqual(MD5Digest.hex(of: Array("".utf8)), "d41d8cd98f00b204e9800998ecf8427e")
        var digest = MD5Digest()
        digest.update(Array("The quick brown fox ".utf8))
        digest.update(Array("jumps over the lazy dog".utf8))
        XCTAssertEqual(digest.hex(), "9e107d9d372bb6826bd81d3542a419d6")
    }
}
