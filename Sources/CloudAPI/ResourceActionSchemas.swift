/// Resource management actions (cloud-api.md §7.8, device-protocol.md §6.12.4), the same in both versions.
/// The official ones spell the product field `ProductID` in both versions (internal name `ProductId`) and
/// mark it optional; the handlers require it where they need it. iotcloud has no action to create product
/// resources or push tasks, so the hub adds its own, with the same spelling: CreateProductResource (returns
/// the URL taking one PUT of the file), DeleteProductResource, PushProductResource (returns `TaskId`),
/// DescribeResourceTaskDevices (per-device entries, like DescribeFirmwareTaskDevices).
enum ResourceActionSchemas {
    static let deviceResourceInfo = StructSchema("DeviceResourceInfo", [
        .optional("ProductID", .string), .optional("ProductName", .string), .optional("Name", .string), .optional("Md5", .string),
        .optional("Size", .integer), .optional("UpdateTime", .string), .optional("DeviceName", .string), .optional("Status", .integer),
        .optional("Percent", .integer),
    ])

    static let productResourceInfo = StructSchema("ProductResourceInfo", [
        .optional("ProductID", .string), .optional("ProductName", .string), .optional("Name", .string), .optional("Md5", .string),
        .optional("Size", .integer), .optional("Description", .string), .optional("CreateTime", .string),
    ])

    static func all(_ version: APIVersion) -> [ActionSchema] {
        let product = FieldSpec.optional("ProductID", .string, internalName: "ProductId")
        let requiredProduct = FieldSpec.required("ProductID", .string, internalName: "ProductId")
        return [
            // official (cloud-api.md §7.8)
            ActionSchema(
                action: "DescribeDeviceResource", version: version, request: [.required("DeviceName", .string), product, .optional("Name", .string)],
                response: [.optional("Result", .structure(deviceResourceInfo))]
            ),
            ActionSchema(
                action: "DescribeDeviceResources", version: version,
                request: [
                    .required("Offset", .integer), .required("Limit", .integer), product, .optional("DeviceName", .string),
                    .optional("StartTime", .string), .optional("EndTime", .string),
                ],
                response: [.optional("TotalCount", .integer), .optional("Result", .array(.structure(deviceResourceInfo)))]
            ),
            ActionSchema(
                action: "DescribeProductResource", version: version, request: [product, .optional("Name", .string)],
                response: [.optional("Result", .structure(productResourceInfo))]
            ),
            ActionSchema(
                action: "DescribeProductResources", version: version,
                request: [.required("Offset", .integer), .required("Limit", .integer), product, .optional("Name", .string)],
                response: [.optional("TotalCount", .integer), .optional("Result", .array(.structure(productResourceInfo)))]
            ),
            ActionSchema(
                action: "DownloadDeviceResource", version: version, request: [product, .optional("Name", .string), .optional("DeviceName", .string)],
                response: [.optional("Url", .string)]
            ),
            ActionSchema(
                action: "DeleteDeviceResource", version: version, request: [product, .optional("Name", .string), .optional("DeviceName", .string)]
            ),
            ActionSchema(
                action: "GetUserResourceInfo", version: version, request: [],
                response: [.optional("UsedSize", .integer), .optional("Limit", .integer)]
            ),
            ActionSchema(
                action: "DescribeResourceTasks", version: version,
                request: [
                    product, .optional("Name", .string), .optional("Offset", .integer), .optional("Limit", .integer),
                    .optional("Filters", .array(.structure(FirmwareActionSchemas.searchKeyword))),
                ],
                response: [.optional("TaskInfos", .array(.structure(FirmwareActionSchemas.firmwareTaskInfo))), .optional("Total", .integer)]
            ),
            ActionSchema(
                action: "DescribePushResourceTaskStatistics", version: version, request: [product, .optional("Name", .string)],
                response: [.optional("SuccessTotal", .integer), .optional("FailureTotal", .integer), .optional("UpgradingTotal", .integer)]
            ),
            // hub actions
            ActionSchema(
                action: "CreateProductResource", version: version,
                request: [requiredProduct, .required("Name", .string), .required("Md5", .string), .required("Size", .integer), .optional("Description", .string)],
                response: [.optional("Url", .string)]
            ),
            ActionSchema(action: "DeleteProductResource", version: version, request: [requiredProduct, .required("Name", .string)]),
            ActionSchema(
                action: "PushProductResource", version: version,
                request: [requiredProduct, .required("Name", .string), .optional("DeviceNames", .array(.string))],
                response: [.optional("TaskId", .integer)]
            ),
            ActionSchema(
                action: "DescribeResourceTaskDevices", version: version,
                request: [requiredProduct, .required("Name", .string), .optional("TaskId", .integer), .optional("Offset", .integer), .optional("Limit", .integer)],
                response: [.optional("Total", .integer), .optional("Devices", .array(.structure(FirmwareActionSchemas.deviceUpdateStatus)))]
            ),
        ]
    }
}
