/// The registry's products in memory: by id, in creation order, and by name (unique).
struct ProductCatalog: Sendable {
    private(set) var products: [String: Product] = [:]
    /// Ids in the order the products were created (listings).
    private(set) var order: [String] = []
    private(set) var idByName: [String: String] = [:]

    /// Inserts or replaces `product` (a rename frees the old name).
    mutating func insert(_ product: Product) {
        if products[product.id] == nil { order.append(product.id) }
        if let old = products[product.id], old.name != product.name { idByName[old.name] = nil }
        products[product.id] = product
        idByName[product.name] = product.id
    }

    /// Removes the product; returns it if it was there.
    @discardableResult
    mutating func remove(_ id: String) -> Product? {
        guard let product = products.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        idByName[product.name] = nil
        return product
    }
}
