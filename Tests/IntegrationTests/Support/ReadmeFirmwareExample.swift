import Foundation
import IoTHubDevice
import JSONCore  // JSONValue: shadow values

/// The README's "minimal firmware", kept here verbatim apart from its parameters so that it compiles with
/// the SDK as it is; DeviceSDKBootTests runs it against an in-process hub.
func readmeFirmwareExample(
    identityPath: String, productId: String, productSecret: String, serialNumber: () -> String,
    hubURL: String, mqttHost: String, mqttPort: Int, firmwarePath: String, flash: @escaping @Sendable (String) throws -> Void
) async throws -> (DeviceClient, [Task<Void, any Error>]) {
    let store = try FileIdentityStore.create(          // device_info.json, mode 0600, atomic writes
        path: identityPath,
        productId: productId, productSecret: productSecret,   // burned into the image
        deviceName: serialNumber())                       // IMEI, serial, MAC
    let device = try await DeviceClient.boot(store: store, configuration: DeviceConfiguration(
        registrationURL: URL(string: hubURL)!,
        mqttHost: mqttHost, mqttPort: mqttPort))          // 1883; useTLS: true + trustedCAPEM for 8883
    try await device.reportFirmwareVersion("1.0.0")
    try await device.publishEvent(#"{"temperature":21.5}"#)   // {pid}/{dn}/event, QoS 1

    var tasks: [Task<Void, any Error>] = []
    tasks.append(Task { for await command in device.messages { print(command.topic, command.text) } })   // control
    tasks.append(Task {
        for await delta in device.shadowDeltas {          // desired ≠ reported
            try await device.updateShadow(reported: delta.state, desired: .null)
        }
    })
    tasks.append(Task {
        for await update in device.firmwareUpdates {      // update_firmware
            try await device.performFirmwareUpdate(update, downloadTo: firmwarePath) { path in
                try flash(path)                             // progress, MD5, done/fail are reported for you
            }
        }
    })
    return (device, tasks)
}
