public import JSONCore

/// A device shadow (device-protocol.md §6.3): the state the device reported, the state the cloud desires,
/// per-key change times, a version that only grows, and the time of the last change.
public struct ShadowDocument: Sendable, Equatable {
    public var reported: JSONObject
    public var desired: JSONObject
    /// Per-key metadata: `{"reported": {"key": {"timestamp": ms}}, "desired": {…}}`.
    public var reportedMetadata: JSONObject
    public var desiredMetadata: JSONObject
    public var version: Int64
    /// Unix milliseconds of the last change.
    public var timestamp: Int64

    /// Largest serialised document accepted (8 KiB).
    public static let maxSize = 8 * 1024

    public init(
        reported: JSONObject = JSONObject(), desired: JSONObject = JSONObject(), reportedMetadata: JSONObject = JSONObject(),
        desiredMetadata: JSONObject = JSONObject(), version: Int64 = 0, timestamp: Int64 = 0
    ) {
        self.reported = reported
        self.desired = desired
        self.reportedMetadata = reportedMetadata
        self.desiredMetadata = desiredMetadata
        self.version = version
        self.timestamp = timestamp
    }

    /// Every key of `desired` whose value differs from (or is missing in) `reported`, recursively.
    public var delta: JSONObject {
        Self.delta(desired: desired, reported: reported)
    }

    static func delta(desired: JSONObject, reported: JSONObject) -> JSONObject {
        var result = JSONObject()
        for (key, want) in desired.entries {
            let have = reported[key]
            if case .object(let wantObject) = want, case .object(let haveObject)? = have {
                let nested = delta(desired: wantObject, reported: haveObject)
                if !nested.isEmpty { result[key] = .object(nested) }
            } else if have != want {
                result[key] = want
            }
        }
        return result
    }

    /// Size of the stored state (reported + desired + metadata), as serialised JSON.
    public var serializedSize: Int {
        storageJSON.serialized().count
    }

    /// The persistent form.
    public var storageJSON: JSONValue {
        .object(JSONObject([
            ("reported", .object(reported)), ("desired", .object(desired)),
            ("metadata", .object(JSONObject([("reported", .object(reportedMetadata)), ("desired", .object(desiredMetadata))]))),
            ("version", .int(version)), ("timestamp", .int(timestamp)),
        ]))
    }

    public init?(storage: JSONValue) {
        guard case .object(let reported)? = storage["reported"], case .object(let desired)? = storage["desired"],
            let version = storage["version"]?.int64Value, let timestamp = storage["timestamp"]?.int64Value
        else { return nil }
        self.init(
            reported: reported, desired: desired,
            reportedMetadata: storage["metadata"]?["reported"]?.objectValue ?? JSONObject(),
            desiredMetadata: storage["metadata"]?["desired"]?.objectValue ?? JSONObject(),
            version: version, timestamp: timestamp
        )
    }
}
