import Foundation

/// Validation of the names the CA puts into certificates.
enum Names {
    /// ProductId: exactly 10 characters `[A-Z0-9]` (device-protocol.md §1: ClientIds are split by length).
    static func isValidProductId(_ value: String) -> Bool {
        value.utf8.count == 10 && value.utf8.allSatisfy { (0x41...0x5a).contains($0) || (0x30...0x39).contains($0) }
    }

    /// DeviceName: `[a-zA-Z0-9:_-]{1,48}` (device-protocol.md §1).
    static func isValidDeviceName(_ value: String) -> Bool {
        (1...48).contains(value.utf8.count)
            && value.utf8.allSatisfy { c in
                (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c) || (0x30...0x39).contains(c)
                    || c == UInt8(ascii: ":") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            }
    }

    /// A DNS name for a server certificate: dot-separated labels of `[A-Za-z0-9_-]` (1–63 chars, not
    /// starting or ending with `-`), total ≤ 253; the first label may be the wildcard `*`.
    /// A trailing dot is not accepted.
    static func isValidHostname(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 253 else { return false }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if index == 0 && label == "*" && labels.count > 1 { continue }
            guard (1...63).contains(label.utf8.count),
                label.utf8.first != UInt8(ascii: "-"), label.utf8.last != UInt8(ascii: "-"),
                label.utf8.allSatisfy({ c in
                    (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c) || (0x30...0x39).contains(c)
                        || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
                })
            else { return false }
        }
        return true
    }
}

/// Textual IP address parsing into network-order bytes, as used in the `iPAddress` SAN.
enum IPAddress {
    /// Parses dotted-quad IPv4 (4 bytes) or RFC 4291 IPv6 text (16 bytes; `::` compression, embedded
    /// IPv4 tail, optional surrounding brackets). Zone ids (`%eth0`) and leading zeros in IPv4 octets are
    /// rejected. Returns nil if `text` is neither.
    static func parse(_ text: String) -> [UInt8]? {
        if let v4 = parseIPv4(Substring(text)) { return v4 }
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") && text.count >= 2 {
            text = text.dropFirst().dropLast()
        }
        return parseIPv6(text)
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                !(part.utf8.count > 1 && part.utf8.first == UInt8(ascii: "0")),
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard !text.isEmpty else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        if halves.count == 1 {
            guard let bytes = groups(Substring(halves[0]), allowIPv4Tail: true), bytes.count == 16 else { return nil }
            return bytes
        }
        guard let head = groups(Substring(halves[0]), allowIPv4Tail: false),
            let tail = groups(Substring(halves[1]), allowIPv4Tail: true),
            head.count + tail.count <= 14
        else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    private static func groups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if allowIPv4Tail && index == parts.count - 1 && part.contains(".") {
                guard let v4 = parseIPv4(part) else { return nil }
                bytes += v4
                continue
            }
            guard (1...4).contains(part.utf8.count),
                part.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }),
                let value = UInt16(part, radix: 16)
            else { return nil }
            bytes.append(UInt8(value >> 8))
            bytes.append(UInt8(value & 0xff))
        }
        return bytes
    }
}
