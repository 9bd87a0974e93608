/// The MQTT username of a device: `{clientId};{sdkappid};{connid};{expiry}` (device-protocol.md §5.2).
public struct DeviceUsername: Sendable, Hashable, CustomStringConvertible {
    /// The username's expiry field (§5.4).
    public enum Expiry: Sendable, Hashable {
        /// The value does not fit in 64 bits: never expires.
        case never
        /// Unix seconds (or whatever the client put there; Python sends milliseconds,
        /// which simply lie far in the future).
        case at(UInt64)

        /// The text ``never`` is written as: LONG_MAX, as the C SDK on 64-bit hosts sends it.
        public static let neverText = "9223372036854775807"

        /// Parses 1–20 ASCII digits. A value above `UInt64.max` is ``never``.
        public init?(parsing text: some StringProtocol) {
            self.init(digits: text.utf8)
        }

        /// The bytes of 1–20 ASCII digits, read in one pass (no `Character` iteration: this runs for every
        /// device CONNECT).
        init?(digits utf8: some Collection<UInt8>) {
            var count = 0
            var value: UInt64 = 0
            var overflowed = false
            for byte in utf8 {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                count += 1
                guard count <= 20 else { return nil }
                if !overflowed {
                    let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                    if o1 || o2 { overflowed = true } else { value = sum }
                }
            }
            guard count > 0 else { return nil }
            self = overflowed ? .never : .at(value)
        }

        /// Expired only if strictly before `nowSeconds` (equal is still valid).
        public func isExpired(nowSeconds: UInt64) -> Bool {
            switch self {
            case .never: false
            case .at(let value): value < nowSeconds
            }
        }

        /// The decimal text sent in a username (``neverText`` for ``never``).
        public var text: String {
            switch self {
            case .never: Self.neverText
            case .at(let value): String(value)
            }
        }
    }

    /// The sdkappid the C and Python SDKs send.
    public static let defaultSDKAppId = "21010406"

    /// Field 1; the hub requires it to equal the CONNECT ClientId.
    public var clientId: String
    /// Field 2; opaque (`21010406` C/Python, `12010126` Java).
    public var sdkAppId: String
    /// Field 3; opaque, non-empty (the SDKs send 5 random alphanumerics).
    public var connId: String
    /// Field 4.
    public var expiry: Expiry

    public init(clientId: String, sdkAppId: String = Self.defaultSDKAppId, connId: String, expiry: Expiry) {
        self.clientId = clientId
        self.sdkAppId = sdkAppId
        self.connId = connId
        self.expiry = expiry
    }

    /// Parses a username: exactly four `;`-separated fields, non-empty ClientId and connid,
    /// expiry of 1–20 digits. Returns `nil` otherwise (CONNACK 4).
    ///
    /// Verify the password over the username text as received, not over ``description``
    /// (which normalises, e.g., leading zeros of the expiry).
    public init?(parsing text: some StringProtocol) {
        self.init(parsing: String(text))
    }

    /// ``init(parsing:)`` for a `String`: the fields are found by scanning the UTF-8 bytes for `;` (a generic
    /// `split` over `Character`s was 4 % of the hub's CPU in a storm of device connects).
    public init?(parsing text: String) {
        let utf8 = text.utf8
        var separators = (utf8.startIndex, utf8.startIndex, utf8.startIndex)
        var found = 0
        var index = utf8.startIndex
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: ";") {
                switch found {
                case 0: separators.0 = index
                case 1: separators.1 = index
                case 2: separators.2 = index
                default: return nil
                }
                found += 1
            }
            utf8.formIndex(after: &index)
        }
        // `;` is ASCII, so every separator index is also a `String` index.
        guard found == 3 else { return nil }
        let clientId = text[..<separators.0]
        let sdkAppId = text[utf8.index(after: separators.0)..<separators.1]
        let connId = text[utf8.index(after: separators.1)..<separators.2]
        guard !clientId.isEmpty, !connId.isEmpty,
            let expiry = Expiry(digits: utf8[utf8.index(after: separators.2)...])
        else { return nil }
        self.init(clientId: String(clientId), sdkAppId: String(sdkAppId), connId: String(connId), expiry: expiry)
    }

    /// The username text.
    public var description: String {
        "\(clientId);\(sdkAppId);\(connId);\(expiry.text)"
    }

    /// Builds the username text for a device.
    public static func make(
        productId: String,
        deviceName: String,
        sdkAppId: String = defaultSDKAppId,
        connId: String = randomConnId(),
        expiry: Expiry
    ) -> String {
        DeviceUsername(
            clientId: DeviceIdentifiers.clientId(productId: productId, deviceName: deviceName),
            sdkAppId: sdkAppId,
            connId: connId,
            expiry: expiry
        ).description
    }

    /// Five random characters `[A-Za-z0-9]`, as the SDKs use for connid.
    public static func randomConnId() -> String {
        var generator = SystemRandomNumberGenerator()
        return randomConnId(using: &generator)
    }

    /// Five characters `[A-Za-z0-9]` drawn from `generator`.
    public static func randomConnId(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<5).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
