/// Hub actions for source-address bans (not Tencent's), in both versions.
enum AbuseActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        [
            ActionSchema(action: "DescribeBans", version: version, request: []),
            // Duration in seconds; absent or 0 = until removed.
            ActionSchema(
                action: "CreateBan", version: version,
                request: [.required("Address", .string), .optional("Duration", .integer), .optional("Reason", .string)]
            ),
            ActionSchema(action: "DeleteBan", version: version, request: [.required("Address", .string)]),
        ]
    }
}
