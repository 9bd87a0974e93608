/// An incremental parser for the server→client byte stream.
///
/// Feed bytes as they arrive with ``append(_:)`` (chunks may be split anywhere, even inside a CRLF), then call
/// ``next()`` until it returns `nil`. Limits are enforced before bytes are buffered beyond them: a control line
/// longer than ``Limits/maxControlLineLength`` fails as soon as that many bytes arrived without a line end, and
/// an announced payload over ``Limits/maxPayloadSize`` fails at its control line, before any payload byte is kept.
///
/// After an error the parser stays failed (every later ``next()`` rethrows it): the stream cannot be resynchronised
/// and the connection must be closed.
public struct NATSServerOperationParser: Sendable {
    public struct Limits: Hashable, Sendable {
        /// The longest control line (without CRLF) accepted. INFO is the longest; a large cluster's INFO lists
        /// every server's URL. Default: 64 KiB.
        public var maxControlLineLength: Int
        /// The largest MSG/HMSG payload (headers included) accepted. NATS servers cap it at 64 MiB and default
        /// to 1 MiB. Default: 8 MiB.
        public var maxPayloadSize: Int

        public init(maxControlLineLength: Int = 64 * 1024, maxPayloadSize: Int = 8 * 1024 * 1024) {
            self.maxControlLineLength = maxControlLineLength
            self.maxPayloadSize = maxPayloadSize
        }
    }

    /// The control line of a MSG/HMSG whose payload has not fully arrived yet.
    struct PendingMessage: Hashable, Sendable {
        var subject: String
        var sid: UInt64
        var replyTo: String?
        var headerLength: Int?
        var totalLength: Int
    }

    public var limits: Limits
    private var buffer: [UInt8] = []
    /// The first byte not yet consumed.
    private var readIndex = 0
    /// Where the search for the next line end resumes, so a long line arriving in pieces is scanned once.
    private var scanIndex = 0
    private var pending: PendingMessage?
    private var failure: NATSCoreError?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The number of bytes received but not yet returned as operations.
    public var bufferedByteCount: Int { self.buffer.count - self.readIndex }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        self.compact()
        self.buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes from raw memory (for example a NIO `ByteBuffer`'s readable bytes).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        self.compact()
        self.buffer.append(contentsOf: bytes)
    }

    /// The next complete operation, or `nil` if more bytes are needed.
    public mutating func next() throws(NATSCoreError) -> NATSServerOperation? {
        if let failure = self.failure { throw failure }
        do {
            if let pending = self.pending {
                return try self.parsePayload(of: pending)
            }
            return try self.parseControlLine()
        } catch {
            self.failure = error
            throw error
        }
    }

    private mutating func compact() {
        if self.readIndex == self.buffer.count {
            self.buffer.removeAll(keepingCapacity: true)
            self.readIndex = 0
            self.scanIndex = 0
        } else if self.readIndex >= 16 * 1024 && self.readIndex * 2 >= self.buffer.count {
            self.buffer.removeFirst(self.readIndex)
            self.scanIndex -= self.readIndex
            self.readIndex = 0
        }
    }

    private mutating func parseControlLine() throws(NATSCoreError) -> NATSServerOperation? {
        guard let lineFeed = self.buffer[max(self.scanIndex, self.readIndex)...].firstIndex(of: UInt8(ascii: "\n"))
        else {
            self.scanIndex = self.buffer.count
            // A pending '\r' may still be followed by its '\n'; anything beyond that is over the limit.
            if self.bufferedByteCount > self.limits.maxControlLineLength + 1 {
                throw NATSCoreError(.controlLineTooLong, "no line end within \(self.limits.maxControlLineLength) bytes")
            }
            return nil
        }
        guard lineFeed > self.readIndex, self.buffer[lineFeed - 1] == UInt8(ascii: "\r") else {
            throw NATSCoreError(.malformedOperation, "control line not terminated by CRLF")
        }
        let line = self.buffer[self.readIndex..<(lineFeed - 1)]
        if line.count > self.limits.maxControlLineLength {
            throw NATSCoreError(.controlLineTooLong, "control line of \(line.count) bytes")
        }
        self.readIndex = lineFeed + 1
        self.scanIndex = self.readIndex
        switch try ControlLine.parse(line, limits: self.limits) {
        case .operation(let operation):
            return operation
        case .messageHeader(let pending):
            self.pending = pending
            return try self.parsePayload(of: pending)
        }
    }

    private mutating func parsePayload(of pending: PendingMessage) throws(NATSCoreError) -> NATSServerOperation? {
        guard self.bufferedByteCount >= pending.totalLength + 2 else { return nil }
        let start = self.readIndex
        let end = start + pending.totalLength
        guard self.buffer[end] == UInt8(ascii: "\r"), self.buffer[end + 1] == UInt8(ascii: "\n") else {
            throw NATSCoreError(.malformedOperation, "payload of \(pending.totalLength) bytes not followed by CRLF")
        }
        var headers: NATSHeaders?
        var payloadStart = start
        if let headerLength = pending.headerLength {
            headers = try NATSHeaders(parsing: self.buffer[start..<(start + headerLength)])
            payloadStart = start + headerLength
        }
        let message = NATSInboundMessage(
            subject: pending.subject,
            sid: pending.sid,
            replyTo: pending.replyTo,
            headers: headers,
            payload: Array(self.buffer[payloadStart..<end])
        )
        self.pending = nil
        self.readIndex = end + 2
        self.scanIndex = self.readIndex
        return .message(message)
    }
}
