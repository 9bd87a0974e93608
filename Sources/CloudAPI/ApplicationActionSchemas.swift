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
        ]
    }
}
