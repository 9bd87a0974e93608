/// Gateway topology actions (cloud-api.md §7.10): BindDevices and UnbindDevices in both versions (same field
/// names, `ProductId` also in 2018-06-14), DescribeGatewayBindDevices in 2021-04-08 only.
enum GatewayActionSchemas {
    static let bindDeviceInfo = StructSchema("BindDeviceInfo", [
        .optional("ProductId", .string),
        .optional("DeviceName", .string),
        .optional("Tags", .array(.structure(StandardStructs.deviceTag))),
        .optional("BindTime", .integer),
    ])

    static func all(_ version: APIVersion) -> [ActionSchema] {
        let topology: [FieldSpec] = [
            .required("GatewayProductId", .string), .required("GatewayDeviceName", .string),
            .required("ProductId", .string), .required("DeviceNames", .array(.string)),
            .optional("Skey", .string),
        ]
        var schemas = [
            ActionSchema(action: "BindDevices", version: version, request: topology, response: []),
            ActionSchema(action: "UnbindDevices", version: version, request: topology, response: []),
            // Hub action: unbind every sub-device of a gateway and push `unbind_all` to it.
            ActionSchema(
                action: "UnbindAllSubDevices", version: version,
                request: [.required("GatewayProductId", .string), .required("GatewayDeviceName", .string)],
                response: [.optional("UnboundCount", .integer)]
            ),
        ]
        if version == .v20210408 {
            schemas.append(ActionSchema(
                action: "DescribeGatewayBindDevices", version: version,
                request: [
                    .required("GatewayProductId", .string), .required("GatewayDeviceName", .string),
                    .required("Offset", .integer), .required("Limit", .integer), .optional("ProductId", .string),
                ],
                response: [
                    .optional("TotalCount", .integer),
                    .optional("Devices", .array(.structure(bindDeviceInfo))),
                    .optional("ProductName", .string),
                ]
            ))
        }
        return schemas
    }
}
