/// One field of a request or response: its wire name in a given version, the internal name the hub
/// uses (the 2021-04-08 spelling, e.g. 2018 `ProductID` → `ProductId`), its type and whether a
/// request must carry it.
public struct FieldSpec: Sendable, Equatable {
    /// Name on the wire for the schema's version.
    public var name: String
    /// Name inside the hub.
    public var internalName: String
    public var type: FieldType
    public var required: Bool

    public init(_ name: String, _ type: FieldType, required: Bool = false, internalName: String? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.internalName = internalName ?? name
    }

    /// A required field (**R** in the spec tables).
    public static func required(_ name: String, _ type: FieldType, internalName: String? = nil) -> FieldSpec {
        FieldSpec(name, type, required: true, internalName: internalName)
    }

    /// An optional field.
    public static func optional(_ name: String, _ type: FieldType, internalName: String? = nil) -> FieldSpec {
        FieldSpec(name, type, required: false, internalName: internalName)
    }
}
