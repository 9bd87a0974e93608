/// The header block of an HPUB/HMSG: an optional status line plus ordered name/value fields.
///
/// Names keep the case they were given and lookups are case-sensitive, as in the NATS server. A name may
/// appear more than once; ``subscript(_:)`` returns the first value, ``values(for:)`` all of them.
public struct NATSHeaders: Hashable, Sendable {
    /// One `Name: Value` line.
    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The status code on the `NATS/1.0` line, for example `503` (no responders); `nil` for plain headers.
    public var status: Int?
    /// The text after the status code, for example `No Responders`.
    public var statusDescription: String?
    /// The fields in wire order.
    public private(set) var fields: [Field]

    /// Empty headers: no status, no fields.
    public init() {
        self.init(status: nil, statusDescription: nil, fields: [])
    }

    public init(status: Int? = nil, statusDescription: String? = nil, fields: [Field] = []) {
        self.status = status
        self.statusDescription = statusDescription
        self.fields = fields
    }

    /// The first value for `name`. Setting replaces every field named `name` (or removes them, for `nil`).
    public subscript(_ name: String) -> String? {
        get { self.fields.first(where: { $0.name == name })?.value }
        set {
            self.fields.removeAll(where: { $0.name == name })
            if let newValue {
                self.fields.append(Field(name: name, value: newValue))
            }
        }
    }

    /// Every value for `name`, in wire order.
    public func values(for name: String) -> [String] {
        self.fields.filter { $0.name == name }.map(\.value)
    }

    /// Adds a field, keeping any existing fields of the same name.
    public mutating func append(name: String, value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Whether there is no status and no field.
    public var isEmpty: Bool { self.status == nil && self.fields.isEmpty }
}

extension NATSHeaders: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(fields: elements.map { Field(name: $0.0, value: $0.1) })
    }
}

extension NATSHeaders: Sequence {
    public func makeIterator() -> IndexingIterator<[Field]> {
        self.fields.makeIterator()
    }
}
