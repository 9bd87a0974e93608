import DeviceAuth
import MQTTCore

/// The one-line record of a refused MQTT login, for operators and fail2ban-style tools:
///
///     mqtt login refused source=192.0.2.7 client_id=ABCDEFGHIJdev1 product=ABCDEFGHIJ device=dev1 return_code=4 reason=password_mismatch
///
/// Fields are `key=value` in this fixed order, `source` first (the hub's own view of the peer, so that a
/// client id cannot forge it). Values the client chose are cut to 64 characters and every character outside
/// `[A-Za-z0-9._:@-]` becomes `_`, so a value never holds a space, a quote or a `key=`. The password is
/// never part of it; `-` stands for a field the CONNECT did not have.
struct LoginRefusalLine: CustomStringConvertible {
    let connect: MQTTConnect
    let source: String
    let returnCode: UInt8
    let reason: String

    var description: String {
        let device = DeviceIdentifiers.splitClientId(connect.clientId)
        let fields: [(String, String)] = [
            ("source", source.isEmpty ? "-" : source),
            ("client_id", connect.clientId),
            ("product", device?.0 ?? "-"),
            ("device", device?.1 ?? "-"),
            ("return_code", String(returnCode)),
            ("reason", reason),
        ]
        return "mqtt login refused " + fields.map { "\($0.0)=\(Self.token($0.1))" }.joined(separator: " ")
    }

    static func token(_ value: String) -> String {
        guard !value.isEmpty else { return "-" }
        var out = ""
        for scalar in value.unicodeScalars.prefix(64) {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", ":", "@", "-": out.unicodeScalars.append(scalar)
            default: out += "_"
            }
        }
        return out
    }
}
