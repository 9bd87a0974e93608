/// Device actions (cloud-api.md §7.3) for one version. `UpdateDevicePSK` exists only in 2021-04-08.
enum DeviceActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        let productAndDevice: [FieldSpec] = [.required("ProductId", .string), .required("DeviceName", .string)]
        var createDevice: [FieldSpec] = productAndDevice + [
            .optional("Attribute", .structure(StandardStructs.attribute)),
            .optional("DefinedPsk", .string),
            .optional("Isp", .integer),
            .optional("Imei", .string),
            .optional("LoraDevEui", .string),
            .optional("LoraMoteType", .integer),
            .optional("LoraAppKey", .string),
            .optional("Skey", .string),
        ]
        if version == .v20210408 { createDevice.append(.optional("TlsCrt", .string)) }

        var schemas = [
            ActionSchema(
                action: "CreateDevice", version: version,
                request: createDevice,
                response: [
                    .optional("DeviceName", .string),
                    .optional("DevicePsk", .string),
                    .optional("DeviceCert", .string),
                    .optional("DevicePrivateKey", .string),
                    .optional("LoraDevEui", .string),
                    .optional("LoraMoteType", .integer),
                    .optional("LoraAppKey", .string),
                    .optional("LoraNwkKey", .string),
                ]
            ),
            ActionSchema(
                action: "DescribeDevice", version: version,
                request: [
                    StandardStructs.productIdField(version, capitalDIn2018: true),
                    .required("DeviceName", .string),
                ],
                response: StandardStructs.deviceInfoFields(version)
            ),
            ActionSchema(
                action: "DescribeDevices", version: version,
                request: [
                    .required("ProductId", .string),
                    .required("Offset", .integer),
                    .required("Limit", .integer),
                    .optional("FirmwareVersion", .string),
                    .optional("DeviceName", .string),
                    .optional("EnableState", .integer),
                    // Hub extension: 1 online, 0 offline (activated), 3 never activated (DeviceInfo's `Online`).
                    .optional("Online", .integer),
                ],
                response: [
                    .optional("TotalCount", .integer),
                    .optional("Devices", .array(.structure(StandardStructs.deviceInfo(version)))),
                ]
            ),
            ActionSchema(
                action: "DeleteDevice", version: version,
                request: productAndDevice + [.optional("Skey", .string)],
                response: []
            ),
            ActionSchema(
                action: "UpdateDeviceAvailableState", version: version,
                request: productAndDevice + [.required("EnableState", .integer)],
                response: []
            ),
            ActionSchema(
                action: "UpdateDevicesEnableState", version: version,
                request: [
                    StandardStructs.productIdField(version, capitalDIn2018: true),
                    .required("DeviceNames", .array(.string)),
                    .required("Status", .integer),
                ],
                response: []
            ),
            ActionSchema(
                action: "ResetDeviceState", version: version,
                request: [.required("ProductId", .string), .required("DeviceNames", .array(.string))],
                response: [
                    .optional("SuccessCount", .integer),
                    .optional("ResetDeviceResults", .array(.structure(StandardStructs.resetDeviceResult))),
                ]
            ),
            ActionSchema(
                action: "DescribeDeviceClientKey", version: version,
                request: productAndDevice,
                response: [.optional("ClientKey", .string)]
            ),
        ]
        // Hub action: all of the names or none (the response is hub-defined, passed through).
        schemas.append(ActionSchema(
            action: "CreateDevices", version: version,
            request: [.required("ProductId", .string), .required("DeviceNames", .array(.string))]
        ))
        if version == .v20210408 {
            schemas.append(ActionSchema(
                action: "UpdateDevicePSK", version: version,
                request: productAndDevice + [.required("Psk", .string)],
                response: []
            ))
        }
        return schemas
    }
}
