import Logging
import DeviceAuth
import Foundation

/// The legacy registration body: JSON whatever the Content-Type says; nonce and timestamp as integers or
/// decimal strings.
struct LegacyRegistrationBody {
    struct Request {
        var productId: String
        var deviceName: String
        var nonce: String
        var timestamp: String
        var signature: String
    }

    var request: Request?
    /// Whatever identifiers could be read, for the audit of a refused request.
    var ids: (productId: String?, deviceName: String?) = (nil, nil)
    var problem = ""

    init(_ body: [UInt8]) {
        guard let object = parseJSONObject(body) else {
            problem = "body is not a JSON object"
            return
        }
        let productId = object.strings["productId"]
        let deviceName = object.strings["deviceName"]
        ids = (productId.map(auditSafe), deviceName.map(auditSafe))
        guard let productId, let deviceName else {
            problem = "productId or deviceName missing or not a string"
            return
        }
        guard let nonce = object.decimals["nonce"], let timestamp = object.decimals["timestamp"] else {
            problem = "nonce or timestamp missing or not a decimal integer"
            return
        }
        guard let signature = object.strings["signature"], !signature.isEmpty else {
            problem = "signature missing or not a string"
            return
        }
        guard DeviceIdentifiers.isValidDeviceName(deviceName) else {
            problem = "device name does not match [a-zA-Z0-9:_-]{1,48}"
            return
        }
        guard DeviceIdentifiers.isValidProductId(productId) else {
            problem = "product id is not 10 characters [A-Z0-9]"
            return
        }
        request = Request(productId: productId, deviceName: deviceName, nonce: nonce, timestamp: timestamp, signature: signature)
    }
}

/// The v2 registration body `{"ProductId":"…","DeviceName":"…"}`; extra fields are ignored (they are still
/// covered by the body hash).
struct V2RegistrationBody {
    struct Request {
        var productId: String
        var deviceName: String
    }

    var request: Request?
    var ids: (productId: String?, deviceName: String?) = (nil, nil)
    var problem = ""

    init(_ body: [UInt8]) {
        guard let object = parseJSONObject(body) else {
            problem = "body is not a JSON object"
            return
        }
        let productId = object.strings["ProductId"]
        let deviceName = object.strings["DeviceName"]
        ids = (productId.map(auditSafe), deviceName.map(auditSafe))
        guard let productId, let deviceName else {
            problem = "ProductId or DeviceName missing or not a string"
            return
        }
        guard DeviceIdentifiers.isValidDeviceName(deviceName) else {
            problem = "device name does not match [a-zA-Z0-9:_-]{1,48}"
            return
        }
        guard DeviceIdentifiers.isValidProductId(productId) else {
            problem = "product id is not 10 characters [A-Z0-9]"
            return
        }
        request = Request(productId: productId, deviceName: deviceName)
    }
}

/// A JSON object whose members are read leniently: a member of the wrong type reads as absent.
private struct LenientObject: Decodable {
    let strings: [String: String]
    let decimals: [String: String]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var strings: [String: String] = [:]
        var decimals: [String: String] = [:]
        for key in container.allKeys {
            if let string = try? container.decode(String.self, forKey: key) {
                strings[key.stringValue] = string
                if !string.isEmpty, string.utf8.count <= 20, string.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                    decimals[key.stringValue] = string
                }
            } else if let number = try? container.decode(UInt64.self, forKey: key) {
                decimals[key.stringValue] = String(number)
            }
        }
        self.strings = strings
        self.decimals = decimals
    }
}

private func parseJSONObject(_ body: [UInt8]) -> LenientObject? {
    guard !body.isEmpty else { return nil }
    return try? JSONDecoder().decode(LenientObject.self, from: Data(body))
}

/// Identifiers from a refused request go into the audit log: cap their length and strip control characters.
private func auditSafe(_ value: String) -> String {
    String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64)))
}
