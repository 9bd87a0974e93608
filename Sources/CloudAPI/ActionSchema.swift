/// The request (and, where known, response) fields of one action in one API version.
public struct ActionSchema: Sendable, Equatable {
    public var action: String
    public var version: APIVersion
    /// Request fields with their wire names for `version`.
    public var request: [FieldSpec]
    /// Response fields (without `RequestId`) with their wire names for `version`; `nil` when the
    /// response shape is not described, in which case responses pass through unchanged.
    public var response: [FieldSpec]?

    public init(action: String, version: APIVersion, request: [FieldSpec], response: [FieldSpec]? = nil) {
        self.action = action
        self.version = version
        self.request = request
        self.response = response
    }

    /// The request fields as a structure (for validation and flattened-parameter conversion).
    public var requestStruct: StructSchema {
        StructSchema("\(action)Request", request)
    }

    /// The response fields as a structure, if described.
    public var responseStruct: StructSchema? {
        response.map { StructSchema("\(action)Response", $0) }
    }

    /// The request field with this wire name.
    public func requestField(named wireName: String) -> FieldSpec? {
        request.first { $0.name == wireName }
    }
}
