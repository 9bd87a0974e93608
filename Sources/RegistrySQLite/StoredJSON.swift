import Foundation
import Synchronization

/// JSON text of the documents the store keeps in its `data` columns, written the way `JSONEncoder` with
/// `.sortedKeys` writes them (same bytes: keys sorted by their UTF-8 bytes, `/` escaped, control characters
/// as `\b \t \n \f \r` or `\u00xx`) at a fraction of its cost.
///
/// It goes through the value's own `encode(to:)`, so every stored property is written whatever the type
/// declares. Only strings, booleans, integers, `nil`, arrays and the types of the `Registry` module are
/// written here; a value holding anything else (dates, data, floating point, dictionaries, URLs, …), using a
/// super-encoder or writing a key twice is encoded by `JSONEncoder` instead, so the text is always the one
/// `JSONEncoder` would have written. Debug builds check every document against `JSONEncoder`.
enum StoredJSON {
    static func encode<Value: Encodable>(_ value: Value, fallback: JSONEncoder) throws -> String {
        let session = Session()
        let root = Slot()
        do {
            try DocumentEncoder.write(value, into: root, session: session)
        } catch is Unsupported {
            session.unsupported = true
        }
        var text: [UInt8] = []
        text.reserveCapacity(1024)
        guard !session.unsupported, case .container = root.content, root.write(to: &text) else {
            return String(decoding: try fallback.encode(value), as: UTF8.self)
        }
        let result = String(decoding: text, as: UTF8.self)
        #if DEBUG
        let expected = String(decoding: try fallback.encode(value), as: UTF8.self)
        assert(result == expected, "StoredJSON wrote \(result), JSONEncoder \(expected)")
        #endif
        return result
    }

    /// `string` as JSONEncoder quotes it, appended to `text`.
    static func writeString(_ string: String, to text: inout [UInt8]) {
        Slot.writeString(string, to: &text)
    }

    /// The value holds something this encoder does not write; `JSONEncoder` takes over.
    struct Unsupported: Error {}

    /// Set when the value did something `JSONEncoder` would write differently (see ``StoredJSON``).
    final class Session {
        var unsupported = false
    }

    enum Kind {
        /// String, Bool or a fixed-width integer: written as JSONEncoder writes it.
        case scalar
        /// Arrays, optionals and the registry's own model types: written through their `encode(to:)`, which
        /// only uses what ``DocumentEncoder`` writes itself.
        case encodable
        case unsupported
    }

    static func kind(of type: Any.Type) -> Kind {
        let key = ObjectIdentifier(type)
        if let known = kinds.withLock({ $0[key] }) { return known }
        let kind: Kind
        let scalars: [Any.Type] = [
            String.self, Bool.self, Int.self, Int64.self, Int32.self, Int16.self, Int8.self,
            UInt.self, UInt64.self, UInt32.self, UInt16.self, UInt8.self,
        ]
        if scalars.contains(where: { ObjectIdentifier($0) == key }) {
            kind = .scalar
        } else {
            let name = String(reflecting: type)
            kind = name.hasPrefix("Registry.") || name.hasPrefix("Swift.Array<") || name.hasPrefix("Swift.Optional<") ? .encodable : .unsupported
        }
        kinds.withLock { $0[key] = kind }
        return kind
    }

    private static let kinds = Mutex<[ObjectIdentifier: Kind]>([:])
}

/// One JSON value under construction: a scalar, or a container whose members are written in place.
private final class Slot {
    enum Content {
        case empty
        case string(String)
        /// A number, `true`, `false` or `null`, as written.
        case literal(String)
        case container(Container)
        /// A value written through its own `encode(to:)`.
        case slot(Slot)
    }

    final class Container {
        let isObject: Bool
        /// Keys of an object (empty for an array), parallel to `values`.
        var keys: [String] = []
        var values: [Content] = []
        init(isObject: Bool) { self.isObject = isObject }
    }

    var content = Content.empty

    func container(isObject: Bool, _ session: StoredJSON.Session) -> Container? {
        switch content {
        case .container(let container) where container.isObject == isObject:
            return container
        case .empty:
            let container = Container(isObject: isObject)
            content = .container(container)
            return container
        default:
            session.unsupported = true
            return nil
        }
    }

    func set(_ value: Content) throws {
        guard case .empty = content else { throw StoredJSON.Unsupported() }
        content = value
    }

    /// `false` if the document has a key twice (JSONEncoder keeps the last value; not reproduced here).
    func write(to text: inout [UInt8]) -> Bool {
        Slot.write(content, to: &text)
    }

    private static func write(_ content: Content, to text: inout [UInt8]) -> Bool {
        switch content {
        case .empty:
            // A value that wrote nothing: JSONEncoder writes an empty object.
            text += "{}".utf8
        case .string(let string):
            writeString(string, to: &text)
        case .literal(let literal):
            text += literal.utf8
        case .slot(let slot):
            return write(slot.content, to: &text)
        case .container(let container) where container.isObject:
            text.append(UInt8(ascii: "{"))
            let keys = container.keys
            // UTF-8 byte order; for ASCII keys that is String's own (fast) order.
            let order =
                keys.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
                ? keys.indices.sorted { keys[$0] < keys[$1] }
                : keys.indices.sorted { keys[$0].utf8.lexicographicallyPrecedes(keys[$1].utf8) }
            for (position, index) in order.enumerated() {
                if position > 0 {
                    guard keys[order[position - 1]] != keys[index] else { return false }
                    text.append(UInt8(ascii: ","))
                }
                writeString(keys[index], to: &text)
                text.append(UInt8(ascii: ":"))
                guard write(container.values[index], to: &text) else { return false }
            }
            text.append(UInt8(ascii: "}"))
        case .container(let container):
            text.append(UInt8(ascii: "["))
            for (position, value) in container.values.enumerated() {
                if position > 0 { text.append(UInt8(ascii: ",")) }
                guard write(value, to: &text) else { return false }
            }
            text.append(UInt8(ascii: "]"))
        }
        return true
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        defer { text.append(UInt8(ascii: "\"")) }
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/") }) {
            text.append(contentsOf: string.utf8)
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): text += #"\""#.utf8
            case UInt8(ascii: "\\"): text += #"\\"#.utf8
            case UInt8(ascii: "/"): text += #"\/"#.utf8
            case 0x08: text += #"\b"#.utf8
            case 0x09: text += #"\t"#.utf8
            case 0x0A: text += #"\n"#.utf8
            case 0x0C: text += #"\f"#.utf8
            case 0x0D: text += #"\r"#.utf8
            case 0..<0x20:
                text += #"\u00"#.utf8
                text.append(hexDigits[Int(byte >> 4)])
                text.append(hexDigits[Int(byte & 0x0F)])
            default:
                text.append(byte)
            }
        }
    }
}

private struct DocumentEncoder: Encoder {
    let slot: Slot
    let session: StoredJSON.Session
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(container: slot.container(isObject: true, session), session: session))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedWriter(container: slot.container(isObject: false, session), session: session)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueWriter(slot: slot, session: session)
    }

    /// Writes `value` into `slot`: scalars directly, supported types through their `encode(to:)`.
    static func write<Value: Encodable>(_ value: Value, into slot: Slot, session: StoredJSON.Session) throws {
        // Most values that come here are the registry's own types: one table lookup, no casts.
        switch StoredJSON.kind(of: Value.self) {
        case .encodable:
            try value.encode(to: DocumentEncoder(slot: slot, session: session))
        case .unsupported:
            throw StoredJSON.Unsupported()
        case .scalar:
            switch value {
            case let string as String: try slot.set(.string(string))
            case let bool as Bool: try slot.set(.literal(bool ? "true" : "false"))
            case let number as Int: try slot.set(.literal(String(number)))
            case let number as Int64: try slot.set(.literal(String(number)))
            case let number as Int32: try slot.set(.literal(String(number)))
            case let number as Int16: try slot.set(.literal(String(number)))
            case let number as Int8: try slot.set(.literal(String(number)))
            case let number as UInt: try slot.set(.literal(String(number)))
            case let number as UInt64: try slot.set(.literal(String(number)))
            case let number as UInt32: try slot.set(.literal(String(number)))
            case let number as UInt16: try slot.set(.literal(String(number)))
            case let number as UInt8: try slot.set(.literal(String(number)))
            default: throw StoredJSON.Unsupported()
            }
        }
    }
}

/// A container without storage (asked for on an encoder that already holds another kind of value) marks
/// the document unsupported, and so does anything written through it.
private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let container: Slot.Container?
    let session: StoredJSON.Session
    var codingPath: [any CodingKey] { [] }

    private func add(_ value: Slot.Content, _ key: Key) throws {
        guard let container else { throw StoredJSON.Unsupported() }
        container.keys.append(key.stringValue)
        container.values.append(value)
    }

    private func nested(_ key: Key, isObject: Bool) -> Slot.Container? {
        let nested = Slot.Container(isObject: isObject)
        guard (try? add(.container(nested), key)) != nil else {
            session.unsupported = true
            return nil
        }
        return nested
    }

    mutating func encodeNil(forKey key: Key) throws { try add(.literal("null"), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try add(.literal(value ? "true" : "false"), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try add(.string(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try add(.literal(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try add(.literal(String(value)), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw StoredJSON.Unsupported() }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw StoredJSON.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let slot = Slot()
        try DocumentEncoder.write(value, into: slot, session: session)
        try add(.slot(slot), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedWriter<NestedKey>(container: nested(key, isObject: true), session: session))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        UnkeyedWriter(container: nested(key, isObject: false), session: session)
    }

    mutating func superEncoder() -> any Encoder {
        session.unsupported = true
        return DocumentEncoder(slot: Slot(), session: session)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        session.unsupported = true
        return DocumentEncoder(slot: Slot(), session: session)
    }
}

private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let container: Slot.Container?
    let session: StoredJSON.Session
    var codingPath: [any CodingKey] { [] }
    var count: Int { container?.values.count ?? 0 }

    private func add(_ value: Slot.Content) throws {
        guard let container else { throw StoredJSON.Unsupported() }
        container.values.append(value)
    }

    private func nested(isObject: Bool) -> Slot.Container? {
        let nested = Slot.Container(isObject: isObject)
        guard (try? add(.container(nested))) != nil else {
            session.unsupported = true
            return nil
        }
        return nested
    }

    mutating func encodeNil() throws { try add(.literal("null")) }
    mutating func encode(_ value: Double) throws { throw StoredJSON.Unsupported() }
    mutating func encode(_ value: Float) throws { throw StoredJSON.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let slot = Slot()
        try DocumentEncoder.write(value, into: slot, session: session)
        try add(.slot(slot))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedWriter<NestedKey>(container: nested(isObject: true), session: session))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedWriter(container: nested(isObject: false), session: session)
    }

    mutating func superEncoder() -> any Encoder {
        session.unsupported = true
        return DocumentEncoder(slot: Slot(), session: session)
    }
}

private struct SingleValueWriter: SingleValueEncodingContainer {
    let slot: Slot
    let session: StoredJSON.Session
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { try slot.set(.literal("null")) }
    mutating func encode(_ value: Double) throws { throw StoredJSON.Unsupported() }
    mutating func encode(_ value: Float) throws { throw StoredJSON.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { try DocumentEncoder.write(value, into: slot, session: session) }
}
