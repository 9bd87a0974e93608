/// Encodes client→server operations. Every function validates its arguments first and appends nothing on error.
///
/// Publishing is split in two so that a transport can write the payload straight from its own buffer:
/// ``writePublishHead(subject:replyTo:headers:payloadCount:into:)`` writes `PUB`/`HPUB` up to and including the
/// header block, the caller writes the payload, then ``publishTail`` (CRLF).
public enum NATSClientEncoder {
    public static let ping: [UInt8] = Array("PING\r\n".utf8)
    public static let pong: [UInt8] = Array("PONG\r\n".utf8)
    public static let publishTail: [UInt8] = crlf

    /// `CONNECT {json}\r\n`.
    public static func writeConnect(_ options: NATSConnectOptions, into bytes: inout [UInt8]) throws(NATSCoreError) {
        if let name = options.name, name.utf8.contains(where: { $0 < 0x20 }) {
            throw NATSCoreError(.invalidConnectOption, "client name contains a control character")
        }
        bytes.append(contentsOf: "CONNECT ".utf8)
        bytes.append(contentsOf: options.json())
        bytes.append(contentsOf: crlf)
    }

    /// `PUB <subject> [reply-to] <#bytes>\r\n`, or with headers
    /// `HPUB <subject> [reply-to] <#header bytes> <#total bytes>\r\n<header block>`.
    ///
    /// Headers that are `nil` or empty produce a plain `PUB`.
    /// - Returns: the number of bytes the server counts against its `max_payload` (headers + payload).
    @discardableResult
    public static func writePublishHead(
        subject: String,
        replyTo: String?,
        headers: NATSHeaders?,
        payloadCount: Int,
        into bytes: inout [UInt8]
    ) throws(NATSCoreError) -> Int {
        try NATSSubject.validate(subject, as: .publish)
        if let replyTo {
            try NATSSubject.validate(replyTo, as: .publish)
        }
        var headerBlock: [UInt8] = []
        if let headers, !headers.isEmpty {
            try headers.validate()
            headers.write(into: &headerBlock)
        }
        bytes.append(contentsOf: (headerBlock.isEmpty ? "PUB " : "HPUB ").utf8)
        bytes.append(contentsOf: subject.utf8)
        if let replyTo {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: replyTo.utf8)
        }
        if !headerBlock.isEmpty {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: String(headerBlock.count).utf8)
        }
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: String(headerBlock.count + payloadCount).utf8)
        bytes.append(contentsOf: crlf)
        bytes.append(contentsOf: headerBlock)
        return headerBlock.count + payloadCount
    }

    /// A complete PUB/HPUB including payload and trailing CRLF.
    @discardableResult
    public static func writePublish(
        subject: String,
        replyTo: String? = nil,
        headers: NATSHeaders? = nil,
        payload: some Collection<UInt8>,
        into bytes: inout [UInt8]
    ) throws(NATSCoreError) -> Int {
        let size = try self.writePublishHead(
            subject: subject,
            replyTo: replyTo,
            headers: headers,
            payloadCount: payload.count,
            into: &bytes
        )
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: crlf)
        return size
    }

    /// `SUB <subject> [queue group] <sid>\r\n`.
    public static func writeSubscribe(
        subject: String,
        queueGroup: String?,
        sid: UInt64,
        into bytes: inout [UInt8]
    ) throws(NATSCoreError) {
        try NATSSubject.validate(subject, as: .subscribe)
        if let queueGroup {
            try NATSSubject.validateQueueGroup(queueGroup)
        }
        bytes.append(contentsOf: "SUB ".utf8)
        bytes.append(contentsOf: subject.utf8)
        if let queueGroup {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: queueGroup.utf8)
        }
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: String(sid).utf8)
        bytes.append(contentsOf: crlf)
    }

    /// `UNSUB <sid> [max messages]\r\n`: with `maxMessages`, the server removes the subscription once it has
    /// delivered that many messages in total.
    public static func writeUnsubscribe(sid: UInt64, maxMessages: UInt64?, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: "UNSUB ".utf8)
        bytes.append(contentsOf: String(sid).utf8)
        if let maxMessages {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: String(maxMessages).utf8)
        }
        bytes.append(contentsOf: crlf)
    }
}
