import CloudAPI
import DeviceAuth
import JSONCore
import Registry

extension ManagementActions {
    /// Hub action: stores a product's remote configuration and pushes it to its online devices on
    /// `$config/operation/result/{pid}/{dn}` as `{"type":"push","payload":{…}}`.
    func updateProductRemoteConfig(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        guard let text = p.string("Config") else { throw ManagementError.missing("Config") }
        guard let config = try? JSONValue(parsing: text), case .object = config else {
            throw ManagementError("InvalidParameterValue.InvalidJSON", "Config must be a JSON object")
        }
        guard text.utf8.count <= 16 * 1024 else { throw ManagementError("InvalidParameterValue.JSONSizeExceedLimit", "Config larger than 16 KiB") }
        let product = try await call { try await registry.setRemoteConfig(productId: productId, config: config.serializedString()) }
        if let messaging {
            let push = JSONValue.object(JSONObject([("type", .string("push")), ("payload", config)])).serialized()
            for clientId in messaging.onlineDevices(productId: productId) {
                guard let (_, name) = DeviceIdentifiers.splitClientId(clientId) else { continue }
                messaging.publish(topic: "$config/operation/result/\(productId)/\(name)", payload: push, qos: 0)
            }
        }
        return [("ProductId", .string(product.id)), ("Config", .string(product.remoteConfig ?? "{}"))]
    }

    func describeProductRemoteConfig(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let product = try await call { try await registry.product(productId) }
        return [("ProductId", .string(product.id)), ("Config", .string(product.remoteConfig ?? "{}"))]
    }
}
