public import JSONCore
/// Checks request parameters against a schema and renames them to internal names.
///
/// Per object level, in this order: a member the schema does not define → `UnknownParameter`
/// (this is how a 2018 request with the 2021 spelling `ProductId`, or the reverse, is refused); a
/// required field absent (or `null`) → `MissingParameter`; a value of the wrong JSON type →
/// `InvalidParameter`. Nested structures and lists are checked recursively; error messages name the
/// dotted wire path (`Attribute.Tags.0.Tag`).
///
/// `null` members are treated as absent and dropped. An integral `.double` is accepted for an
/// `Integer`, an `.int` for a `Float`. Value ranges are left to the action handlers.
public enum ParameterValidator {
    /// Returns the parameters as an object keyed by internal names, in request order.
    public static func validate(_ parameters: JSONValue, against schema: StructSchema) throws(APIError) -> JSONValue {
        guard case .object(let object) = parameters else {
            throw .invalidParameter("The request parameters must be a JSON object.")
        }
        return .object(try validateObject(object, schema: schema, path: ""))
    }

    private static func validateObject(_ object: JSONObject, schema: StructSchema, path: String) throws(APIError) -> JSONObject {
        for key in object.keys where schema.field(named: key) == nil {
            throw .unknownParameter(path + key)
        }
        for field in schema.fields where field.required {
            if object[field.name] == nil || object[field.name] == .null {
                throw .missingParameter(path + field.name)
            }
        }
        var output = JSONObject()
        for (key, value) in object {
            guard let field = schema.field(named: key), value != .null else { continue }
            output[field.internalName] = try convert(value, to: field.type, path: path + key)
        }
        return output
    }

    private static func convert(_ value: JSONValue, to type: FieldType, path: String) throws(APIError) -> JSONValue {
        switch (type, value) {
        case (.string, .string), (.boolean, .bool), (.integer, .int), (.float, .double):
            return value
        case (.integer, .double):
            guard let exact = value.int64Value else { throw .invalidParameterType(path, expected: type.displayName) }
            return .int(exact)
        case (.float, .int(let integer)):
            return .double(Double(integer))
        case (.array(let element), .array(let items)):
            var converted: [JSONValue] = []
            converted.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard item != .null else { throw .invalidParameterType("\(path).\(index)", expected: element.displayName) }
                converted.append(try convert(item, to: element, path: "\(path).\(index)"))
            }
            return .array(converted)
        case (.structure(let schema), .object(let object)):
            return .object(try validateObject(object, schema: schema, path: path + "."))
        default:
            throw .invalidParameterType(path, expected: type.displayName)
        }
    }
}

extension ActionSchema {
    /// `ParameterValidator.validate` against this action's request fields.
    public func validate(_ parameters: JSONValue) throws(APIError) -> JSONValue {
        try ParameterValidator.validate(parameters, against: requestStruct)
    }
}
