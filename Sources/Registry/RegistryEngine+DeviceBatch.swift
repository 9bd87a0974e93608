import DeviceAuth
import Logging

/// A name of a batch that cannot be created: where it is in the batch and why.
public struct DeviceBatchProblem: Sendable, Hashable {
    /// Position in the batch, from 0.
    public var index: Int
    public var name: String
    public var error: RegistryError
    /// For a name given twice: the position of its first occurrence.
    public var duplicateOf: Int?

    public init(index: Int, name: String, error: RegistryError, duplicateOf: Int? = nil) {
        self.index = index
        self.name = name
        self.error = error
        self.duplicateOf = duplicateOf
    }
}

/// What a batch creation did: every device created, or none and every name that was in the way.
public enum DeviceBatchOutcome: Sendable {
    case created([Device])
    case refused([DeviceBatchProblem])
}

extension RegistryEngine {
    /// Most names one batch may create.
    public static let maxDeviceBatch = 10_000

    /// Why a device of this name cannot be created in the (existing) product now, or nil. The one rule for
    /// a new device's name, of `createDevice` and of a batch.
    func newDeviceRefusal(productId: String, name: String) -> RegistryError? {
        guard DeviceIdentifiers.isValidDeviceName(name) else {
            return RegistryError(.invalidParameter, "DeviceName must match [a-zA-Z0-9:_-]{1,48}")
        }
        guard devices[DeviceKey(productId: productId, name: name)] == nil else {
            return RegistryError(.deviceAlreadyExists, "device already exists")
        }
        return nil
    }

    /// Creates all the named devices of a product, or none: if any name is invalid, already a device or given
    /// twice, nothing is created and every such name is answered with its position. Certificates are issued
    /// outside the actor (they take a signature each); the names are checked again, and the devices inserted
    /// and committed in one step, back in the actor.
    public nonisolated func createDevices(productId: String, names: [String]) async throws -> DeviceBatchOutcome {
        guard (1...Self.maxDeviceBatch).contains(names.count) else {
            throw RegistryError(.invalidParameter, "a batch holds 1 to \(Self.maxDeviceBatch) device names")
        }
        let encryption: EncryptionType
        switch try await checkBatch(productId: productId, names: names) {
        case .failure(let problems): return .refused(problems.problems)
        case .success(let type): encryption = type
        }
        var credentials: [DeviceCredential] = []
        credentials.reserveCapacity(names.count)
        do {
            for name in names { credentials.append(try issuer.issue(for: DeviceKey(productId: productId, name: name), encryption: encryption)) }
        } catch {
            logger.error("credential issuance failed", metadata: ["error": "\(error)"])
            throw RegistryError(.storageFailure, "credential issuance failed")
        }
        return try await insertBatch(productId: productId, names: names, credentials: credentials, encryption: encryption)
    }

    struct BatchProblems: Error {
        var problems: [DeviceBatchProblem]
    }

    /// The product's rules (it exists, is enabled) throw; the names' problems are collected.
    func checkBatch(productId: String, names: [String]) throws -> Result<EncryptionType, BatchProblems> {
        try requireAvailable()
        let product = try product(productId)
        guard !product.forbidden else { throw RegistryError(.productForbidden, "product is forbidden") }
        var problems: [DeviceBatchProblem] = []
        var firstIndex: [String: Int] = [:]
        firstIndex.reserveCapacity(names.count)
        for (index, name) in names.enumerated() {
            if let refusal = newDeviceRefusal(productId: productId, name: name) {
                problems.append(DeviceBatchProblem(index: index, name: name, error: refusal))
            } else if let first = firstIndex[name] {
                problems.append(
                    DeviceBatchProblem(index: index, name: name, error: RegistryError(.invalidParameter, "the name is given more than once"), duplicateOf: first)
                )
            } else {
                firstIndex[name] = index
            }
        }
        return problems.isEmpty ? .success(product.encryptionType) : .failure(BatchProblems(problems: problems))
    }

    func insertBatch(productId: String, names: [String], credentials: [DeviceCredential], encryption: EncryptionType) async throws -> DeviceBatchOutcome {
        // Between the check and now another caller may have created one of the names.
        switch try checkBatch(productId: productId, names: names) {
        case .failure(let problems): return .refused(problems.problems)
        case .success(let type):
            guard type == encryption else { throw RegistryError(.storageFailure, "the product changed while its devices were being created") }
        }
        let created = nowSeconds
        let batch = zip(names, credentials).map { Device(productId: productId, name: $0, credential: $1, createdAt: created) }
        for device in batch { insert(device) }
        try await commit(batch.map { .upsertDevice($0) })
        logger.info("devices created", metadata: ["hub.product_id": "\(productId)", "hub.count": "\(batch.count)"])
        return .created(batch)
    }
}
