/// Where resource management keeps its records (SQLite: the registry file's `product_resources`,
/// `resource_tasks`, `resource_pushes` and `device_resources` tables, schema step 8). Not part of the
/// engine's in-memory state: written and read straight through, each call one atomic statement.
public protocol ResourceStore: Sendable {
    // MARK: product resources

    /// Adds a product resource; false when the product already has one of that name (nothing changes).
    func insertProductResource(_ resource: ProductResource) async throws -> Bool
    func productResource(productId: String, name: String) async throws -> ProductResource?
    /// The product resource stored under a file token (a download URL's last segment).
    func productResource(fileToken: String) async throws -> ProductResource?
    /// A product's resources (all products' when nil) by name, `nameContains` filtering, and the total matching.
    func productResources(productId: String?, nameContains: String?, offset: Int, limit: Int) async throws -> (total: Int, resources: [ProductResource])
    /// Removes a product resource with its tasks and their entries; returns what was removed.
    func deleteProductResource(productId: String, name: String) async throws -> ProductResource?

    // MARK: tasks

    /// Creates a task for the devices (pending entries; an earlier entry of the same device and resource is
    /// replaced). Returns its id.
    func createResourceTask(productId: String, name: String, deviceNames: [String], at: Int64) async throws -> Int64
    /// A resource's tasks, newest first, with the total.
    func resourceTasks(productId: String, name: String, offset: Int, limit: Int) async throws -> (total: Int, tasks: [ResourceTask])
    /// The entries of a resource's tasks (of one task when `taskId` is set), by device name.
    func resourcePushes(productId: String, name: String, taskId: Int64?) async throws -> [ResourcePush]
    /// The device's oldest entry not done or failed.
    func unfinishedPush(device: DeviceKey) async throws -> ResourcePush?
    func resourcePush(device: DeviceKey, name: String) async throws -> ResourcePush?
    /// Updates the device's entry for the resource; false when it has none.
    func updateResourcePush(_ push: ResourcePush) async throws -> Bool

    // MARK: device uploads

    func deviceResource(device: DeviceKey, name: String) async throws -> DeviceResource?
    func deviceResources(_ query: DeviceResourceQuery) async throws -> (total: Int, resources: [DeviceResource])
    /// Inserts or replaces the device's record of that name.
    func putDeviceResource(_ resource: DeviceResource) async throws
    /// Removes a device's record; returns what was removed.
    func deleteDeviceResource(device: DeviceKey, name: String) async throws -> DeviceResource?
    /// Removes everything of a deleted device (its uploads and its push entries); returns the uploads removed.
    func deleteResources(device: DeviceKey) async throws -> [DeviceResource]
    /// Removes every resource of a deleted product with its tasks and entries; returns the resources removed.
    func deleteResources(productId: String) async throws -> [ProductResource]

    // MARK: usage

    /// Bytes a device's uploads hold or have reserved (every record, stored or waiting for its PUT).
    func deviceResourceBytes(device: DeviceKey) async throws -> Int64
    /// Bytes of every product resource and device upload.
    func totalResourceBytes() async throws -> Int64
}
