public import JSONCore
/// Conversion between flattened form parameters (`DeviceNames.0=a`, `ProductProperties.EncryptionType=2`,
/// `Attribute.Tags.0.Tag=x`; every value a string) and typed JSON.
public enum FlattenedParameters {
    /// Builds a JSON object from flattened pairs, typed by `schema` (wire names):
    /// `Integer` fields are parsed as integers, `Boolean` fields accept `true`/`false` (any case) and
    /// `1`/`0`, lists are rebuilt from their numeric indices (in index order), structures recurse.
    /// Names the schema does not know are kept (lists where all sub-keys are indices, objects
    /// otherwise, strings at the leaves) so that validation can report them as unknown.
    /// A value that cannot be converted, or a name used both as a value and as a prefix →
    /// `InvalidParameter`.
    public static func unflatten(
        _ pairs: [(name: String, value: String)],
        schema: StructSchema?
    ) throws(APIError) -> JSONValue {
        var root = Branch()
        for pair in pairs {
            let path = pair.name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.contains(where: \.isEmpty) else {
                throw .invalidParameter("The parameter name `\(pair.name)` is not valid.")
            }
            try root.insert(path[...], value: pair.value, fullName: pair.name)
        }
        return try convert(.branch(root), type: .structure(schema ?? StructSchema("Request", [])), path: "")
    }

    /// The reverse: `{"A":{"B":[1,true]}}` → `A.B.0=1`, `A.B.1=true`. `null` members are omitted.
    public static func flatten(_ value: JSONValue) -> [(name: String, value: String)] {
        var output: [(name: String, value: String)] = []
        flatten(value, prefix: "", into: &output)
        return output
    }

    private static func flatten(_ value: JSONValue, prefix: String, into output: inout [(name: String, value: String)]) {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        switch value {
        case .null:
            return
        case .bool(let flag):
            output.append((prefix, flag ? "true" : "false"))
        case .int(let integer):
            output.append((prefix, String(integer)))
        case .double(let double):
            output.append((prefix, JSONSerializer.format(double)))
        case .string(let string):
            output.append((prefix, string))
        case .array(let items):
            for (index, item) in items.enumerated() { flatten(item, prefix: join(String(index)), into: &output) }
        case .object(let object):
            for (key, member) in object { flatten(member, prefix: join(key), into: &output) }
        }
    }

    // MARK: - Tree

    private indirect enum Node {
        case leaf(String)
        case branch(Branch)
    }

    private struct Branch {
        var order: [String] = []
        var children: [String: Node] = [:]

        mutating func insert(_ path: ArraySlice<String>, value: String, fullName: String) throws(APIError) {
            let head = path.first!
            if path.count == 1 {
                guard children[head] == nil else {
                    throw .invalidParameter("The parameter `\(fullName)` is given more than once or conflicts with another one.")
                }
                children[head] = .leaf(value)
                order.append(head)
                return
            }
            var child: Branch
            switch children[head] {
            case nil:
                child = Branch()
                order.append(head)
            case .branch(let existing):
                child = existing
            case .leaf:
                throw .invalidParameter("The parameter `\(fullName)` conflicts with another one.")
            }
            try child.insert(path.dropFirst(), value: value, fullName: fullName)
            children[head] = .branch(child)
        }
    }

    private static func index(_ key: String) -> Int? {
        guard key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(key)
    }

    private static func convert(_ node: Node, type: FieldType?, path: String) throws(APIError) -> JSONValue {
        switch (node, type) {
        case (.leaf(let text), nil), (.leaf(let text), .string?):
            return .string(text)
        case (.leaf(let text), .integer?):
            guard let integer = Int64(text) else { throw .invalidParameterType(path, expected: "Integer") }
            return .int(integer)
        case (.leaf(let text), .float?):
            guard let double = Double(text), double.isFinite else { throw .invalidParameterType(path, expected: "Float") }
            return .double(double)
        case (.leaf(let text), .boolean?):
            switch text.lowercased() {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw .invalidParameterType(path, expected: "Boolean")
            }
        case (.leaf, let expected?):
            throw .invalidParameterType(path, expected: expected.displayName)
        case (.branch(let branch), .array(let element)?):
            return try list(branch, element: element, path: path)
        case (.branch(let branch), .structure(let schema)?):
            var object = JSONObject()
            for key in branch.order {
                let field = schema.field(named: key)
                object[key] = try convert(branch.children[key]!, type: field?.type, path: join(path, key))
            }
            return .object(object)
        case (.branch(let branch), nil):
            if !branch.order.isEmpty, branch.order.allSatisfy({ index($0) != nil }) {
                return try list(branch, element: nil, path: path)
            }
            var object = JSONObject()
            for key in branch.order {
                object[key] = try convert(branch.children[key]!, type: nil, path: join(path, key))
            }
            return .object(object)
        case (.branch, let expected?):
            throw .invalidParameterType(path, expected: expected.displayName)
        }
    }

    private static func list(_ branch: Branch, element: FieldType?, path: String) throws(APIError) -> JSONValue {
        var indexed: [(Int, String)] = []
        for key in branch.order {
            guard let position = index(key) else {
                throw .invalidParameterType(path, expected: "a list (indexed as \(path).0, \(path).1, …)")
            }
            indexed.append((position, key))
        }
        indexed.sort { $0.0 < $1.0 }
        var items: [JSONValue] = []
        for (_, key) in indexed {
            items.append(try convert(branch.children[key]!, type: element, path: join(path, key)))
        }
        return .array(items)
    }

    private static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }
}
