import Logging
import DeviceAuth

extension RegistryEngine {
    /// Creates an application scoped to existing products. Its secret is returned here and only here: the
    /// registry keeps a salted hash of it.
    public func createApplication(name: String, productIds: [String]) async throws -> (application: Application, secret: String) {
        try requireAvailable()
        guard !name.isEmpty, name.count <= 64 else { throw RegistryError(.invalidParameter, "Name must be 1 to 64 characters") }
        guard !productIds.isEmpty else { throw RegistryError(.invalidParameter, "ProductIds must not be empty") }
        for id in productIds { _ = try product(id) }
        var id: String
        repeat { id = "app" + DeviceIdentifiers.generateProductId() } while applications[id] != nil
        let secret = DeviceIdentifiers.generateProductSecret() + DeviceIdentifiers.generateProductSecret()
        let application = Application(
            id: id, name: name, secretHash: SaltedSecretHash(hashing: secret), productIds: Array(Set(productIds)).sorted(), createdAt: nowSeconds
        )
        applications[id] = application
        try await commit([.upsertApplication(application)])
        logger.info("application created", metadata: ["hub.app_id": "\(id)"])
        return (application, secret)
    }

    /// Applications by creation time.
    public func applications(offset: Int, limit: Int) -> (total: Int, applications: [Application]) {
        let all = applications.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        return (all.count, Array(all.dropFirst(max(offset, 0)).prefix(max(limit, 0))))
    }

    public func deleteApplication(id: String) async throws {
        try requireAvailable()
        guard applications.removeValue(forKey: id) != nil else { throw RegistryError(.applicationNotFound, "application not exist") }
        try await commit([.deleteApplication(id: id)])
        events.post(.applicationDeleted(id: id))
    }

    /// The application with this id and secret (its salted hash compared in constant time), for MQTT
    /// authentication.
    public func authenticateApplication(id: String, secret: String) -> Application? {
        guard let application = applications[id], application.secretHash.matches(secret) else { return nil }
        return application
    }
}
