import Crypto

/// The classic log upload of the C SDK 3.2 (`POST /cgi-bin/report-log`, device-protocol.md §7.5.1): a
/// 112-byte text header followed by log entries each terminated by `\n\f`, signed inside the body.
///
/// | Offset | Length | Content |
/// |---|---|---|
/// | 0 | 40 | lowercase hex HMAC-SHA1 of bytes 40..end |
/// | 40 | 1 | `P` (PSK build) or `C` (certificate build) |
/// | 41 | 3 | `###` |
/// | 44 | 10 | ProductId |
/// | 54 | 48 | DeviceName, right-padded with `#` |
/// | 102 | 10 | timestamp, `%010ld` |
/// | 112 | rest | entries, each followed by `\n\f` |
public struct ClassicLogUpload: Sendable, Hashable {
    /// The request path.
    public static let path = "/cgi-bin/report-log"
    /// Bytes before the first entry.
    public static let headerLength = 112
    /// What ends each entry (0x0A 0x0C).
    public static let entryTerminator: [UInt8] = [0x0A, 0x0C]

    static let signatureLength = 40
    static let productIdRange = 44..<54
    static let deviceNameRange = 54..<102
    static let timestampRange = 102..<112

    /// The build's credential kind, byte 40 of the body.
    public enum Marker: UInt8, Sendable, Hashable {
        case psk = 0x50  // "P"
        case certificate = 0x43  // "C"
    }

    /// The 40 signature characters as sent.
    public var signature: [UInt8]
    public var marker: Marker
    /// ProductId (bytes 44..53; trailing `#` and NUL removed).
    public var productId: String
    /// DeviceName (bytes 54..101; trailing `#` and NUL removed: `#` cannot occur in names).
    public var deviceName: String
    /// The 10 timestamp characters (not checked: `0000000000` before the device has the time).
    public var timestamp: String
    /// The entries, without their terminators (empty pieces dropped).
    public var entries: [String]
    /// Everything after the signature: what the HMAC covers.
    public var signedBytes: ArraySlice<UInt8>

    /// Parses a body by offsets. `nil` when it is shorter than the header or byte 40 is not `P` or `C`.
    public init?(parsing body: [UInt8]) {
        guard body.count >= Self.headerLength, let marker = Marker(rawValue: body[Self.signatureLength]) else { return nil }
        self.signature = Array(body[0..<Self.signatureLength])
        self.marker = marker
        self.productId = Self.trimmedField(body[Self.productIdRange])
        self.deviceName = Self.trimmedField(body[Self.deviceNameRange])
        self.timestamp = String(decoding: body[Self.timestampRange], as: UTF8.self)
        self.entries = DeviceLogLine.split(body[Self.headerLength...])
        self.signedBytes = body[Self.signatureLength...]
    }

    /// Whether the signature is the HMAC-SHA1 of ``signedBytes`` under one of `keys` (see ``LogUploadKeys``).
    /// Each comparison is constant-time; hex is compared lower-cased (the SDK writes lowercase).
    public func verify(keys: [String]) -> Bool {
        let given = signature.map { (0x41...0x46).contains($0) ? $0 | 0x20 : $0 }
        var matched = false
        for key in keys {
            let expected = Self.sign(signedBytes, key: key)
            if ConstantTime.equals(expected.utf8, given) { matched = true }
        }
        return matched
    }

    /// Lowercase hex HMAC-SHA1 of `signed` keyed with the UTF-8 bytes of `key`.
    public static func sign(_ signed: some Collection<UInt8>, key: String) -> String {
        Hex.encode(HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed), using: SymmetricKey(data: Array(key.utf8))))
    }

    /// A body as the C SDK builds it: header, entries each followed by `\n\f`, signature over the rest.
    /// ProductId is copied as 10 bytes (padded with `#` if shorter), DeviceName padded with `#` to 48.
    public static func make(
        productId: String, deviceName: String, timestamp: Int64, entries: [String], key: String, marker: Marker = .psk
    ) -> [UInt8] {
        var signed: [UInt8] = [marker.rawValue]
        signed += Array("###".utf8)
        signed += padded(productId, to: productIdRange.count)
        signed += padded(deviceName, to: deviceNameRange.count)
        let digits = String(max(timestamp, 0))
        signed += Array((String(repeating: "0", count: max(0, timestampRange.count - digits.count)) + digits).utf8.prefix(timestampRange.count))
        for entry in entries {
            signed += Array(entry.utf8)
            signed += entryTerminator
        }
        return Array(sign(signed, key: key).utf8) + signed
    }

    private static func padded(_ text: String, to length: Int) -> [UInt8] {
        let bytes = Array(text.utf8.prefix(length))
        return bytes + [UInt8](repeating: UInt8(ascii: "#"), count: length - bytes.count)
    }

    private static func trimmedField(_ bytes: ArraySlice<UInt8>) -> String {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "#") || bytes[end - 1] == 0 { end -= 1 }
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }
}
