import Foundation
import IoTHubDevice
import JSONCore
import MQTTCore

/// What `iothub-device run` does while connected: telemetry on an interval, and an answer to everything
/// the hub sends (printed on stdout, one line each).
actor DeviceSession {
    let device: DeviceClient
    let interval: Duration
    let count: Int?
    let qos: MQTTQoS
    let firmwareFile: String

    private(set) var published = 0
    /// Why the session stopped on its own (a failed publish), if it did.
    private(set) var failure: String?

    init(device: DeviceClient, interval: Duration, count: Int?, qos: MQTTQoS, firmwareFile: String) {
        self.device = device
        self.interval = interval
        self.count = count
        self.qos = qos
        self.firmwareFile = firmwareFile
    }

    /// Runs until a signal, `duration`, `count` messages or a publish failure; returns why it stopped.
    func run(duration: Duration?) async -> String {
        let (stops, stop) = AsyncStream.makeStream(of: String.self)
        let signals = SignalWatcher()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await name in signals.signals {
                    stop.yield(name)
                    return
                }
            }
            if let duration {
                group.addTask {
                    try? await Task.sleep(for: duration)
                    if !Task.isCancelled { stop.yield("duration reached") }
                }
            }
            group.addTask { await self.telemetry(stop: stop) }
            group.addTask { await self.printMessages() }
            group.addTask { await self.answerShadowDeltas() }
            group.addTask { await self.answerRRPC() }
            group.addTask { await self.printBroadcasts() }
            group.addTask { await self.applyFirmwareUpdates() }
            group.addTask { await self.printConnectionEvents() }
            var reason = "stopped"
            for await first in stops {
                reason = first
                break
            }
            group.cancelAll()
            // Fails what still waits on the connection (a publish while offline), so every task ends.
            await device.disconnect()
            return reason
        }
    }

    private func record(published number: Int) { published = number }
    private func record(failure: String) { self.failure = failure }

    // MARK: - Telemetry

    private func telemetry(stop: AsyncStream<String>.Continuation) async {
        var counter = 0
        while !Task.isCancelled {
            if let count, counter >= count {
                stop.yield("\(count) message(s) published")
                return
            }
            counter += 1
            let payload: JSONValue = [
                "counter": .int(Int64(counter)),
                "timestamp": .int(Int64(Date().timeIntervalSince1970 * 1000)),
            ]
            do {
                try await device.publishEvent(payload.serializedString(), qos: qos)
                record(published: counter)
                say("published \(device.topics.event) \(payload.serializedString())")
            } catch {
                if Task.isCancelled { return }
                record(failure: "publish failed: \(error)")
                stop.yield("publish failed")
                return
            }
            if let count, counter >= count { continue }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }

    // MARK: - What the hub sends

    private func printMessages() async {
        for await message in device.messages {
            say("message \(message.topic) \(message.text)")
        }
    }

    private func printBroadcasts() async {
        for await message in device.broadcasts {
            say("broadcast \(message.text)")
        }
    }

    /// The C SDK's way: report the delta's values, then clear `desired` with `"desired": null`.
    private func answerShadowDeltas() async {
        for await delta in device.shadowDeltas {
            say("shadow delta v\(delta.version) \(JSONValue.object(delta.state).serializedString())")
            do {
                try await device.updateShadow(reported: delta.state)
                let version = try await device.updateShadow(desired: .null)
                say("shadow reported \(JSONValue.object(delta.state).serializedString()), desired cleared (v\(version))")
            } catch {
                say("shadow update failed: \(error)")
            }
        }
    }

    private func answerRRPC() async {
        for await request in device.rrpcRequests {
            say("rrpc \(request.processId) \(request.text)")
            do {
                try await device.reply(to: request, payload: request.text)
            } catch {
                say("rrpc reply failed: \(error)")
            }
        }
    }

    private func applyFirmwareUpdates() async {
        for await update in device.firmwareUpdates {
            say("update_firmware \(update.version) (\(update.fileSize) bytes, md5 \(update.md5)) from \(update.url)")
            do {
                try await device.performFirmwareUpdate(update, downloadTo: firmwareFile)
                say("firmware \(update.version) written to \(firmwareFile); version \(update.version) reported")
            } catch {
                say("firmware update to \(update.version) failed: \(error)")
            }
        }
    }

    private func printConnectionEvents() async {
        for await event in device.mqtt.events {
            switch event {
            case .connected(_, let reconnect) where reconnect: say("reconnected")
            case .connected: break
            case .disconnected(let reason?): say("disconnected: \(reason)")
            case .disconnected(nil): break
            case .refused(let refusal): say("connection refused: \(refusal)")
            case .reconnecting(let attempt, let delay): say("reconnecting (attempt \(attempt)) in \(String(format: "%.1f", delay.seconds)) s")
            }
        }
    }
}
