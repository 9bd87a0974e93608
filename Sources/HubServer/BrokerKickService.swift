import BrokerCore
import MQTTServer
import Registry
import ServiceLifecycle

/// Closes live MQTT sessions when the registry revokes, disables, resets or deletes a device, or disables
/// a product.
struct BrokerKickService: Service {
    let registry: RegistryEngine
    let host: BrokerHost

    func run() async throws {
        await withGracefulShutdownHandler {
            for await event in registry.events.cancelOnGracefulShutdown() {
                switch event {
                case .credentialRevoked(let key), .deviceDisabled(let key), .deviceDeleted(let key), .connectionReset(let key):
                    host.perform { broker, _ in broker.kick { $0 == .device(productId: key.productId, deviceName: key.name) } }
                case .applicationDeleted(let id):
                    host.perform { broker, _ in
                        broker.kick {
                            if case .application(let appId, _) = $0 { return appId == id }
                            return false
                        }
                    }
                case .productDisabled(let productId):
                    host.perform { broker, _ in
                        broker.kick {
                            if case .device(let p, _) = $0 { return p == productId }
                            return false
                        }
                    }
                }
            }
        } onGracefulShutdown: {}
    }
}
