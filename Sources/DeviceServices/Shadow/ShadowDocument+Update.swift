public import JSONCore

/// Why a shadow change was refused (`result` of the device reply).
public enum ShadowRejection: Int, Sendable, Error, Equatable {
    /// Not valid JSON, missing or unknown `type`, `state` not an object.
    case invalidRequest = 1
    /// The document would exceed 8 KiB.
    case tooLarge = 2
}

extension ShadowDocument {
    /// Applies an update: `reported` and/or `desired` merged recursively (`null` deletes a key, a `null`
    /// section clears it), `overwriteReported` replaces `reported` instead. Increments the version. Throws
    /// (leaving the document unchanged) when the result would be too large.
    public mutating func update(reported: JSONValue?, desired: JSONValue?, overwriteReported: Bool, now: Int64) throws(ShadowRejection) {
        var next = self
        if let reported {
            switch reported {
            case .null:
                next.reported = JSONObject()
                next.reportedMetadata = JSONObject()
            case .object(let changes):
                if overwriteReported {
                    next.reported = JSONObject()
                    next.reportedMetadata = JSONObject()
                }
                Self.merge(changes, into: &next.reported, metadata: &next.reportedMetadata, now: now)
            default:
                throw .invalidRequest
            }
        }
        if let desired {
            switch desired {
            case .null:
                next.desired = JSONObject()
                next.desiredMetadata = JSONObject()
            case .object(let changes):
                Self.merge(changes, into: &next.desired, metadata: &next.desiredMetadata, now: now)
            default:
                throw .invalidRequest
            }
        }
        next.version += 1
        next.timestamp = now
        guard next.serializedSize <= Self.maxSize else { throw .tooLarge }
        self = next
    }

    /// Clears reported and desired; the version keeps growing.
    public mutating func clear(now: Int64) {
        reported = JSONObject()
        desired = JSONObject()
        reportedMetadata = JSONObject()
        desiredMetadata = JSONObject()
        version += 1
        timestamp = now
    }

    static func merge(_ changes: JSONObject, into target: inout JSONObject, metadata: inout JSONObject, now: Int64) {
        for (key, value) in changes.entries {
            switch value {
            case .null:
                target[key] = nil
                metadata[key] = nil
            case .object(let nested):
                var existing: JSONObject
                if case .object(let current)? = target[key] { existing = current } else { existing = JSONObject() }
                var nestedMetadata = JSONObject()
                merge(nested, into: &existing, metadata: &nestedMetadata, now: now)
                target[key] = .object(existing)
                metadata[key] = .object(JSONObject([("timestamp", .int(now))]))
            default:
                target[key] = value
                metadata[key] = .object(JSONObject([("timestamp", .int(now))]))
            }
        }
    }
}
