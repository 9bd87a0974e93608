public import JSONCore

/// The `$shadow/operation` exchange (device-protocol.md §6.3): parses a device request, applies it to the
/// document and builds the exact replies.
public enum ShadowProtocol {
    public enum Outcome: Sendable, Equatable {
        /// The reply to publish on `$shadow/operation/result/{pid}/{dn}`, whether the document changed, and
        /// the delta to push afterwards (when `desired` changed and the delta is non-empty).
        case reply(JSONValue, changed: Bool, deltaPush: JSONValue?)
    }

    /// Handles one request. `nowMillis` is the hub clock.
    public static func handle(_ payload: [UInt8], document: inout ShadowDocument, nowMillis: Int64) -> Outcome {
        let seconds = nowMillis / 1000
        guard let request = try? JSONValue(parsing: payload), case .object = request else {
            return .reply(rejection(type: nil, token: nil, .invalidRequest, seconds: seconds), changed: false, deltaPush: nil)
        }
        let token = request["clientToken"]
        let type = request["type"]?.stringValue
        switch type {
        case "get":
            return .reply(getReply(document, token: token, seconds: seconds), changed: false, deltaPush: nil)
        case "update":
            guard case .object(let state)? = request["state"] else {
                return .reply(rejection(type: type, token: token, .invalidRequest, seconds: seconds), changed: false, deltaPush: nil)
            }
            let before = document.desired
            do {
                try document.update(
                    reported: state["reported"], desired: state["desired"],
                    overwriteReported: request["overwriteUpdate"]?.boolValue == true, now: nowMillis
                )
            } catch {
                return .reply(rejection(type: type, token: token, error, seconds: seconds), changed: false, deltaPush: nil)
            }
            var fields: [(String, JSONValue)] = []
            if let token { fields.append(("clientToken", token)) }
            fields += [
                ("payload", .object(JSONObject([("state", .object(state)), ("timestamp", .int(nowMillis)), ("version", .int(document.version))]))),
                ("result", .int(0)), ("timestamp", .int(seconds)), ("type", .string("update")),
            ]
            let push = document.desired != before ? deltaPush(document) : nil
            return .reply(.object(JSONObject(fields)), changed: true, deltaPush: push)
        case "delete":
            document.clear(now: nowMillis)
            var fields: [(String, JSONValue)] = []
            if let token { fields.append(("clientToken", token)) }
            fields += [("result", .int(0)), ("timestamp", .int(seconds)), ("type", .string("delete"))]
            return .reply(.object(JSONObject(fields)), changed: true, deltaPush: nil)
        default:
            return .reply(rejection(type: type, token: token, .invalidRequest, seconds: seconds), changed: false, deltaPush: nil)
        }
    }

    /// `{"clientToken":…,"payload":{"state":{"delta"?,"desired"?,"reported":{…}},"timestamp":ms,"version":n},"result":0,"timestamp":s,"type":"get"}`
    public static func getReply(_ document: ShadowDocument, token: JSONValue?, seconds: Int64) -> JSONValue {
        var state: [(String, JSONValue)] = []
        let delta = document.delta
        if !delta.isEmpty { state.append(("delta", .object(delta))) }
        if !document.desired.isEmpty { state.append(("desired", .object(document.desired))) }
        state.append(("reported", .object(document.reported)))
        var fields: [(String, JSONValue)] = []
        if let token { fields.append(("clientToken", token)) }
        fields += [
            (
                "payload",
                .object(JSONObject([("state", .object(JSONObject(state))), ("timestamp", .int(document.timestamp)), ("version", .int(document.version))]))
            ),
            ("result", .int(0)), ("timestamp", .int(seconds)), ("type", .string("get")),
        ]
        return .object(JSONObject(fields))
    }

    /// `{"type":"delta","payload":{"state":{…delta…},"timestamp":ms,"version":n}}`, or nil when in sync.
    public static func deltaPush(_ document: ShadowDocument) -> JSONValue? {
        let delta = document.delta
        guard !delta.isEmpty else { return nil }
        return .object(JSONObject([
            ("type", .string("delta")),
            ("payload", .object(JSONObject([("state", .object(delta)), ("timestamp", .int(document.timestamp)), ("version", .int(document.version))]))),
        ]))
    }

    static func rejection(type: String?, token: JSONValue?, _ reason: ShadowRejection, seconds: Int64) -> JSONValue {
        var fields: [(String, JSONValue)] = []
        if let token { fields.append(("clientToken", token)) }
        fields += [("result", .int(Int64(reason.rawValue))), ("timestamp", .int(seconds)), ("type", .string(type ?? ""))]
        return .object(JSONObject(fields))
    }

    /// The management API's `Data` (cloud-api.md §7.5): the document with metadata, `type` get or update.
    public static func managementData(_ document: ShadowDocument, type: String, nowMillis: Int64) -> JSONValue {
        var state: [(String, JSONValue)] = [("reported", .object(document.reported))]
        var metadata: [(String, JSONValue)] = [("reported", .object(document.reportedMetadata))]
        if !document.desired.isEmpty {
            state.append(("desired", .object(document.desired)))
            metadata.append(("desired", .object(document.desiredMetadata)))
        }
        return .object(JSONObject([
            (
                "payload",
                .object(JSONObject([
                    ("state", .object(JSONObject(state))), ("metadata", .object(JSONObject(metadata))), ("timestamp", .int(document.timestamp)),
                    ("version", .int(document.version)),
                ]))
            ),
            ("result", .int(0)), ("timestamp", .int(nowMillis)), ("type", .string(type)),
        ]))
    }
}
