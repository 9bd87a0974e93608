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
            let utf8 = text.utf8
            guard (1...20).contains(utf8.count),
                utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            else { return nil }
            if let value = UInt64(text) {
                self = .at(value)
            } else {
                self = .never
            }
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
        let fields = text.split(separator: ";", omittingEmptySubsequences: false)
        guard fields.count == 4, !fields[0].isEmpty, !fields[2].isEmpty,
            let expiry = Expiry(parsing: fields[3])
        else { return nil }
        self.init(clientId: String(fields[0]), sdkAppId: String(fields[1]), connId: String(fields[2]), expiry: expiry)
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
