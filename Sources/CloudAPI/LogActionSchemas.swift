/// ListSDKLog (device logs uploaded over HTTP, device-protocol.md §7.5.3), in both versions with the official
/// request fields: `MinTime`/`MaxTime` Unix ms, `Keywords` (`productid:` `devicename:` `loglevel:` and free
/// text), `Context` (the page cursor a previous answer returned), `MaxNum`. The response (`Context`,
/// `Listover`, `Results` of SDKLogItem) is passed through.
enum LogActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        [
            ActionSchema(
                action: "ListSDKLog", version: version,
                request: [
                    .required("MinTime", .integer),
                    .required("MaxTime", .integer),
                    .required("Keywords", .string),
                    .optional("Context", .string),
                    .optional("MaxNum", .integer),
                ]
            )
        ]
    }
}
