import Registry

/// ListSDKLog: the log entries devices uploaded over HTTP (device-protocol.md §7.5.3), newest first.
extension ManagementActions {
    func listSDKLog(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        guard let deviceLogs else { throw ManagementError("FailedOperation", "This hub keeps no device logs.") }
        let minTime = try Self.require(p.int("MinTime"), "MinTime")
        let maxTime = try Self.require(p.int("MaxTime"), "MaxTime")
        guard minTime >= 0, maxTime >= minTime else {
            throw ManagementError.invalidValue("MinTime and MaxTime are Unix milliseconds with MinTime <= MaxTime.")
        }
        let keywords: SDKLogKeywords
        do {
            keywords = try SDKLogKeywords(parsing: p.string("Keywords") ?? "")
        } catch {
            throw ManagementError.invalidValue("loglevel must be ERR, WRN, INF or DBG.")
        }
        let limit = p.int("MaxNum") ?? 100
        guard (1...1000).contains(limit) else { throw ManagementError.invalidValue("MaxNum must be between 1 and 1000.") }
        var query = DeviceLogQuery(
            productId: keywords.productId, deviceName: keywords.deviceName, level: keywords.level, words: keywords.words,
            since: Int64(minTime), until: Int64(maxTime), limit: limit
        )
        // Entries past the retention age are never shown, even before the periodic pruning deletes them.
        if let maxAge = deviceLogRetention.maxAgeMillis {
            query.since = max(query.since ?? 0, RegistryEngine.systemMillis() - maxAge)
        }
        if let context = p.string("Context"), !context.isEmpty {
            guard let cursor = Int64(context), cursor > 0 else { throw ManagementError.invalidValue("Context is not one this hub returned.") }
            query.beforeId = cursor
        }
        let page: (entries: [DeviceLogEntry], more: Bool)
        do {
            page = try await deviceLogs.queryDeviceLogs(query)
        } catch {
            throw ManagementError("InternalError", "The device logs could not be read.")
        }
        return [
            // The cursor of the next page (the last entry's id), empty when all are listed.
            ("Context", .string(page.more ? String(page.entries.last?.id ?? 0) : "")),
            // true: every matching entry has been returned (like CLS's ListOver).
            ("Listover", .bool(!page.more)),
            ("Results", .array(page.entries.map(Self.sdkLogItem))),
        ]
    }

    private static func sdkLogItem(_ entry: DeviceLogEntry) -> ActionValue {
        .object([
            ("ProductId", .string(entry.productId)),
            ("DeviceName", .string(entry.deviceName)),
            ("Level", .string(entry.level)),
            ("DateTime", .string(entry.dateTime)),
            ("Content", .string(entry.content)),
        ])
    }
}
