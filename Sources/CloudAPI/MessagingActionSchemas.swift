/// Schemas for the messaging, shadow and log-level actions (cloud-api.md §7.3–§7.5). They are
/// **not** registered in `ActionCatalog.standard` (those actions answer `UnsupportedOperation`);
/// a hub that implements them registers them: `catalog.register(contentsOf: ActionCatalog.messagingSchemas(.v20210408))`.
enum MessagingActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        let productAndDevice: [FieldSpec] = [.required("ProductId", .string), .required("DeviceName", .string)]
        var updateShadow: [FieldSpec] = productAndDevice + [
            .required("State", .string),
            .required("ShadowVersion", .integer),
        ]
        if version == .v20180614 { updateShadow.append(.optional("Prefix", .string)) }
        var schemas = [
            ActionSchema(
                action: "PublishMessage", version: version,
                request: [
                    .required("Topic", .string),
                    .required("Payload", .string),
                    .required("ProductId", .string),
                    .required("DeviceName", .string),
                    .optional("Qos", .integer),
                    .optional("PayloadEncoding", .string),
                ],
                response: []
            ),
            ActionSchema(
                action: "PublishBroadcastMessage", version: version,
                request: [
                    .required("ProductId", .string),
                    .required("Payload", .string),
                    .required("Qos", .integer),
                    .optional("PayloadEncoding", .string),
                ],
                response: [.optional("TaskId", .integer)]
            ),
            ActionSchema(
                action: "PublishRRPCMessage", version: version,
                request: productAndDevice + [.required("Payload", .string)],
                response: [.optional("MessageId", .integer), .optional("PayloadBase64", .string)]
            ),
            ActionSchema(
                action: "DescribeDeviceShadow", version: version,
                request: productAndDevice,
                response: [.optional("Data", .string)]
            ),
            ActionSchema(
                action: "UpdateDeviceShadow", version: version,
                request: updateShadow,
                response: [.optional("Data", .string)]
            ),
        ]
        if version == .v20210408 {
            schemas += [
                ActionSchema(action: "DeleteDeviceShadow", version: version, request: productAndDevice, response: []),
                ActionSchema(
                    action: "UpdateDeviceLogLevel", version: version,
                    request: productAndDevice + [.required("LogLevel", .integer)],
                    response: []
                ),
            ]
        }
        return schemas
    }
}
