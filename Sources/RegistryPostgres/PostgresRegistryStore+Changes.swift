import Foundation
import Logging
import PostgresNIO
import Synchronization
public import Registry

/// The change feed of the shared registry: every transaction that changes a record sends a notification on channel
/// `iothub_registry` (`pg_notify`, delivered only if and when the transaction commits), and every store listens on
/// one connection of its pool. A notification's payload is `ORIGIN\tKIND\tID[\tNAME]`; a store skips its own.
extension PostgresRegistryStore {
    static let changeChannel = "iothub_registry"
    /// Changes waiting for the registry at most; beyond, they are replaced by one `.resync`.
    static let changeBufferLimit = 10_000

    /// Sends one notification per record `mutations` change (PostgreSQL folds identical ones of a transaction).
    func notify(_ mutations: [RegistryMutation], on connection: PostgresConnection) async throws {
        var payloads: [String] = []
        var everyone: [String] = []
        for mutation in mutations {
            switch mutation {
            case .upsertProduct(let product): payloads.append("p\t\(product.id)")
            case .deleteProduct(let id): payloads.append("p\t\(id)")
            // Written offline: this node may not have cleared a presence another node holds, so it reads the row
            // again too (origin `*`).
            case .upsertDevice(let device) where !device.online: everyone.append("d\t\(device.productId)\t\(device.name)")
            case .upsertDevice(let device): payloads.append("d\t\(device.productId)\t\(device.name)")
            case .deleteDevice(let key): payloads.append("d\t\(key.productId)\t\(key.name)")
            case .upsertApplication(let application): payloads.append("a\t\(application.id)")
            case .deleteApplication(let id): payloads.append("a\t\(id)")
            case .upsertFirmware(let firmware): payloads.append("o\t\(firmware.productId)")
            case .upsertFirmwareTask(let task): payloads.append("o\t\(task.productId)")
            case .upsertFirmwareTaskDevice(let entry): payloads.append("o\t\(entry.productId)")
            case .appendAudit: break
            }
        }
        guard !payloads.isEmpty || !everyone.isEmpty else { return }
        let origin = self.origin
        let tagged = Array(Set(payloads)).map { "\(origin)\t\($0)" } + Array(Set(everyone)).map { "*\t\($0)" }
        try await connection.query("SELECT pg_notify(\(Self.changeChannel), p) FROM unnest(\(tagged)::text[]) AS p", logger: logger)
    }

    public func changes() -> AsyncStream<RegistryChange> {
        // Bounded: when the reader falls this far behind, the changes that do not fit are replaced by one `.resync`.
        let (stream, continuation) = AsyncStream<RegistryChange>.makeStream(bufferingPolicy: .bufferingOldest(Self.changeBufferLimit))
        let client = self.client
        let logger = self.logger
        let origin = self.origin
        let task = Task {
            var delay: UInt64 = 100_000_000
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.changeChannel) { notifications in
                            delay = 100_000_000
                            // Listening now: whatever changed before this is read again.
                            continuation.yield(.resync)
                            var overflowed = false
                            for try await notification in notifications {
                                guard let change = Self.change(notification.payload, skippingOrigin: origin) else { continue }
                                if overflowed {
                                    guard case .enqueued = continuation.yield(.resync) else { continue }
                                    overflowed = false
                                }
                                if case .dropped = continuation.yield(change) {
                                    overflowed = true
                                    logger.warning("registry change feed overflowed; memory is read again")
                                }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("registry change feed lost; listening again", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(nanoseconds: delay)
                delay = min(delay * 2, 5_000_000_000)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        changeFeeds.withLock { $0.append(task) }
        return stream
    }

    /// A notification's change, nil for this store's own or one it cannot read.
    static func change(_ payload: String, skippingOrigin origin: String) -> RegistryChange? {
        let fields = payload.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 3, fields[0] != origin else { return nil }
        switch (fields[1], fields.count) {
        case ("p", 3): return .product(id: fields[2])
        case ("d", 4): return .device(DeviceKey(productId: fields[2], name: fields[3]))
        case ("a", 3): return .application(id: fields[2])
        case ("o", 3): return .ota(productId: fields[2])
        case ("b", 3): return .sourceBans
        default: return nil
        }
    }
}
