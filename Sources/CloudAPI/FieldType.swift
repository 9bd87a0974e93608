/// The documented type of a request or response field.
public indirect enum FieldType: Sendable, Equatable {
    case string
    /// `Integer` (uint64 or int64 on the wire; the hub checks value ranges itself).
    case integer
    case boolean
    /// `Float`.
    case float
    /// `[T]`.
    case array(FieldType)
    /// A nested structure with its own fields.
    case structure(StructSchema)

    /// Name used in error messages (`String`, `Integer`, `Array of String`, `DeviceTag`, …).
    public var displayName: String {
        switch self {
        case .string: return "String"
        case .integer: return "Integer"
        case .boolean: return "Boolean"
        case .float: return "Float"
        case .array(let element): return "Array of \(element.displayName)"
        case .structure(let schema): return schema.name
        }
    }
}

/// A named structure (`ProductProperties`, `DeviceTag`, …) as an ordered list of fields.
public struct StructSchema: Sendable, Equatable {
    public var name: String
    public var fields: [FieldSpec]

    public init(_ name: String, _ fields: [FieldSpec]) {
        self.name = name
        self.fields = fields
    }

    /// The field with this wire name.
    public func field(named wireName: String) -> FieldSpec? {
        fields.first { $0.name == wireName }
    }

    /// The field with this internal (2021-spelling) name.
    public func field(internalName: String) -> FieldSpec? {
        fields.first { $0.internalName == internalName }
    }
}
