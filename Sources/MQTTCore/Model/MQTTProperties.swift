public import NIOCore

/// MQTT 5 properties of a packet (or of a will), in wire order.
///
/// Always empty for MQTT 3.x: the codec reads and writes properties only when the version is ``MQTTProtocolVersion/v5``.
/// Identifiers are the wire bytes; ``MQTTProperties/Identifier`` names them.
public struct MQTTProperties: Sendable, Equatable {
    /// A property value, typed as on the wire (MQTT 5 §2.2.2.2).
    public enum Value: Sendable, Equatable {
        case byte(UInt8)
        case twoByteInt(UInt16)
        case fourByteInt(UInt32)
        case varInt(UInt32)
        case string(String)
        case binary(ByteBuffer)
        case stringPair(String, String)
    }

    /// One property: its identifier and value.
    public struct Property: Sendable, Equatable {
        public var identifier: UInt8
        public var value: Value

        public init(identifier: UInt8, value: Value) {
            self.identifier = identifier
            self.value = value
        }
    }

    /// The properties in wire order.
    public var elements: [Property]

    /// No properties.
    public init() {
        self.elements = []
    }

    public init(_ elements: [Property]) {
        self.elements = elements
    }

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }

    /// Appends a property (the value's type must be the one MQTT 5 defines for `identifier`, see
    /// ``MQTTProperties/Identifier/valueKind(of:)``; the encoder writes what it is given).
    public mutating func append(_ identifier: UInt8, _ value: Value) {
        elements.append(Property(identifier: identifier, value: value))
    }

    /// The first value with `identifier`, if any.
    public func first(_ identifier: UInt8) -> Value? {
        for property in elements where property.identifier == identifier {
            return property.value
        }
        return nil
    }

    /// Every value with `identifier`, in order (User Property and Subscription Identifier may repeat).
    public func all(_ identifier: UInt8) -> [Value] {
        elements.compactMap { $0.identifier == identifier ? $0.value : nil }
    }
}

extension MQTTProperties: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: (UInt8, Value)...) {
        self.elements = elements.map { Property(identifier: $0.0, value: $0.1) }
    }
}

extension MQTTProperties.Value {
    /// The value's wire type.
    public var kind: MQTTProperties.ValueKind {
        switch self {
        case .byte: .byte
        case .twoByteInt: .twoByteInt
        case .fourByteInt: .fourByteInt
        case .varInt: .varInt
        case .string: .string
        case .binary: .binary
        case .stringPair: .stringPair
        }
    }

    /// The integer of a `byte`, `twoByteInt`, `fourByteInt` or `varInt` value.
    public var integer: UInt32? {
        switch self {
        case .byte(let value): UInt32(value)
        case .twoByteInt(let value): UInt32(value)
        case .fourByteInt(let value), .varInt(let value): value
        case .string, .binary, .stringPair: nil
        }
    }
}
