import BrokerCore
import Logging
import MQTTServer
import Registry
import ServiceLifecycle

/// Closes live MQTT sessions when the registry revokes, disables, resets or deletes a device, disables a
/// product or deletes an application.
///
/// The registry's event queue never drops an event (it coalesces duplicates instead), so every revocation
/// takes effect however far this service lags. Events that arrived meanwhile are handled together: one pass
/// over the broker's connections for the whole burst, not one per event.
struct BrokerKickService: Service {
    let registry: RegistryEngine
    let host: BrokerHost
    /// Another node changed the source bans (a shared store): this node's guard reads them again.
    var abuse: AbuseGuard?
    var logger: Logger?

    func run() async throws {
        await withGracefulShutdownHandler {
            for await event in registry.events.cancelOnGracefulShutdown() {
                let events = [event] + registry.events.takePending()
                kick(events)
                if events.contains(.sourceBansChanged), let abuse {
                    do { try await abuse.reloadOperatorBans() } catch {
                        logger?.warning("source bans not read again", metadata: ["error": "\(error)"])
                    }
                }
            }
        } onGracefulShutdown: {}
    }

    /// Closes the connections of every client the events name, under one acquisition of the broker lock.
    func kick(_ events: [RegistryEvent]) {
        var devices: Set<DeviceKey> = []
        var products: Set<String> = []
        var applications: Set<String> = []
        for event in events {
            switch event {
            case .credentialRevoked(let key), .deviceDisabled(let key), .deviceDeleted(let key), .connectionReset(let key):
                devices.insert(key)
            case .productDisabled(let productId):
                products.insert(productId)
            case .applicationDeleted(let id):
                applications.insert(id)
            case .sourceBansChanged:
                continue
            }
        }
        host.perform { broker, _ in
            broker.kick { identity in
                switch identity {
                case .device(let productId, let deviceName):
                    products.contains(productId) || devices.contains(DeviceKey(productId: productId, name: deviceName))
                case .application(let id, _):
                    applications.contains(id)
                case .anonymous, .hub:
                    false
                }
            }
        }
    }
}
