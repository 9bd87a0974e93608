import Logging
import DeviceAuth

/// Fields of a new product; absent values take Tencent's defaults.
public struct NewProduct: Sendable {
    public var name: String
    public var description: String = ""
    public var encryptionType: EncryptionType = .certificate
    public var registerType: RegisterType = .off
    public var registerLimit: Int = Product.defaultRegisterLimit
    public var productType: Int = 0
    public var format: String = "json"

    public init(name: String) { self.name = name }
}

extension RegistryEngine {
    public func createProduct(_ spec: NewProduct) async throws -> Product {
        try requireAvailable()
        guard DeviceIdentifiers.isValidProductName(spec.name) else {
            throw RegistryError(.invalidParameter, "ProductName must match [a-zA-Z0-9:_-]{1,32}")
        }
        guard productIdByName[spec.name] == nil else {
            throw RegistryError(.productNameTaken, "product name already exists")
        }
        guard spec.registerLimit >= 0 else { throw RegistryError(.invalidParameter, "RegisterLimit must not be negative") }
        guard [0, 2, 3, 4, 5].contains(spec.productType) else {
            throw RegistryError(.invalidParameter, "ProductType must be 0, 2, 3, 4 or 5")
        }
        guard spec.format == "json" || spec.format == "custom" else {
            throw RegistryError(.invalidParameter, "Format must be json or custom")
        }
        var id = DeviceIdentifiers.generateProductId()
        while products[id] != nil { id = DeviceIdentifiers.generateProductId() }
        let product = Product(
            id: id,
            name: spec.name,
            description: spec.description,
            encryptionType: spec.encryptionType,
            registerType: spec.registerType,
            registerLimit: spec.registerLimit,
            productSecret: spec.registerType == .off ? "" : DeviceIdentifiers.generateProductSecret(),
            createdAt: nowSeconds,
            productType: spec.productType,
            format: spec.format
        )
        insert(product)
        try await commit([.upsertProduct(product)])
        logger.info("product created", metadata: ["hub.product_id": "\(id)"])
        return product
    }

    public func product(_ id: String) throws -> Product {
        guard let product = products[id] else { throw RegistryError(.productNotFound, "product not exist") }
        return product
    }

    /// Products in creation order.
    public func products(offset: Int, limit: Int) -> (total: Int, products: [Product]) {
        let page = productOrder.dropFirst(max(offset, 0)).prefix(max(limit, 0)).compactMap { products[$0] }
        return (productOrder.count, page)
    }

    public func deleteProduct(_ id: String) async throws {
        try requireAvailable()
        _ = try product(id)
        guard deviceOrder[id, default: []].isEmpty else {
            throw RegistryError(.devicesExistUnderProduct, "devices exist under the product")
        }
        removeProduct(id)
        try await commit([.deleteProduct(id: id)])
        logger.info("product deleted", metadata: ["hub.product_id": "\(id)"])
    }

    /// Switches dynamic registration. The ProductSecret is generated the first time it is switched on.
    public func updateDynamicRegistration(
        productId: String,
        registerType: RegisterType,
        registerLimit: Int,
        replayProtection: Bool? = nil
    ) async throws -> Product {
        try requireAvailable()
        var product = try product(productId)
        guard !product.forbidden else { throw RegistryError(.productForbidden, "product is forbidden") }
        guard registerLimit >= 0 else { throw RegistryError(.invalidParameter, "RegisterLimit must not be negative") }
        product.registerType = registerType
        product.registerLimit = registerLimit
        let protectionSwitchedOn = replayProtection == true && !product.replayProtection
        if let replayProtection { product.replayProtection = replayProtection }
        if registerType != .off && product.productSecret.isEmpty {
            product.productSecret = DeviceIdentifiers.generateProductSecret()
        }
        insert(product)
        try await commit([.upsertProduct(product)])
        if protectionSwitchedOn {
            // The window holds only protected products' nonces: learn this product's from the audit log
            // (everything queued before the commit above is in it now). Requests arriving meanwhile are
            // recorded as they come; the window checks each entry's age, so the order does not matter.
            let since = now() - ReplayWindow.windowMillis
            let recent = try await store.queryAudit(AuditQuery(productId: productId, since: since, offset: 0, limit: Int.max))
            for attempt in recent.attempts.reversed() where attempt.time >= since {
                replayWindow.record(ReplayWindow.key(attempt), at: attempt.time)
            }
        }
        logger.info(
            "dynamic registration updated",
            metadata: [
                "hub.product_id": "\(productId)", "hub.register_type": "\(registerType.rawValue)",
                "hub.register_limit": "\(registerLimit)",
            ]
        )
        return product
    }

    /// Enables (`forbidden == false`) or disables products. All ids must exist; nothing changes otherwise.
    public func setProductsForbidden(_ ids: [String], forbidden: Bool) async throws {
        try requireAvailable()
        let targets = try ids.map { try product($0) }
        var mutations: [RegistryMutation] = []
        for var product in targets where product.forbidden != forbidden {
            product.forbidden = forbidden
            insert(product)
            mutations.append(.upsertProduct(product))
            // A disabled product's sub-devices are detached from their gateways at once.
            if forbidden {
                for (key, _) in attachments.attached(productId: product.id) {
                    guard var device = devices[key] else { continue }
                    detach(&device)
                    insert(device)
                    mutations.append(.upsertDevice(device))
                }
            }
        }
        try await commit(mutations)
        if forbidden {
            for product in targets { events.post(.productDisabled(productId: product.id)) }
        }
    }

    /// Number of devices dynamic registration has created in a product.
    public func autoCreatedDevices(productId: String) -> Int {
        autoCreatedCount[productId, default: 0]
    }
}
