import DeviceServices
import Foundation
public import Registry

/// What the operator does with resources (the management actions): product resources uploaded with one PUT,
/// pushed to devices by tasks; device uploads listed, downloaded and deleted.
extension ResourceRepository {
    /// Checks a new product resource and opens the URL that takes its one PUT; the resource exists once the
    /// PUT delivered exactly `size` bytes with MD5 `md5`.
    public func openProductUpload(productId: String, name: String, md5: String, size: Int64, description: String, operatorHost: String?) async throws(ResourceError) -> String {
        guard ResourceProtocol.isValidName(name) else { throw ResourceError(.invalidName, "Name must be 1 to 63 characters of A-Z a-z 0-9 . _ -") }
        let md5 = md5.lowercased()
        guard ResourceProtocol.isMD5(md5) else { throw ResourceError(.invalidMD5, "Md5 must be 32 hex digits") }
        guard size >= 1, size <= limits.maxFileSize else { throw ResourceError(.invalidSize, "Size must be between 1 and \(limits.maxFileSize)") }
        do {
            if try await store.productResource(productId: productId, name: name) != nil {
                throw ResourceError(.alreadyExists, "the product already has a resource named \(name)")
            }
            guard try await fits(size, device: nil) else { throw ResourceError(.quotaExceeded, "the hub's resource quota (\(limits.totalQuota) bytes) would be exceeded") }
        } catch let error as ResourceError {
            throw error
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
        let resource = ProductResource(
            productId: productId, name: name, md5: md5, size: size, description: description, fileToken: FirmwareRepository.newToken(), createdAt: Self.now()
        )
        let token = openSlot(.product(resource), size: size, md5: md5)
        return await url(token, operatorHost: operatorHost)
    }

    /// Creates a task pushing a product resource to devices of its product (names already checked). Devices
    /// for which `reachable` is true and that have no earlier unfinished push get `download` now: returned,
    /// marked delivered.
    public func createPushTask(productId: String, name: String, deviceNames: [String], reachable: @Sendable (DeviceKey) -> Bool) async throws(ResourceError) -> (
        taskId: Int64, pushes: [(DeviceKey, ResourceProtocol.Task)]
    ) {
        do {
            guard try await store.productResource(productId: productId, name: name) != nil else {
                throw ResourceError(.productResourceNotFound, "no resource \(name) in product \(productId)")
            }
            let taskId = try await store.createResourceTask(productId: productId, name: name, deviceNames: deviceNames, at: Self.now())
            var pushes: [(DeviceKey, ResourceProtocol.Task)] = []
            for deviceName in deviceNames {
                let device = DeviceKey(productId: productId, name: deviceName)
                guard reachable(device), try await store.unfinishedPush(device: device)?.name == name, let task = try await downloadTask(for: device) else { continue }
                pushes.append((device, task))
            }
            return (taskId, pushes)
        } catch let error as ResourceError {
            throw error
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
    }

    /// Removes a product resource, its tasks and its file; devices reporting on it afterwards are told to stop.
    public func deleteProductResource(productId: String, name: String) async throws(ResourceError) {
        let removed: ProductResource?
        do {
            removed = try await store.deleteProductResource(productId: productId, name: name)
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
        guard let removed else { throw ResourceError(.productResourceNotFound, "no resource \(name) in product \(productId)") }
        removeFile(removed.fileToken)
    }

    /// A URL (valid for an hour) that downloads a device's stored upload.
    public func deviceResourceURL(_ device: DeviceKey, name: String, operatorHost: String?) async throws(ResourceError) -> String {
        let record: DeviceResource?
        do {
            record = try await store.deviceResource(device: device, name: name)
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
        guard let record else { throw ResourceError(.deviceResourceNotFound, "device \(device.name) has no resource \(name)") }
        guard let fileToken = record.fileToken else { throw ResourceError(.notUploaded, "the file of \(name) has not been uploaded") }
        return await url(grant(fileToken: fileToken, size: record.size), operatorHost: operatorHost)
    }

    /// Removes a device upload: its record, its file, its download URLs and its upload URL.
    public func deleteDeviceResource(_ device: DeviceKey, name: String) async throws(ResourceError) {
        let removed: DeviceResource?
        do {
            removed = try await store.deleteDeviceResource(device: device, name: name)
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
        guard let removed else { throw ResourceError(.deviceResourceNotFound, "device \(device.name) has no resource \(name)") }
        slotsRetire(.device(device, name: name))
        if let fileToken = removed.fileToken {
            revokeGrants(fileToken: fileToken)
            removeFile(fileToken)
        }
    }

    /// Removes everything of a deleted device: its uploads (records, files, URLs) and its push entries.
    public func deleteAll(device: DeviceKey) async throws(ResourceError) {
        let removed: [DeviceResource]
        do {
            removed = try await store.deleteResources(device: device)
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
        for resource in removed {
            slotsRetire(.device(device, name: resource.name))
            if let fileToken = resource.fileToken {
                revokeGrants(fileToken: fileToken)
                removeFile(fileToken)
            }
        }
    }

    /// Removes every resource of a deleted product (records, tasks, files).
    public func deleteAll(productId: String) async throws(ResourceError) {
        let removed: [ProductResource]
        do {
            removed = try await store.deleteResources(productId: productId)
        } catch {
            throw ResourceError(.storageFailure, "resource records unavailable")
        }
        for resource in removed { removeFile(resource.fileToken) }
    }
}
