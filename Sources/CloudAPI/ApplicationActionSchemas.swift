/// Hub actions for application access (business applications connecting over MQTT), in both versions.
enum ApplicationActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        [
            ActionSchema(
                action: "CreateApplication", version: version,
                request: [.required("Name", .string), .required("ProductIds", .array(.string))]
            ),
            ActionSchema(
                action: "DescribeApplications", version: version,
                request: [.optional("Offset", .integer), .optional("Limit", .integer)]
            ),
            ActionSchema(action: "DeleteApplication", version: version, request: [.required("AppId", .string)]),
            // Webhooks: device messages and lifecycle events of a product POSTed to a URL ("" = off).
            ActionSchema(
                action: "UpdateProductWebhook", version: version, request: [.required("ProductId", .string), .required("Url", .string)]
            ),
            ActionSchema(action: "DescribeProductWebhook", version: version, request: [.required("ProductId", .string)]),
            // Remote configuration of a product's devices (`$config/operation`): a JSON object as text.
            ActionSchema(
                action: "UpdateProductRemoteConfig", version: version, request: [.required("ProductId", .string), .required("Config", .string)]
            ),
            ActionSchema(action: "DescribeProductRemoteConfig", version: version, request: [.required("ProductId", .string)]),
        ]
    }
}
