import JSONCore

/// JSON for people: two spaces per level, members in their order, scalars as the serializer writes them.
enum ConsoleJSON {
    static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let inner = String(repeating: "  ", count: indent + 1)
        switch value {
        case .array(let elements) where !elements.isEmpty:
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += inner
                write(element, indent: indent + 1, into: &out)
                out += index == elements.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .object(let object) where !object.isEmpty:
            out += "{\n"
            let entries = object.entries
            for (index, entry) in entries.enumerated() {
                out += inner + JSONValue.string(entry.key).serializedString() + ": "
                write(entry.value, indent: indent + 1, into: &out)
                out += index == entries.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        default:
            out += value.serializedString()
        }
    }
}
