import CloudAPI
import JSONCore
import XCTest

final class ActionCatalogTests: XCTestCase {
    private let catalog = ActionCatalog.standard

    private func validate(_ action: String, _ version: APIVersion, _ parameters: JSONValue) throws(APIError) -> JSONValue {
        try catalog.validate(action: action, version: version, parameters: parameters)
    }

    private func validate(_ action: String, _ parameters: JSONValue) throws(APIError) -> JSONValue {
        try validate(action, .v20210408, parameters)
    }

    /// Exactly these actions have schemas (and handlers in the hub); everything else known is
    /// `UnsupportedOperation`.
    func testImplementedActionsPerVersion() {
        let both: Set<String> = [
            // products and devices (cloud-api.md §7.2–§7.3)
            "CreateProduct", "DescribeProduct", "DescribeProducts", "DeleteProduct", "UpdateProductDynamicRegister",
            "SetProductsForbiddenStatus", "CreateDevice", "DescribeDevice", "DescribeDevices", "DeleteDevice",
            "UpdateDeviceAvailableState", "UpdateDevicesEnableState", "ResetDeviceState", "DescribeDeviceClientKey",
            // messaging and shadow (§7.4–§7.5)
            "PublishMessage", "PublishBroadcastMessage", "PublishRRPCMessage", "DescribeDeviceShadow", "UpdateDeviceShadow",
            // OTA (§7.7)
            "GetCOSURL", "UploadFirmware", "DescribeFirmware", "EditFirmware", "BatchUpdateFirmware", "DescribeFirmwareTask",
            "DescribeFirmwareTasks", "DescribeFirmwareTaskDevices", "DescribeFirmwareTaskStatistics",
            "DescribeFirmwareTaskDistribution", "CancelDeviceFirmwareTask", "RetryDeviceFirmwareTask",
            // gateway topology (§7.10)
            "BindDevices", "UnbindDevices", "UnbindAllSubDevices",
            // device logs uploaded over HTTP (device-protocol.md §7.5.3)
            "ListSDKLog",
            // resources (§7.8, device-protocol.md §6.12.4)
            "DescribeDeviceResource", "DescribeDeviceResources", "DescribeProductResource", "DescribeProductResources",
            "DownloadDeviceResource", "DeleteDeviceResource", "GetUserResourceInfo", "DescribeResourceTasks",
            "DescribePushResourceTaskStatistics",
            // hub actions
            "ResetDeviceRegistration", "DescribeRegistrationLogs", "UpdateProductRegistrationPolicy",
            "CreateApplication", "DescribeApplications", "DeleteApplication", "UpdateProductWebhook", "DescribeProductWebhook",
            "UpdateProductRemoteConfig", "DescribeProductRemoteConfig", "DescribeBans", "CreateBan", "DeleteBan",
            "DescribeHubStatistics",
            "CreateProductResource", "DeleteProductResource", "PushProductResource", "DescribeResourceTaskDevices",
            "DescribeFirmwareFiles", "CreateDevices",
        ]
        let only2021: Set<String> = [
            "UpdateDevicePSK", "DeleteDeviceShadow", "UpdateDeviceLogLevel", "ListFirmwares", "GetAllVersion", "UpdateOtaTaskStatus",
            "DescribeGatewayBindDevices",
        ]
        XCTAssertEqual(Set(catalog.implementedActions(version: .v20210408)), both.union(only2021))
        XCTAssertEqual(Set(catalog.implementedActions(version: .v20180614)), both)
        for action in only2021 {
            XCTAssertEqual(catalog.lookup(action: action, version: .v20180614), .unknown, action)
        }
    }

    func testVersionSpecificKnownActions() {
        for action in ["CreateMultiDevice", "DescribeMultiDevTask", "DescribeMultiDevices", "CreateTask", "DescribeTask",
                       "DescribeTasks", "CancelTask", "DescribeAllDevices", "CreateLoraDevice", "PublishToDevice"] {
            XCTAssertEqual(catalog.lookup(action: action, version: .v20180614), .unimplemented, action)
            XCTAssertEqual(catalog.lookup(action: action, version: .v20210408), .unknown, action)
        }
        for action in ["ListTopicRules", "CreatePrivateCA"] {
            XCTAssertEqual(catalog.lookup(action: action, version: .v20210408), .unimplemented, action)
            XCTAssertEqual(catalog.lookup(action: action, version: .v20180614), .unknown, action)
        }
        for action in ["CreateMultiDevicesTask", "DescribeProductTasks", "CreateTopicPolicy", "CreateTopicRule"] {
            for version in APIVersion.allCases {
                XCTAssertEqual(catalog.lookup(action: action, version: version), .unimplemented, "\(action) \(version)")
            }
        }
        XCTAssertEqual(catalog.lookup(action: "PublishFirmwareUpdateMessage", version: .v20210408), .unknown)
        XCTAssertEqual(catalog.lookup(action: "describeproduct", version: .v20210408), .unknown)
    }

    func testMissingRequiredField() {
        XCTAssertAPIError({ () throws(APIError) in try validate("CreateDevice", ["ProductId": "A"]) },
                          code: "MissingParameter", messageContains: "`DeviceName`")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("CreateDevice", ["ProductId": "A", "DeviceName": nil])
        }, code: "MissingParameter", messageContains: "DeviceName")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("CreateDevice", ["ProductId": "A", "DeviceName": "d", "Attribute": ["Tags": [["Tag": "t", "Type": 2]]]])
        }, code: "MissingParameter", messageContains: "Attribute.Tags.0.Value")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("DescribeProducts", ["Offset": 0])
        }, code: "MissingParameter", messageContains: "Limit")
    }

    func testUnknownField() {
        XCTAssertAPIError({ () throws(APIError) in
            try validate("DescribeProduct", ["ProductId": "A", "Extra": 1])
        }, code: "UnknownParameter", messageContains: "Extra")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("CreateProduct", ["ProductName": "p", "ProductProperties": ["Colour": "red"]])
        }, code: "UnknownParameter", messageContains: "ProductProperties.Colour")
        // 2021-only ProductProperties member in a 2018 request.
        XCTAssertAPIError({ () throws(APIError) in
            try validate("CreateProduct", .v20180614, ["ProductName": "p", "ProductProperties": ["ForbiddenStatus": 0]])
        }, code: "UnknownParameter")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("CreateDevice", .v20180614, ["ProductId": "A", "DeviceName": "d", "TlsCrt": "x"])
        }, code: "UnknownParameter", messageContains: "TlsCrt")
    }

    func testWrongType() {
        XCTAssertAPIError({ () throws(APIError) in try validate("DescribeProducts", ["Offset": "0", "Limit": 10]) },
                          code: "InvalidParameter", messageContains: "Offset")
        XCTAssertAPIError({ () throws(APIError) in try validate("DescribeProducts", ["Offset": 0.5, "Limit": 10]) },
                          code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in try validate("DescribeProduct", ["ProductId": 12]) },
                          code: "InvalidParameter", messageContains: "ProductId")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("ResetDeviceState", ["ProductId": "A", "DeviceNames": "a"])
        }, code: "InvalidParameter", messageContains: "DeviceNames")
        XCTAssertAPIError({ () throws(APIError) in
            try validate("ResetDeviceState", ["ProductId": "A", "DeviceNames": ["a", 2]])
        }, code: "InvalidParameter", messageContains: "DeviceNames.1")
        // EncryptionType is a String, not an Integer.
        XCTAssertAPIError({ () throws(APIError) in
            try validate("CreateProduct", ["ProductName": "p", "ProductProperties": ["EncryptionType": 2]])
        }, code: "InvalidParameter", messageContains: "ProductProperties.EncryptionType")
        // SetProductsForbiddenStatus takes a list despite the name.
        XCTAssertAPIError({ () throws(APIError) in
            try validate("SetProductsForbiddenStatus", ["ProductId": "A", "Status": 1])
        }, code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in try validate("DescribeProduct", "ProductId") }, code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in try validate("DescribeProducts", ["Offset": true, "Limit": 10]) },
                          code: "InvalidParameter")
    }

    func testValidParametersAreNormalised() throws {
        XCTAssertEqual(try validate("DescribeProducts", ["Offset": 0, "Limit": 10.0]), ["Offset": 0, "Limit": 10])
        XCTAssertEqual(
            try validate("SetProductsForbiddenStatus", .v20180614, ["ProductID": ["A", "B"], "Status": 1]),
            ["ProductId": ["A", "B"], "Status": 1]
        )
        XCTAssertEqual(
            try validate("UpdateDevicesEnableState", .v20180614, ["ProductID": "A", "DeviceNames": ["d"], "Status": 0]),
            ["ProductId": "A", "DeviceNames": ["d"], "Status": 0]
        )
        // null optional members are dropped.
        XCTAssertEqual(try validate("DeleteDevice", ["ProductId": "A", "DeviceName": "d", "Skey": nil]),
                       ["ProductId": "A", "DeviceName": "d"])
        XCTAssertEqual(try validate("DescribeRegistrationLogs", [:]), [:])
        XCTAssertEqual(try validate("UpdateProductRegistrationPolicy", .v20180614, ["ProductId": "A", "ReplayProtection": true]),
                       ["ProductId": "A", "ReplayProtection": true])
        XCTAssertEqual(
            try validate("DescribeRegistrationLogs", .v20180614, ["Result": "failure", "StartTime": 1, "EndTime": 2]),
            ["Result": "failure", "StartTime": 1, "EndTime": 2]
        )
    }

    func testProductIDAliasing() {
        // 2018 spelling in 2021 and 2021 spelling in 2018 are both unknown.
        for action in ["DescribeDevice", "UpdateDevicesEnableState", "SetProductsForbiddenStatus"] {
            let schema2018 = catalog.schema(action: action, version: .v20180614)
            let schema2021 = catalog.schema(action: action, version: .v20210408)
            XCTAssertNotNil(schema2018?.requestField(named: "ProductID"), action)
            XCTAssertNil(schema2018?.requestField(named: "ProductId"), action)
            XCTAssertNotNil(schema2021?.requestField(named: "ProductId"), action)
            XCTAssertNil(schema2021?.requestField(named: "ProductID"), action)
            XCTAssertEqual(schema2018?.requestField(named: "ProductID")?.internalName, "ProductId")
        }
        // Other actions use ProductId in 2018 too.
        XCTAssertNotNil(catalog.schema(action: "DescribeDevices", version: .v20180614)?.requestField(named: "ProductId"))
        XCTAssertNotNil(catalog.schema(action: "CreateDevice", version: .v20180614)?.requestField(named: "ProductId"))
        XCTAssertEqual(catalog.wireName(internal: "ProductId", action: "DescribeDevice", version: .v20180614), "ProductID")
        XCTAssertEqual(catalog.wireName(internal: "ProductId", action: "DescribeDevice", version: .v20210408), "ProductId")
        XCTAssertEqual(catalog.wireName(internal: "ProductId", action: "DescribeDevices", version: .v20180614), "ProductId")
    }

    func testFieldTypesOfKeyFields() {
        let createProduct = catalog.schema(action: "CreateProduct", version: .v20210408)
        guard case .structure(let properties)? = createProduct?.requestField(named: "ProductProperties")?.type else {
            return XCTFail("ProductProperties must be a structure")
        }
        XCTAssertEqual(properties.field(named: "EncryptionType")?.type, .string)
        XCTAssertEqual(properties.field(named: "RegisterType")?.type, .integer)
        XCTAssertEqual(properties.field(named: "RegisterLimit")?.type, .integer)
        XCTAssertEqual(properties.field(named: "ProductSecret")?.type, .string)
        XCTAssertEqual(
            catalog.schema(action: "SetProductsForbiddenStatus", version: .v20210408)?.requestField(named: "ProductId")?.type,
            .array(.string)
        )
        let resetState = catalog.schema(action: "ResetDeviceState", version: .v20210408)
        XCTAssertEqual(resetState?.requestField(named: "DeviceNames")?.type, .array(.string))
        XCTAssertEqual(resetState?.requestField(named: "DeviceNames")?.required, true)
        let dynreg = catalog.schema(action: "UpdateProductDynamicRegister", version: .v20210408)
        XCTAssertEqual(dynreg?.request.filter(\.required).map(\.name), ["ProductId", "RegisterType", "RegisterLimit"])
        let logs = catalog.schema(action: "DescribeRegistrationLogs", version: .v20210408)
        XCTAssertEqual(logs?.request.filter(\.required), [])
        XCTAssertEqual(logs?.request.map(\.name),
                       ["ProductId", "DeviceName", "Result", "Reason", "Offset", "Limit", "StartTime", "EndTime"])
    }

    func testRequireSchemaErrors() {
        XCTAssertAPIError({ () throws(APIError) in try catalog.requireSchema(action: "Nope", version: .v20210408) },
                          code: "InvalidAction")
        XCTAssertAPIError({ () throws(APIError) in try catalog.requireSchema(action: "ListLog", version: .v20210408) },
                          code: "UnsupportedOperation")
    }
}
