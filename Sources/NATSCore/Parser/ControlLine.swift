/// Parses one control line (without its CRLF) into an operation, or into the header of a MSG/HMSG whose
/// payload follows.
enum ControlLine {
    enum Parsed {
        case operation(NATSServerOperation)
        case messageHeader(NATSServerOperationParser.PendingMessage)
    }

    static func parse(
        _ line: ArraySlice<UInt8>,
        limits: NATSServerOperationParser.Limits
    ) throws(NATSCoreError) -> Parsed {
        let name = line.prefix(while: { !isBlank($0) })
        let rest = line[name.endIndex...].drop(while: isBlank)
        switch uppercased(name) {
        case "MSG":
            return .messageHeader(try self.parseMessage(rest, hasHeaders: false, limits: limits))
        case "HMSG":
            return .messageHeader(try self.parseMessage(rest, hasHeaders: true, limits: limits))
        case "PING":
            try self.expectNoArguments(rest, "PING")
            return .operation(.ping)
        case "PONG":
            try self.expectNoArguments(rest, "PONG")
            return .operation(.pong)
        case "+OK":
            try self.expectNoArguments(rest, "+OK")
            return .operation(.ok)
        case "-ERR":
            var text = rest
            while let last = text.last, isBlank(last) { text = text.dropLast() }
            if text.count >= 2, text.first == UInt8(ascii: "'"), text.last == UInt8(ascii: "'") {
                text = text.dropFirst().dropLast()
            }
            return .operation(.error(String(decoding: text, as: UTF8.self)))
        case "INFO":
            return .operation(.info(try NATSServerInfo(json: rest)))
        default:
            let shown = String(decoding: name.prefix(16), as: UTF8.self)
            throw NATSCoreError(.unknownOperation, "unknown operation '\(shown)'")
        }
    }

    /// `MSG <subject> <sid> [reply-to] <#bytes>` or `HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>`.
    private static func parseMessage(
        _ arguments: ArraySlice<UInt8>,
        hasHeaders: Bool,
        limits: NATSServerOperationParser.Limits
    ) throws(NATSCoreError) -> NATSServerOperationParser.PendingMessage {
        let operation = hasHeaders ? "HMSG" : "MSG"
        let tokens = arguments.split(whereSeparator: isBlank)
        let sizeCount = hasHeaders ? 2 : 1
        guard tokens.count == 2 + sizeCount || tokens.count == 3 + sizeCount else {
            throw NATSCoreError(.malformedOperation, "\(operation) with \(tokens.count) arguments")
        }
        guard let sid = UInt64(exactly: Int(decoding: tokens[1]) ?? -1) else {
            throw NATSCoreError(.malformedOperation, "\(operation) with a non-numeric sid")
        }
        let sizes = tokens.suffix(sizeCount).map { Int(decoding: $0) }
        guard let totalLength = sizes.last ?? nil else {
            throw NATSCoreError(.malformedOperation, "\(operation) with a non-numeric size")
        }
        var headerLength: Int?
        if hasHeaders {
            guard let length = sizes[0], length <= totalLength else {
                throw NATSCoreError(.malformedOperation, "HMSG header size is not a number within the total size")
            }
            headerLength = length
        }
        if totalLength > limits.maxPayloadSize {
            throw NATSCoreError(
                .payloadTooLarge,
                "\(operation) payload of \(totalLength) bytes exceeds the limit of \(limits.maxPayloadSize)"
            )
        }
        let replyTo = tokens.count == 3 + sizeCount ? String(decoding: tokens[2], as: UTF8.self) : nil
        return .init(
            subject: String(decoding: tokens[0], as: UTF8.self),
            sid: sid,
            replyTo: replyTo,
            headerLength: headerLength,
            totalLength: totalLength
        )
    }

    private static func expectNoArguments(_ rest: ArraySlice<UInt8>, _ operation: String) throws(NATSCoreError) {
        if rest.contains(where: { !isBlank($0) }) {
            throw NATSCoreError(.malformedOperation, "\(operation) takes no arguments")
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func uppercased(_ name: ArraySlice<UInt8>) -> String {
        String(decoding: name.prefix(8).map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }
}
