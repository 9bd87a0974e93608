import Registry

/// A product's webhook counters since the hub started (pending: what the outbox holds now, also after a restart).
public struct WebhookCounts: Sendable, Equatable {
    /// Events waiting in the outbox for delivery.
    public var pending: Int
    /// Events dropped because the product's backlog was full (the oldest go first).
    public var dropped: Int
    /// Events delivered (the endpoint answered 2xx).
    public var delivered: Int
    /// Delivery attempts that failed (no answer, or not 2xx); each retry of an event counts again.
    public var failed: Int

    public init(pending: Int = 0, dropped: Int = 0, delivered: Int = 0, failed: Int = 0) {
        self.pending = pending
        self.dropped = dropped
        self.delivered = delivered
        self.failed = failed
    }
}

/// Hub-side view of the webhook outbox, for DescribeProductWebhook.
public protocol WebhookStatusSource: Sendable {
    func status(productId: String) async -> WebhookCounts
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
        let status = await webhooks?.status(productId: productId) ?? WebhookCounts()
        return [
            ("ProductId", .string(product.id)), ("Url", .string(product.webhookURL ?? "")), ("Pending", .int(status.pending)),
            ("Dropped", .int(status.dropped)), ("Delivered", .int(status.delivered)), ("Failed", .int(status.failed)),
        ]
    }
}
