public import JSONCore
/// Maps internal (2021-spelling) field names back to the wire names of a version and drops response
/// fields the version does not define (cloud-api.md §9: "Responses never contain fields the version
/// does not define"), using the response schemas of an `ActionCatalog`.
public struct ResponseFieldMapper: Sendable {
    public var catalog: ActionCatalog

    public init(catalog: ActionCatalog = .standard) {
        self.catalog = catalog
    }

    /// The wire name of a top-level field for an action and version (response fields first, then
    /// request fields); the internal name itself when no schema renames it.
    public func wireName(internal name: String, action: String, version: APIVersion) -> String {
        guard let schema = catalog.schema(action: action, version: version) else { return name }
        if let field = schema.response?.first(where: { $0.internalName == name }) { return field.name }
        if let field = schema.request.first(where: { $0.internalName == name }) { return field.name }
        return name
    }

    /// The internal name of a top-level wire field (request fields first, then response fields).
    public func internalName(wire name: String, action: String, version: APIVersion) -> String {
        guard let schema = catalog.schema(action: action, version: version) else { return name }
        if let field = schema.request.first(where: { $0.name == name }) { return field.internalName }
        if let field = schema.response?.first(where: { $0.name == name }) { return field.internalName }
        return name
    }

    /// Rewrites a response object built with internal names for `version`: members are renamed to
    /// their wire names, members the version's response schema does not define are removed, nested
    /// structures and lists of structures are processed recursively. `RequestId` is always kept.
    /// Without a response schema for the action, the response is returned unchanged.
    public func adapt(_ response: JSONValue, action: String, version: APIVersion) -> JSONValue {
        guard let schema = catalog.schema(action: action, version: version),
              let fields = schema.response,
              case .object(let object) = response
        else { return response }
        var adapted = adapt(object, fields: fields)
        if let requestId = object["RequestId"] { adapted["RequestId"] = requestId }
        return .object(adapted)
    }

    private func adapt(_ object: JSONObject, fields: [FieldSpec]) -> JSONObject {
        var output = JSONObject()
        for (key, value) in object {
            guard let field = fields.first(where: { $0.internalName == key }) else { continue }
            output[field.name] = adapt(value, type: field.type)
        }
        return output
    }

    private func adapt(_ value: JSONValue, type: FieldType) -> JSONValue {
        switch (type, value) {
        case (.structure(let schema), .object(let object)):
            return .object(adapt(object, fields: schema.fields))
        case (.array(let element), .array(let items)):
            return .array(items.map { adapt($0, type: element) })
        default:
            return value
        }
    }
}

extension ActionCatalog {
    /// `ResponseFieldMapper(catalog: self).wireName(internal:action:version:)`.
    public func wireName(internal name: String, action: String, version: APIVersion) -> String {
        ResponseFieldMapper(catalog: self).wireName(internal: name, action: action, version: version)
    }
}
