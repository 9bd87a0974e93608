/// Naming rules and generators for ProductIds, DeviceNames, ClientIds and secrets
/// (device-protocol.md §1).
public enum DeviceIdentifiers {
    /// Length of every ProductId the hub issues. ClientIds are split by this length.
    public static let productIdLength = 10
    /// Maximum DeviceName length (C SDK limit).
    public static let maxDeviceNameLength = 48
    /// Maximum ProductName length.
    public static let maxProductNameLength = 32
    /// Length of generated ProductSecrets.
    public static let productSecretLength = 24
    /// Random bytes in a generated PSK.
    public static let pskByteCount = 16
    /// Largest decoded PSK the C SDK accepts.
    public static let maxPSKByteCount = 48

    private static let productIdAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// Exactly 10 characters `[A-Z0-9]`.
    public static func isValidProductId(_ productId: some StringProtocol) -> Bool {
        let bytes = productId.utf8
        return bytes.count == productIdLength && bytes.allSatisfy { isUpper($0) || isDigit($0) }
    }

    /// 1–48 characters `[a-zA-Z0-9:_-]` (so never `/`, `+` or `#`).
    public static func isValidDeviceName(_ deviceName: some StringProtocol) -> Bool {
        isNameText(deviceName, maxLength: maxDeviceNameLength)
    }

    /// ``isValidProductId(_:)`` for a `String` (specialized here; the generic one is not specialized
    /// across modules, and the registration path checks both identifiers of every request).
    public static func isValidProductId(_ productId: String) -> Bool {
        isValidProductId(productId[...])
    }

    /// ``isValidDeviceName(_:)`` for a `String` (see ``isValidProductId(_:)-(String)``).
    public static func isValidDeviceName(_ deviceName: String) -> Bool {
        isNameText(deviceName[...], maxLength: maxDeviceNameLength)
    }

    /// 1–32 characters `[a-zA-Z0-9:_-]`.
    public static func isValidProductName(_ productName: some StringProtocol) -> Bool {
        isNameText(productName, maxLength: maxProductNameLength)
    }

    /// The MQTT ClientId of a device: `{productId}{deviceName}`, no separator.
    public static func clientId(productId: String, deviceName: String) -> String {
        productId + deviceName
    }

    /// Splits a ClientId into the first 10 characters (ProductId) and the rest (DeviceName).
    /// Returns `nil` unless both parts are valid.
    public static func splitClientId(_ clientId: some StringProtocol) -> (productId: String, deviceName: String)? {
        let bytes = Array(clientId.utf8)
        guard bytes.count > productIdLength else { return nil }
        let productId = String(decoding: bytes[..<productIdLength], as: UTF8.self)
        let deviceName = String(decoding: bytes[productIdLength...], as: UTF8.self)
        guard isValidProductId(productId), isValidDeviceName(deviceName) else { return nil }
        return (productId, deviceName)
    }

    /// A new random ProductId (10 characters `[A-Z0-9]`).
    public static func generateProductId() -> String {
        var generator = SystemRandomNumberGenerator()
        return generateProductId(using: &generator)
    }

    /// A new ProductId drawn from `generator`.
    public static func generateProductId(using generator: inout some RandomNumberGenerator) -> String {
        randomText(count: productIdLength, from: productIdAlphabet, using: &generator)
    }

    /// A new random ProductSecret (24 characters `[A-Za-z0-9]`).
    public static func generateProductSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return generateProductSecret(using: &generator)
    }

    /// A new ProductSecret drawn from `generator`.
    public static func generateProductSecret(using generator: inout some RandomNumberGenerator) -> String {
        randomText(count: productSecretLength, from: secretAlphabet, using: &generator)
    }

    /// A new random DeviceSecret: Base64 of 16 random bytes (24 characters) from the system CSPRNG
    /// (through ``SecureRandom``'s pool: no system call per PSK).
    public static func generatePSK() -> String {
        var bytes = SecureRandom.bytes(pskByteCount)
        defer { bytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        return Base64.encode(bytes)
    }

    /// A new DeviceSecret drawn from `generator`.
    public static func generatePSK(using generator: inout some RandomNumberGenerator) -> String {
        let bytes = (0..<pskByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64.encode(bytes)
    }

    /// Whether `psk` is padded standard Base64 that decodes to 1–48 bytes.
    public static func isValidPSK(_ psk: some StringProtocol) -> Bool {
        guard let key = Base64.decode(psk) else { return false }
        return (1...maxPSKByteCount).contains(key.count)
    }

    /// The key bytes of a DeviceSecret (its Base64 decoding), or `nil` if it is not a valid PSK.
    public static func pskKeyBytes(_ psk: some StringProtocol) -> [UInt8]? {
        // One decoding (isValidPSK's test, on its result).
        guard let key = Base64.decode(psk), (1...maxPSKByteCount).contains(key.count) else { return nil }
        return key
    }

    /// ``pskKeyBytes(_:)`` for a `String` (specialized here; the registry indexes the key of every device).
    public static func pskKeyBytes(_ psk: String) -> [UInt8]? {
        pskKeyBytes(psk[...])
    }

    private static func isNameText(_ text: some StringProtocol, maxLength: Int) -> Bool {
        let bytes = text.utf8
        guard (1...maxLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            isUpper(byte) || isLower(byte) || isDigit(byte)
                || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private static func isUpper(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
    private static func isLower(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func randomText(
        count: Int,
        from alphabet: [Character],
        using generator: inout some RandomNumberGenerator
    ) -> String {
        String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
