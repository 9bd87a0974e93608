import DeviceAuth
import Foundation

/// Identifiers read from a registration request the gateway refuses, for its audit entry: whatever string
/// members are there, length-capped and without control characters.
struct AuditIdentifiers {
    var productId: String?
    var deviceName: String?

    init(body: [UInt8], productKey: String, deviceKey: String) {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        productId = (object?[productKey] as? String).map(Self.safe)
        deviceName = (object?[deviceKey] as? String).map(Self.safe)
    }

    init(productId: String, deviceName: String) {
        self.productId = Self.safe(productId)
        self.deviceName = Self.safe(deviceName)
    }

    private static func safe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64)))
    }
}

/// The identifier rules of device-protocol.md §1, applied after parsing: `nil` when both are valid.
func identifierProblem(productId: String, deviceName: String) -> String? {
    if !DeviceIdentifiers.isValidDeviceName(deviceName) { return "device name does not match [a-zA-Z0-9:_-]{1,48}" }
    if !DeviceIdentifiers.isValidProductId(productId) { return "product id is not 10 characters [A-Z0-9]" }
    return nil
}
