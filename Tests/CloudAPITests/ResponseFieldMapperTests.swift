import CloudAPI
import JSONCore
import XCTest

final class ResponseFieldMapperTests: XCTestCase {
    private let mapper = ResponseFieldMapper()

    private var product: JSONValue {
        [
            "ProductId": "UTY5QRLMQY", "ProductName": "dev02",
            "ProductMetadata": ["CreationDate": 1_700_000_000, "CreateUserId": 1, "UserId": 2],
            "ProductProperties": [
                "EncryptionType": "1", "RegisterType": 0, "RegisterLimit": 10000, "ForbiddenStatus": 0, "AppEUI": "",
            ],
        ]
    }

    func testDescribeProductKeeps2021Fields() {
        XCTAssertEqual(mapper.adapt(product, action: "DescribeProduct", version: .v20210408).serializedString(),
                       product.serializedString())
    }

    func testDescribeProductDrops2021OnlyFieldsIn2018() {
        XCTAssertEqual(
            mapper.adapt(product, action: "DescribeProduct", version: .v20180614).serializedString(),
            #"{"ProductId":"UTY5QRLMQY","ProductName":"dev02","ProductMetadata":{"CreationDate":1700000000},"#
                + #""ProductProperties":{"EncryptionType":"1","RegisterType":0,"RegisterLimit":10000}}"#
        )
    }

    func testDescribeDevicesListItems() {
        let response: JSONValue = [
            "TotalCount": 1,
            "Devices": [["DeviceName": "d", "Online": 3, "CreateUserId": 7, "NBIoTDeviceID": "", "Tags": []]],
            "RequestId": "r",
        ]
        XCTAssertEqual(
            mapper.adapt(response, action: "DescribeDevices", version: .v20180614).serializedString(),
            #"{"TotalCount":1,"Devices":[{"DeviceName":"d","Online":3,"Tags":[]}],"RequestId":"r"}"#
        )
        XCTAssertEqual(
            mapper.adapt(response, action: "DescribeDevices", version: .v20210408).serializedString(),
            response.serializedString()
        )
    }

    func testUndescribedResponsePassesThrough() {
        let response: JSONValue = ["Anything": [1, 2], "Total": 3]
        XCTAssertEqual(mapper.adapt(response, action: "DescribeRegistrationLogs", version: .v20180614), response)
        XCTAssertEqual(mapper.adapt(response, action: "NotAnAction", version: .v20180614), response)
    }

    func testInternalNameLookup() {
        XCTAssertEqual(mapper.internalName(wire: "ProductID", action: "UpdateDevicesEnableState", version: .v20180614), "ProductId")
        XCTAssertEqual(mapper.wireName(internal: "ProductId", action: "SetProductsForbiddenStatus", version: .v20180614), "ProductID")
        XCTAssertEqual(mapper.wireName(internal: "DeviceName", action: "DescribeDevice", version: .v20180614), "DeviceName")
    }
}
