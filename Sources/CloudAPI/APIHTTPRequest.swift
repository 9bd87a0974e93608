/// A management-API HTTP request exactly as received, before any interpretation. Signatures are
/// verified over these raw values, so the HTTP layer must not normalise them.
public struct APIHTTPRequest: Sendable, Equatable {
    /// `GET`, `POST`, … as sent.
    public var method: String
    /// Query string as sent, without the leading `?` (`""` when there is none).
    public var rawQuery: String
    public var headers: HTTPHeaderList
    /// Body bytes as received (empty for GET).
    public var body: [UInt8]
    /// The TCP connection it came on (peer `ip:port`), nil when unknown. The replay check lets one client
    /// reuse a signature for another request on the same connection (see `APIReplayCache`).
    public var connection: String?

    public init(method: String, rawQuery: String = "", headers: HTTPHeaderList, body: [UInt8] = [], connection: String? = nil) {
        self.method = method
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.connection = connection
    }

    public init(
        method: String,
        rawQuery: String = "",
        headers: [(name: String, value: String)],
        body: [UInt8] = [],
        connection: String? = nil
    ) {
        self.init(method: method, rawQuery: rawQuery, headers: HTTPHeaderList(headers), body: body, connection: connection)
    }

    /// `Content-Type` media type, lower-cased, without parameters (`application/json`).
    var mediaType: String? {
        guard let value = headers["Content-Type"] else { return nil }
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingASCIIWhitespace().lowercased()
    }

    var isFormBody: Bool {
        mediaType == "application/x-www-form-urlencoded"
    }
}

extension StringProtocol {
    /// Trims spaces and tabs (and CR/LF) at both ends.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
