/// Hub-specific actions for dynamic registration, served in both versions with the same fields.
/// Their responses are hub-defined (`response == nil`: passed through unchanged).
enum RegistrationActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        [
            ActionSchema(
                action: "ResetDeviceRegistration", version: version,
                request: [.required("ProductId", .string), .required("DeviceName", .string)]
            ),
            // Reads (and with ReplayProtection, changes) a product's registration policy beyond Tencent's
            // fields: replay protection and the count of devices registration created.
            ActionSchema(
                action: "UpdateProductRegistrationPolicy", version: version,
                request: [.required("ProductId", .string), .optional("ReplayProtection", .boolean)]
            ),
            ActionSchema(
                action: "DescribeRegistrationLogs", version: version,
                request: [
                    .optional("ProductId", .string),
                    .optional("DeviceName", .string),
                    // "success" or "failure"
                    .optional("Result", .string),
                    .optional("Reason", .string),
                    .optional("Offset", .integer),
                    .optional("Limit", .integer),
                    .optional("StartTime", .integer),
                    .optional("EndTime", .integer),
                ]
            ),
        ]
    }
}
