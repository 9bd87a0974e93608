/// The `NATS/1.0` header block as it appears on the wire:
///
///     NATS/1.0[ <status>[ <description>]]\r\n
///     Name: Value\r\n
///     ...
///     \r\n
extension NATSHeaders {
    static let versionLine: [UInt8] = Array("NATS/1.0".utf8)

    /// Throws ``NATSCoreError/Code/invalidHeader`` unless every field (and the status) can be written.
    public func validate() throws(NATSCoreError) {
        if let status = self.status, !(100...999).contains(status) {
            throw NATSCoreError(.invalidHeader, "status must have three digits")
        }
        if let description = self.statusDescription, description.utf8.contains(where: Self.isLineBreak) {
            throw NATSCoreError(.invalidHeader, "status description contains a line break")
        }
        for field in self.fields {
            if field.name.isEmpty {
                throw NATSCoreError(.invalidHeader, "header name is empty")
            }
            let badName = field.name.utf8.contains { byte in
                byte == UInt8(ascii: ":") || NATSSubject.isWhitespaceOrControl(byte) || byte >= 0x80
            }
            if badName {
                throw NATSCoreError(.invalidHeader, "header name '\(field.name)' has a reserved byte")
            }
            if field.value.utf8.contains(where: Self.isLineBreak) {
                throw NATSCoreError(.invalidHeader, "value of header '\(field.name)' contains a line break")
            }
        }
    }

    /// Appends the block, including the empty line that ends it. Call ``validate()`` first.
    public func write(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: Self.versionLine)
        if let status = self.status {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: String(status).utf8)
            if let description = self.statusDescription, !description.isEmpty {
                bytes.append(UInt8(ascii: " "))
                bytes.append(contentsOf: description.utf8)
            }
        }
        bytes.append(contentsOf: crlf)
        for field in self.fields {
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: field.value.utf8)
            bytes.append(contentsOf: crlf)
        }
        bytes.append(contentsOf: crlf)
    }

    /// The encoded size of the block, as announced in HPUB.
    public var encodedCount: Int {
        var bytes: [UInt8] = []
        self.write(into: &bytes)
        return bytes.count
    }

    /// Parses a complete block (as delimited by the HMSG header length).
    public init(parsing block: ArraySlice<UInt8>) throws(NATSCoreError) {
        var lines = SplitLines(block)
        guard let first = lines.next(), first.starts(with: Self.versionLine) else {
            throw NATSCoreError(.malformedHeaders, "header block does not start with NATS/1.0")
        }
        self.init(status: nil, statusDescription: nil, fields: [])
        let statusPart = first.dropFirst(Self.versionLine.count).drop(while: { $0 == UInt8(ascii: " ") })
        if !statusPart.isEmpty {
            let digits = statusPart.prefix(while: { $0 != UInt8(ascii: " ") })
            guard digits.count == 3, let code = Int(decoding: digits) else {
                throw NATSCoreError(.malformedHeaders, "status is not three digits")
            }
            self.status = code
            let description = statusPart.dropFirst(digits.count).drop(while: { $0 == UInt8(ascii: " ") })
            if !description.isEmpty {
                self.statusDescription = String(decoding: description, as: UTF8.self)
            }
        }
        var sawEnd = false
        while let line = lines.next() {
            if line.isEmpty {
                sawEnd = true
                break
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex else {
                throw NATSCoreError(.malformedHeaders, "header line without a name")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let value = line[line.index(after: colon)...].drop(while: { $0 == UInt8(ascii: " ") || $0 == 0x09 })
            self.append(name: name, value: String(decoding: value, as: UTF8.self))
        }
        // The server always terminates the block with an empty line; a block that merely ends (status-only
        // blocks from old servers) is accepted as long as nothing follows.
        if sawEnd, lines.next() != nil {
            throw NATSCoreError(.malformedHeaders, "bytes after the end of the header block")
        }
    }

    private static func isLineBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}

let crlf: [UInt8] = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]

/// Iterates CRLF-terminated lines; a final line without CRLF is returned as is (empty trailing part is not).
struct SplitLines: IteratorProtocol {
    private var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.rest = bytes
    }

    mutating func next() -> ArraySlice<UInt8>? {
        guard !self.rest.isEmpty else { return nil }
        var index = self.rest.startIndex
        while index < self.rest.endIndex {
            if self.rest[index] == UInt8(ascii: "\r"), index + 1 < self.rest.endIndex,
                self.rest[index + 1] == UInt8(ascii: "\n")
            {
                let line = self.rest[self.rest.startIndex..<index]
                self.rest = self.rest[(index + 2)...]
                return line
            }
            index += 1
        }
        let line = self.rest
        self.rest = self.rest[self.rest.endIndex...]
        return line
    }
}

extension Int {
    /// Parses unsigned ASCII decimal digits; `nil` for anything else or overflow.
    init?(decoding digits: some Collection<UInt8>) {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        self = value
    }
}
