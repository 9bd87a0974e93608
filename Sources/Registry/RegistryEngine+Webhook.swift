extension RegistryEngine {
    /// Sets (or, with nil, clears) the product's webhook URL.
    public func setWebhook(productId: String, url: String?) async throws -> Product {
        try requireAvailable()
        var product = try product(productId)
        if let url {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count <= 2048 else {
                throw RegistryError(.invalidParameter, "Url must be an http:// or https:// URL")
            }
        }
        product.webhookURL = url
        insert(product)
        try await commit([.upsertProduct(product)])
        return product
    }

    /// Sets the product's remote configuration (JSON object text; nil = none).
    public func setRemoteConfig(productId: String, config: String?) async throws -> Product {
        try requireAvailable()
        var product = try product(productId)
        product.remoteConfig = config
        insert(product)
        try await commit([.upsertProduct(product)])
        return product
    }

    /// Webhook URLs of the products that have one.
    public func webhookURLs() -> [String: String] {
        products.compactMapValues(\.webhookURL)
    }
}
