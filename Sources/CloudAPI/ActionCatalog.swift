public import JSONCore
/// Which actions exist per version, which of them the hub implements (those with a schema), and
/// their field schemas.
///
/// `ActionCatalog.standard` holds the products, devices and registration actions; every other iotcloud
/// action is known but unimplemented. To implement another action, register its schema:
///
/// ```swift
/// var catalog = ActionCatalog.standard
/// catalog.register(contentsOf: ActionCatalog.messagingSchemas(.v20210408))
/// catalog.register(ActionSchema(action: "GetAllVersion", version: .v20210408,
///                               request: [.required("ProductId", .string)]))
/// ```
public struct ActionCatalog: Sendable {
    /// Result of looking an action up for a version.
    public enum Lookup: Sendable, Equatable {
        /// Implemented: here is its schema.
        case implemented(ActionSchema)
        /// A real action of that version without a schema → `UnsupportedOperation`.
        case unimplemented
        /// Not an action of that version → `InvalidAction`.
        case unknown
    }

    private struct Key: Hashable, Sendable {
        var action: String
        var version: APIVersion
    }

    private var schemas: [Key: ActionSchema] = [:]
    private var known: [APIVersion: Set<String>] = [:]

    /// An empty catalog.
    public init() {}

    /// A catalog knowing `knownActions` and implementing the actions of `schemas`
    /// (which become known as well).
    public init(knownActions: [APIVersion: Set<String>], schemas: [ActionSchema]) {
        known = knownActions
        register(contentsOf: schemas)
    }

    /// Registers (or replaces) the schema of an action; the action becomes known and implemented.
    public mutating func register(_ schema: ActionSchema) {
        schemas[Key(action: schema.action, version: schema.version)] = schema
        known[schema.version, default: []].insert(schema.action)
    }

    public mutating func register(contentsOf schemas: [ActionSchema]) {
        for schema in schemas { register(schema) }
    }

    /// Marks action names as known (unimplemented unless a schema is registered).
    public mutating func addKnownActions(_ names: some Sequence<String>, version: APIVersion) {
        known[version, default: []].formUnion(names)
    }

    /// Removes an action's schema; the action stays known (→ `UnsupportedOperation`).
    public mutating func unregister(action: String, version: APIVersion) {
        schemas[Key(action: action, version: version)] = nil
    }

    public func lookup(action: String, version: APIVersion) -> Lookup {
        if let schema = schemas[Key(action: action, version: version)] { return .implemented(schema) }
        if known[version]?.contains(action) == true { return .unimplemented }
        return .unknown
    }

    public func schema(action: String, version: APIVersion) -> ActionSchema? {
        schemas[Key(action: action, version: version)]
    }

    public func isKnown(action: String, version: APIVersion) -> Bool {
        known[version]?.contains(action) == true
    }

    /// Known action names of a version, sorted.
    public func knownActions(version: APIVersion) -> [String] {
        (known[version] ?? []).sorted()
    }

    /// Implemented action names of a version, sorted.
    public func implementedActions(version: APIVersion) -> [String] {
        schemas.keys.filter { $0.version == version }.map(\.action).sorted()
    }

    /// The schema of an implemented action, or `InvalidAction` / `UnsupportedOperation`.
    public func requireSchema(action: String, version: APIVersion) throws(APIError) -> ActionSchema {
        switch lookup(action: action, version: version) {
        case .implemented(let schema): return schema
        case .unimplemented: throw .unsupportedAction(action, version: version)
        case .unknown: throw .invalidAction(action)
        }
    }

    /// Resolves the action, then validates `parameters` (wire names) and returns them with internal
    /// names; see `ParameterValidator` for the rules.
    public func validate(action: String, version: APIVersion, parameters: JSONValue) throws(APIError) -> JSONValue {
        try requireSchema(action: action, version: version).validate(parameters)
    }
}

extension ActionCatalog {
    /// Products (§7.2), devices (§7.3, `UpdateDevicePSK` 2021 only), messaging and shadow (§7.4–§7.5), the
    /// registration and application hub actions, in both versions; every other iotcloud action of `KnownActions` is known but unimplemented.
    public static let standard: ActionCatalog = {
        var catalog = ActionCatalog()
        for version in APIVersion.allCases {
            catalog.addKnownActions(KnownActions.names(version), version: version)
            catalog.register(contentsOf: ProductActionSchemas.all(version))
            catalog.register(contentsOf: DeviceActionSchemas.all(version))
            catalog.register(contentsOf: RegistrationActionSchemas.all(version))
            catalog.register(contentsOf: ApplicationActionSchemas.all(version))
            catalog.register(contentsOf: AbuseActionSchemas.all(version))
            catalog.register(contentsOf: StatisticsActionSchemas.all(version))
            catalog.register(contentsOf: MessagingActionSchemas.all(version))
            catalog.register(contentsOf: FirmwareActionSchemas.all(version))
            catalog.register(contentsOf: GatewayActionSchemas.all(version))
            catalog.register(contentsOf: LogActionSchemas.all(version))
            catalog.register(contentsOf: ResourceActionSchemas.all(version))
        }
        return catalog
    }()

    /// Ready-made schemas for PublishMessage, PublishBroadcastMessage, PublishRRPCMessage,
    /// DescribeDeviceShadow, UpdateDeviceShadow (2018: + `Prefix`), and, in 2021, DeleteDeviceShadow
    /// and UpdateDeviceLogLevel. Not part of `standard`; register them when implementing the actions.
    public static func messagingSchemas(_ version: APIVersion) -> [ActionSchema] {
        MessagingActionSchemas.all(version)
    }
}
