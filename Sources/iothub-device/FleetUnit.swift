import Foundation
import IoTHubDevice
import JSONCore
import MQTTCore

/// One simulated unit of a production run: the firmware's boot (register unless a credential is stored,
/// connect), `messages` publishes on its event topic, a clean disconnect. Every step is reported to the
/// recorder; the first failure ends the unit.
struct FleetUnit: Sendable {
    var name: String
    var storePath: String
    var productId: String
    var productSecret: String
    var messages: Int
    var qos: MQTTQoS
    var configuration: DeviceConfiguration
    var registration: RegistrationClient

    func run(recorder: FleetRecorder) async {
        recorder.unitStarted()
        defer { recorder.unitFinished() }
        var phase = FleetPhase.register
        var device: DeviceClient?
        do {
            let store = try FileIdentityStore.create(path: storePath, productId: productId, productSecret: productSecret, deviceName: name)
            var identity = try store.load()
            guard identity.productId == productId, identity.deviceName == name else {
                throw FleetUnitError(
                    reason: "identity_mismatch", description: "\(storePath) holds \(identity.productId)/\(identity.deviceName), not \(productId)/\(name)"
                )
            }
            if identity.credential == nil {
                let start = ContinuousClock.now
                identity.credential = try await registration.register(store)
                recorder.completed(.register, start: start)
            } else {
                recorder.reused()
            }
            phase = .connect
            let client = try DeviceClient(identity: identity, configuration: configuration)
            device = client
            let start = ContinuousClock.now
            try await client.mqtt.connect()
            recorder.completed(.connect, start: start)
            phase = .publish
            for counter in 0..<messages {
                let payload: JSONValue = [
                    "counter": .int(Int64(counter + 1)),
                    "timestamp": .int(Int64(Date().timeIntervalSince1970 * 1000)),
                ]
                let start = ContinuousClock.now
                try await client.publishEvent(payload.serializedString(), qos: qos)
                recorder.completed(.publish, start: start)
            }
        } catch {
            recorder.failed(phase, error)
        }
        await device?.disconnect()
    }
}
