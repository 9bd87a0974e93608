import Registry

/// Hub-side view of the webhook outbox, for DescribeProductWebhook.
public protocol WebhookStatusSource: Sendable {
    /// Events waiting for delivery and events dropped because the backlog was full, for a product.
    func status(productId: String) async -> (pending: Int, dropped: Int, delivered: Int)
}

extension ManagementActions {
    func updateProductWebhook(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        guard let url = p.string("Url") else { throw ManagementError.missing("Url") }
        let product = try await call { try await registry.setWebhook(productId: productId, url: url.isEmpty ? nil : url) }
        return [("ProductId", .string(product.id)), ("Url", .string(product.webhookURL ?? ""))]
    }

    func describeProductWebhook(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let product = try await call { try await registry.product(productId) }
        let status = await webhooks?.status(productId: productId) ?? (pending: 0, dropped: 0, delivered: 0)
        return [
            ("ProductId", .string(product.id)), ("Url", .string(product.webhookURL ?? "")), ("Pending", .int(status.pending)),
            ("Dropped", .int(status.dropped)), ("Delivered", .int(status.delivered)),
        ]
    }
}
