/// Firmware / OTA actions (cloud-api.md §7.7) for one version. 2018-06-14 spells the product field
/// `ProductID` in every firmware action and takes `FwType` instead of `FirmwareUserDefined` in
/// UploadFirmware and EditFirmware (§9); ListFirmwares, GetAllVersion and UpdateOtaTaskStatus are 2021
/// only. Responses use `ProductId` in both versions. `DescribeFirmwareFiles` is the hub's own, in both.
enum FirmwareActionSchemas {
    static let searchKeyword = StructSchema("SearchKeyword", [.required("Key", .string), .optional("Value", .string)])

    static let firmwareTaskInfo = StructSchema("FirmwareTaskInfo", [
        .optional("TaskId", .integer), .optional("Status", .integer), .optional("Type", .integer), .optional("CreateTime", .integer),
    ])

    static let deviceUpdateStatus = StructSchema("DeviceUpdateStatus", [
        .optional("DeviceName", .string), .optional("LastProcessTime", .integer), .optional("Status", .integer), .optional("ErrMsg", .string),
        .optional("Retcode", .integer), .optional("DstVersion", .string), .optional("Percent", .integer), .optional("OriVersion", .string),
        .optional("TaskId", .integer),
    ])

    static let statusStatistic = StructSchema("StatusStatistic", [.optional("Status", .integer), .optional("Total", .integer)])

    static let firmwareInfo = StructSchema("FirmwareInfo", [
        .optional("Version", .string), .optional("Md5sum", .string), .optional("CreateTime", .integer), .optional("ProductName", .string),
        .optional("Name", .string), .optional("Description", .string), .optional("ProductId", .string), .optional("FwType", .string),
        .optional("CreateUserId", .integer), .optional("UserDefined", .string),
    ])

    static func all(_ version: APIVersion) -> [ActionSchema] {
        let product = StandardStructs.productIdField(version, capitalDIn2018: true)
        let firmware: [FieldSpec] = [product, .required("FirmwareVersion", .string)]
        let taskEntry = firmware + [.required("TaskId", .integer)]
        let deviceEntry: [FieldSpec] = [product, .required("DeviceName", .string), .required("FirmwareVersion", .string), .required("TaskId", .integer)]
        let custom: FieldSpec = version == .v20210408 ? .optional("FirmwareUserDefined", .string) : .optional("FwType", .string)

        var getCOSURL = firmware
        if version == .v20210408 { getCOSURL.append(.optional("FileSize", .integer)) }
        var batchUpdate = firmware + [
            .optional("FirmwareOriVersion", .string),
            .optional("UpgradeMethod", .integer),
            .optional("FileName", .string),
            .optional("FileMd5", .string),
            .optional("FileSize", .integer),
            .optional("DeviceNames", .array(.string)),
            .optional("TimeoutInterval", .integer),
        ]
        if version == .v20210408 { batchUpdate.append(.optional("Type", .integer)) }
        var describeFirmware: [FieldSpec] = [
            .optional("Version", .string), .optional("ProductId", .string), .optional("Name", .string), .optional("Description", .string),
            .optional("Md5sum", .string), .optional("Createtime", .integer), .optional("ProductName", .string), .optional("FwType", .string),
        ]
        if version == .v20210408 { describeFirmware.append(.optional("UserDefined", .string)) }
        var describeTask: [FieldSpec] = [
            .optional("TaskId", .integer), .optional("Status", .integer), .optional("CreateTime", .integer), .optional("Type", .integer),
            .optional("ProductName", .string), .optional("UpgradeMode", .string), .optional("ProductId", .string),
        ]
        if version == .v20210408 { describeTask.append(.optional("OriginalVersion", .string)) }

        var schemas = [
            ActionSchema(action: "GetCOSURL", version: version, request: getCOSURL, response: [.optional("Url", .string)]),
            ActionSchema(
                action: "UploadFirmware", version: version,
                request: firmware + [
                    .required("Md5sum", .string), .required("FileSize", .integer), .optional("FirmwareName", .string),
                    .optional("FirmwareDescription", .string), custom,
                ],
                response: []
            ),
            ActionSchema(action: "DescribeFirmware", version: version, request: firmware, response: describeFirmware),
            ActionSchema(
                action: "EditFirmware", version: version,
                request: firmware + [.required("FirmwareName", .string), .optional("FirmwareDescription", .string), custom],
                response: []
            ),
            ActionSchema(action: "BatchUpdateFirmware", version: version, request: batchUpdate, response: [.optional("TaskId", .integer)]),
            ActionSchema(action: "DescribeFirmwareTask", version: version, request: taskEntry, response: describeTask),
            ActionSchema(
                action: "DescribeFirmwareTasks", version: version,
                request: firmware + [.required("Offset", .integer), .required("Limit", .integer), .optional("Filters", .array(.structure(searchKeyword)))],
                response: [.optional("TaskInfos", .array(.structure(firmwareTaskInfo))), .optional("Total", .integer)]
            ),
            ActionSchema(
                action: "DescribeFirmwareTaskDevices", version: version,
                request: [
                    product, .optional("FirmwareVersion", .string), .optional("Filters", .array(.structure(searchKeyword))),
                    .optional("Offset", .integer), .optional("Limit", .integer),
                ],
                response: [.optional("Total", .integer), .optional("Devices", .array(.structure(deviceUpdateStatus)))]
            ),
            ActionSchema(
                action: "DescribeFirmwareTaskStatistics", version: version, request: firmware,
                response: [.optional("SuccessTotal", .integer), .optional("FailureTotal", .integer), .optional("UpgradingTotal", .integer)]
            ),
            ActionSchema(
                action: "DescribeFirmwareTaskDistribution", version: version, request: taskEntry,
                response: [.optional("StatusInfos", .array(.structure(statusStatistic)))]
            ),
            ActionSchema(action: "CancelDeviceFirmwareTask", version: version, request: deviceEntry, response: []),
            // Hub action (not Tencent's): the stored files' sizes, which no Tencent response carries, and the
            // largest file the hub accepts. `Files` holds {Version, FileSize, Md5sum}, newest first.
            ActionSchema(
                action: "DescribeFirmwareFiles", version: version, request: [.required("ProductId", .string), .optional("FirmwareVersion", .string)]
            ),
            ActionSchema(action: "RetryDeviceFirmwareTask", version: version, request: deviceEntry, response: []),
        ]
        if version == .v20210408 {
            schemas += [
                ActionSchema(
                    action: "ListFirmwares", version: version,
                    request: [
                        .required("PageNum", .integer), .required("PageSize", .integer), .optional("ProductId", .string),
                        .optional("Filters", .array(.structure(searchKeyword))),
                    ],
                    response: [.optional("TotalCount", .integer), .optional("Firmwares", .array(.structure(firmwareInfo)))]
                ),
                ActionSchema(
                    action: "GetAllVersion", version: version, request: [.required("ProductId", .string)],
                    response: [.optional("Version", .array(.string))]
                ),
                ActionSchema(
                    action: "UpdateOtaTaskStatus", version: version,
                    request: [.required("ProductId", .string), .required("TaskId", .integer), .required("Status", .integer)],
                    response: []
                ),
            ]
        }
        return schemas
    }
}
