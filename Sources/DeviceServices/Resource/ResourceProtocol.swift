import JSONCore

/// Resource management on `$resource/up|down/service/{pid}/{dn}` (device-protocol.md §6.12): parses what a
/// device publishes on the up topic and builds the exact texts the hub publishes on the down topic.
/// Pure: no storage, no policy beyond the message rules of §6.12.2 and §6.12.4.
public enum ResourceProtocol {
    /// Longest resource name: C33 keeps names in a 64-byte buffer filled with `strncpy`.
    public static let maxNameLength = 63

    public static func upTopic(productId: String, deviceName: String) -> String { "$resource/up/service/\(productId)/\(deviceName)" }
    public static func downTopic(productId: String, deviceName: String) -> String { "$resource/down/service/\(productId)/\(deviceName)" }

    /// `progress.state` of a report.
    public enum State: String, Sendable, Hashable {
        case downloading, uploading, done, fail
    }

    /// The `progress` object of a report.
    public struct Progress: Sendable, Hashable {
        public var state: State
        /// 0...100 with `downloading`/`uploading`; nil with `done`/`fail`.
        public var percent: Int?
        /// 0 ok, -1 `time_out`, -2 `file_not_exist`, -3 `sign invalid`, -4 `md5sum not matched`.
        public var resultCode: Int64
        public var resultMessage: String

        public init(state: State, percent: Int? = nil, resultCode: Int64 = 0, resultMessage: String = "") {
            self.state = state
            self.percent = percent
            self.resultCode = resultCode
            self.resultMessage = resultMessage
        }
    }

    /// What a device asks or reports on its up topic.
    public enum Request: Sendable, Hashable {
        /// `{"type": "get_download_task"}`.
        case getDownloadTask
        /// `create_upload_task` with a valid name, a size of at least 1 byte and a lowercase hex MD5.
        case createUploadTask(name: String, size: Int64, md5: String)
        /// `report_download_progress`; the state is `downloading`, `done` or `fail`.
        case downloadProgress(name: String, Progress)
        /// `report_upload_progress`; the state is `uploading`, `done` or `fail`.
        case uploadProgress(name: String, Progress)
    }

    /// `nil` for what gets no reply and changes nothing: not a JSON object, unknown `type`, a missing or
    /// mistyped field, a name or MD5 outside the rules, a percent outside 0...100, a state of the other
    /// direction. Numbers are accepted as JSON integers or decimal strings (C33's own parser is lax too).
    public static func parse(_ payload: [UInt8]) -> Request? {
        guard let message = try? JSONValue(parsing: payload), case .object = message, let type = message["type"]?.stringValue else { return nil }
        switch type {
        case "get_download_task":
            return .getDownloadTask
        case "create_upload_task":
            guard let name = message["name"]?.stringValue, isValidName(name), let size = integer(message["size"]), size >= 1,
                let md5 = message["md5sum"]?.stringValue, isMD5(md5)
            else { return nil }
            return .createUploadTask(name: name, size: size, md5: md5)
        case "report_download_progress":
            guard let (name, progress) = report(message, running: .downloading) else { return nil }
            return .downloadProgress(name: name, progress)
        case "report_upload_progress":
            guard let (name, progress) = report(message, running: .uploading) else { return nil }
            return .uploadProgress(name: name, progress)
        default:
            return nil
        }
    }

    /// The name and progress of a report whose running state is `running`.
    static func report(_ message: JSONValue, running: State) -> (String, Progress)? {
        // Reports carry names of 1...64 characters (§6.12.2); longer ones were never the hub's.
        guard let name = message["name"]?.stringValue, !name.isEmpty, name.count <= maxNameLength + 1,
            let body = message["progress"], case .object = body,
            let stateText = body["state"]?.stringValue, let state = State(rawValue: stateText), state == running || state == .done || state == .fail
        else { return nil }
        var progress = Progress(state: state)
        if state == running {
            guard let percent = integer(body["percent"]), (0...100).contains(percent) else { return nil }
            progress.percent = Int(percent)
        }
        if let code = body["result_code"] {
            guard let value = integer(code) else { return nil }
            progress.resultCode = value
        }
        if let text = body["result_msg"] {
            guard let value = text.stringValue else { return nil }
            progress.resultMessage = value
        }
        return (name, progress)
    }

    /// An integer, or a decimal string.
    static func integer(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let number)?: return number
        case .string(let text)?: return Int64(text)
        default: return nil
        }
    }

    /// 1...63 characters of `[A-Za-z0-9._-]` (§6.12.4).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameLength
            && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 95 || $0 == 45 }
    }

    /// 32 lowercase hex digits (C33 compares with `strcmp` against its own lowercase MD5).
    public static func isMD5(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    // MARK: hub → device

    /// A file the device downloads or uploads: what the `*_rsp` and `download` messages carry.
    public struct Task: Sendable, Hashable {
        public var name: String
        public var size: Int64
        public var md5: String
        public var url: String

        public init(name: String, size: Int64, md5: String, url: String) {
            self.name = name
            self.size = size
            self.md5 = md5
            self.url = url
        }
    }

    /// How a download task reaches the device: the answer to `get_download_task`, or the unsolicited push.
    public enum DownloadForm: String, Sendable {
        case reply = "get_download_task_rsp"
        case push = "download"
    }

    /// `{"type":"get_download_task_rsp","size":…,"name":"…","md5sum":"…","url":"…"}` (or `"type":"download"`),
    /// in the vendor example's key order.
    public static func downloadTask(_ task: Task, _ form: DownloadForm) -> [UInt8] {
        taskMessage(form.rawValue, task)
    }

    /// `{"type":"create_upload_task_rsp","size":…,"name":"…","md5sum":"…","url":"…"}`.
    public static func uploadTask(_ task: Task) -> [UInt8] {
        taskMessage("create_upload_task_rsp", task)
    }

    static func taskMessage(_ type: String, _ task: Task) -> [UInt8] {
        JSONValue.object(JSONObject([
            ("type", .string(type)), ("size", .int(task.size)), ("name", .string(task.name)), ("md5sum", .string(task.md5)), ("url", .string(task.url)),
        ])).serialized()
    }

    /// Which report a reply answers.
    public enum Direction: Sendable {
        case download, upload
    }

    /// `{"type":"report_download_progress_rsp","result_code":0,"result_msg":"ok"}` (or `report_upload_progress_rsp`).
    public static func progressReply(_ direction: Direction, resultCode: Int64 = 0, resultMessage: String = "ok") -> [UInt8] {
        let type = direction == .download ? "report_download_progress_rsp" : "report_upload_progress_rsp"
        return JSONValue.object(JSONObject([("type", .string(type)), ("result_code", .int(resultCode)), ("result_msg", .string(resultMessage))])).serialized()
    }

    /// `result_msg` of the non-zero replies (§6.12.4).
    public enum ReplyMessage {
        public static let uploadNotReceived = "upload not received"
        public static let md5Mismatch = "md5 mismatch"
        /// A report about a task the hub does not have (deleted, never created): the device stops.
        public static let noSuchTask = "no such task"
    }
}
