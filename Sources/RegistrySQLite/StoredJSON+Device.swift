import Foundation
import Registry

/// The document of a key device, written field by field.
///
/// ``StoredJSON`` writes any registry document through its `encode(to:)`; for the documents a registration
/// writes (a PSK device without tags), building that tree of slots costs about 5 % of a registration's CPU
/// time, and it runs in the serial stage of the group commit. This writes the same bytes directly.
///
/// It knows `Device`'s fields, so it is guarded: the first time it is used it writes sample devices (every
/// optional absent, then every optional present) both ways and compares them with `JSONEncoder`'s text.
/// If `Device` (or `DeviceCredential`) gains, loses or renames a field, or encodes one differently, the texts
/// differ and every document goes through ``StoredJSON/encode(_:fallback:)`` instead. Devices with tags, a
/// certificate or a gateway binding always do. Debug builds also compare every document with `JSONEncoder`'s.
extension StoredJSON {
    static func encode(device: Device, fallback: JSONEncoder) throws -> String {
        guard deviceWriterMatches, let text = DeviceDocument.write(device) else {
            return try encode(device, fallback: fallback)
        }
        #if DEBUG
        let expected = String(decoding: try fallback.encode(device), as: UTF8.self)
        assert(text == expected, "StoredJSON wrote \(text), JSONEncoder \(expected)")
        #endif
        return text
    }

    /// Whether ``DeviceDocument`` writes what `JSONEncoder` (sorted keys) writes for `Device` as it is now.
    static let deviceWriterMatches: Bool = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bare = Device(productId: "ABCDEFGHIJ", name: "dev-1", credential: .psk("c2VjcmV0c2VjcmV0c2VjcmV0"), createdAt: 1_700_000_000)
        bare.updatedAt = 1_700_000_001
        var full = Device(
            productId: "ABCDEFGHIJ", name: "dev\"2\\/\u{1}é", credential: .psk("a+b/c=="), enabled: false,
            createdByRegistration: true, createdAt: -5, credentialFetched: true, clientKeyFetched: true,
            firstOnlineTime: 7, loginTime: 8, lastOfflineTime: 9, online: true, clientIP: "10.0.0.1\n",
            firmwareVersion: "1.0/\t", logLevel: 3
        )
        full.shadow = #"{"state":{"reported":{"a":1}}}"#
        full.updatedAt = Int64.max
        for sample in [bare, full] {
            guard let fast = DeviceDocument.write(sample),
                let expected = try? encoder.encode(sample),
                fast == String(decoding: expected, as: UTF8.self)
            else { return false }
        }
        return true
    }()
}

private enum DeviceDocument {
    /// `nil` for a device this does not write (tags, certificate credential, a gateway binding).
    static func write(_ device: Device) -> String? {
        guard device.tags.isEmpty, device.binding == nil, case .psk(let psk) = device.credential else { return nil }
        var text: [UInt8] = []
        text.reserveCapacity(320 + device.name.utf8.count + (device.shadow?.utf8.count ?? 0))
        text.append(UInt8(ascii: "{"))
        // Keys in UTF-8 byte order, as JSONEncoder's .sortedKeys; optionals absent when nil.
        if let clientIP = device.clientIP { string("clientIP", clientIP, &text) }
        bool("clientKeyFetched", device.clientKeyFetched, &text)
        integer("createdAt", device.createdAt, &text)
        bool("createdByRegistration", device.createdByRegistration, &text)
        key("credential", &text)
        text += #"{"psk":{"_0":"#.utf8
        StoredJSON.writeString(psk, to: &text)
        text += "}},".utf8
        bool("credentialFetched", device.credentialFetched, &text)
        bool("enabled", device.enabled, &text)
        string("firmwareVersion", device.firmwareVersion, &text)
        if let time = device.firstOnlineTime { integer("firstOnlineTime", time, &text) }
        if let time = device.lastOfflineTime { integer("lastOfflineTime", time, &text) }
        integer("logLevel", Int64(device.logLevel), &text)
        integer("loginTime", device.loginTime, &text)
        string("name", device.name, &text)
        bool("online", device.online, &text)
        string("productId", device.productId, &text)
        if let shadow = device.shadow { string("shadow", shadow, &text) }
        text += #""tags":[],"#.utf8
        integer("updatedAt", device.updatedAt, &text)
        // The last member wrote a trailing comma.
        text[text.count - 1] = UInt8(ascii: "}")
        return String(decoding: text, as: UTF8.self)
    }

    private static func key(_ name: StaticString, _ text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { text += $0 }
        text += "\":".utf8
    }

    private static func string(_ name: StaticString, _ value: String, _ text: inout [UInt8]) {
        key(name, &text)
        StoredJSON.writeString(value, to: &text)
        text.append(UInt8(ascii: ","))
    }

    private static func bool(_ name: StaticString, _ value: Bool, _ text: inout [UInt8]) {
        key(name, &text)
        text += (value ? "true," : "false,").utf8
    }

    private static func integer(_ name: StaticString, _ value: Int64, _ text: inout [UInt8]) {
        key(name, &text)
        text += String(value).utf8
        text.append(UInt8(ascii: ","))
    }
}
