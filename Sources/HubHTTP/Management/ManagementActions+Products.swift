import Logging
import Registry

extension ManagementActions {
    func createProduct(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        var spec = NewProduct(name: try Self.require(p.string("ProductName"), "ProductName"))
        if let properties = p.object("ProductProperties") {
            if let description = properties.string("ProductDescription") { spec.description = description }
            if let type = properties.string("EncryptionType") {
                guard let encryption = EncryptionType(rawValue: type) else {
                    throw ManagementError("InvalidParameterValue.ProductTypeNotSupport", "EncryptionType must be \"1\" or \"2\"")
                }
                spec.encryptionType = encryption
            }
            if let productType = properties.int("ProductType") { spec.productType = productType }
            if let format = properties.string("Format") { spec.format = format }
            if let registerType = properties.int("RegisterType") {
                guard let mode = RegisterType(rawValue: registerType) else {
                    throw ManagementError.invalidValue("RegisterType must be 0, 1 or 2")
                }
                spec.registerType = mode
            }
            if let limit = properties.int("RegisterLimit") { spec.registerLimit = limit }
        }
        let product = try await call { try await registry.createProduct(spec) }
        return [
            ("ProductName", .string(product.name)),
            ("ProductId", .string(product.id)),
            ("ProductProperties", ActionEncoding.productProperties(product, version)),
        ]
    }

    func describeProduct(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let id = try Self.require(p.string("ProductId"), "ProductId")
        let product = try await call { try await registry.product(id) }
        return [
            ("ProductId", .string(product.id)),
            ("ProductName", .string(product.name)),
            ("ProductMetadata", ActionEncoding.productMetadata(product, version)),
            ("ProductProperties", ActionEncoding.productProperties(product, version)),
        ]
    }

    func describeProducts(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let offset = try Self.require(p.int("Offset"), "Offset")
        let limit = try Self.require(p.int("Limit"), "Limit")
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        let page = await registry.products(offset: offset, limit: limit)
        return [
            ("TotalCount", .int(page.total)),
            ("Products", .array(page.products.map { ActionEncoding.productInfo($0, version) })),
        ]
    }

    func deleteProduct(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let id = try Self.require(p.string("ProductId"), "ProductId")
        try await call { try await registry.deleteProduct(id) }
        do {
            try await resources?.deleteAll(productId: id)
        } catch {
            throw ManagementError("InternalError", "the product was deleted, but its resources could not be: \(error)")
        }
        return []
    }

    func updateProductDynamicRegister(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let id = try Self.require(p.string("ProductId"), "ProductId")
        let typeValue = try Self.require(p.int("RegisterType"), "RegisterType")
        let limit = try Self.require(p.int("RegisterLimit"), "RegisterLimit")
        guard let type = RegisterType(rawValue: typeValue) else { throw ManagementError.invalidValue("RegisterType must be 0, 1 or 2") }
        guard limit >= 0 else { throw ManagementError.invalidValue("RegisterLimit must not be negative") }
        let product = try await call {
            try await registry.updateDynamicRegistration(
                productId: id, registerType: type, registerLimit: limit
            )
        }
        return [
            ("RegisterType", .int(product.registerType.rawValue)),
            ("ProductSecret", .string(product.productSecret)),
            ("RegisterLimit", .int(product.registerLimit)),
        ]
    }

    /// Hub action: replay protection on or off (when given), and the policy as it now stands.
    func updateProductRegistrationPolicy(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let id = try Self.require(p.string("ProductId"), "ProductId")
        var product = try await call { try await registry.product(id) }
        if let replayProtection = p.bool("ReplayProtection") {
            product = try await call {
                try await registry.updateDynamicRegistration(
                    productId: id, registerType: product.registerType, registerLimit: product.registerLimit, replayProtection: replayProtection
                )
            }
        }
        let created = await registry.autoCreatedDevices(productId: id)
        return [
            ("ProductId", .string(product.id)),
            ("RegisterType", .int(product.registerType.rawValue)),
            ("RegisterLimit", .int(product.registerLimit)),
            ("AutoCreatedDevices", .int(created)),
            ("ReplayProtection", .bool(product.replayProtection)),
        ]
    }

    func setProductsForbiddenStatus(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        guard let ids = p.strings("ProductId"), !ids.isEmpty else { throw ManagementError.missing("ProductId") }
        let status = try Self.require(p.int("Status"), "Status")
        guard status == 0 || status == 1 else { throw ManagementError.invalidValue("Status must be 0 or 1") }
        try await call { try await registry.setProductsForbidden(ids, forbidden: status == 1) }
        return []
    }
}
