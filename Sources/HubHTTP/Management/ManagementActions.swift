import Logging
import Registry

/// The action handlers of the management API. Each takes validated parameters (internal names) and
/// returns the response fields (without `RequestId`).
struct ManagementActions: Sendable {
    typealias Fields = [(String, ActionValue)]
    typealias Handler = @Sendable (ManagementActions, ActionParameters, APIVersionTag) async throws -> Fields

    let registry: RegistryEngine
    let messaging: (any DeviceMessaging)?
    var webhooks: (any WebhookStatusSource)? = nil
    /// Firmware files and URLs (nil: the OTA actions answer FailedOperation).
    var firmware: FirmwareRepository? = nil
    /// Source-address bans (nil: the ban actions answer FailedOperation).
    var abuse: AbuseGuard? = nil
    /// Uploaded device logs (nil: ListSDKLog answers FailedOperation) and how long they are kept.
    var deviceLogs: (any DeviceLogStore)? = nil
    var deviceLogRetention = DeviceLogRetention()
    /// Resource management (nil: the resource actions answer FailedOperation).
    var resources: ResourceRepository? = nil
    /// MQTT publishes received over time (nil: DescribeHubStatistics answers empty message series).
    var activity: (any MessageActivitySource)? = nil

    static let handlers: [String: Handler] = [
        "CreateProduct": { try await $0.createProduct($1, $2) },
        "DescribeProduct": { try await $0.describeProduct($1, $2) },
        "DescribeProducts": { try await $0.describeProducts($1, $2) },
        "DeleteProduct": { try await $0.deleteProduct($1, $2) },
        "UpdateProductDynamicRegister": { try await $0.updateProductDynamicRegister($1, $2) },
        "SetProductsForbiddenStatus": { try await $0.setProductsForbiddenStatus($1, $2) },
        "UpdateProductRegistrationPolicy": { try await $0.updateProductRegistrationPolicy($1, $2) },
        "CreateDevice": { try await $0.createDevice($1, $2) },
        "CreateDevices": { try await $0.createDevices($1, $2) },
        "DescribeDevice": { try await $0.describeDevice($1, $2) },
        "DescribeDevices": { try await $0.describeDevices($1, $2) },
        "DeleteDevice": { try await $0.deleteDevice($1, $2) },
        "UpdateDeviceAvailableState": { try await $0.updateDeviceAvailableState($1, $2) },
        "UpdateDevicesEnableState": { try await $0.updateDevicesEnableState($1, $2) },
        "ResetDeviceState": { try await $0.resetDeviceState($1, $2) },
        "UpdateDevicePSK": { try await $0.updateDevicePSK($1, $2) },
        "DescribeDeviceClientKey": { try await $0.describeDeviceClientKey($1, $2) },
        "ResetDeviceRegistration": { try await $0.resetDeviceRegistration($1, $2) },
        "DescribeRegistrationLogs": { try await $0.describeRegistrationLogs($1, $2) },
        "DescribeHubStatistics": { try await $0.describeHubStatistics($1, $2) },
        "PublishMessage": { try await $0.publishMessage($1, $2) },
        "PublishBroadcastMessage": { try await $0.publishBroadcastMessage($1, $2) },
        "PublishRRPCMessage": { try await $0.publishRRPCMessage($1, $2) },
        "DescribeDeviceShadow": { try await $0.describeDeviceShadow($1, $2) },
        "UpdateDeviceShadow": { try await $0.updateDeviceShadow($1, $2) },
        "DeleteDeviceShadow": { try await $0.deleteDeviceShadow($1, $2) },
        "UpdateDeviceLogLevel": { try await $0.updateDeviceLogLevel($1, $2) },
        "CreateApplication": { try await $0.createApplication($1, $2) },
        "DescribeApplications": { try await $0.describeApplications($1, $2) },
        "DeleteApplication": { try await $0.deleteApplication($1, $2) },
        "UpdateProductWebhook": { try await $0.updateProductWebhook($1, $2) },
        "DescribeProductWebhook": { try await $0.describeProductWebhook($1, $2) },
        "UpdateProductRemoteConfig": { try await $0.updateProductRemoteConfig($1, $2) },
        "DescribeProductRemoteConfig": { try await $0.describeProductRemoteConfig($1, $2) },
        "GetCOSURL": { try await $0.getCOSURL($1, $2) },
        "UploadFirmware": { try await $0.uploadFirmware($1, $2) },
        "DescribeFirmware": { try await $0.describeFirmware($1, $2) },
        "ListFirmwares": { try await $0.listFirmwares($1, $2) },
        "GetAllVersion": { try await $0.getAllVersion($1, $2) },
        "EditFirmware": { try await $0.editFirmware($1, $2) },
        "DescribeFirmwareFiles": { try await $0.describeFirmwareFiles($1, $2) },
        "BatchUpdateFirmware": { try await $0.batchUpdateFirmware($1, $2) },
        "DescribeFirmwareTask": { try await $0.describeFirmwareTask($1, $2) },
        "DescribeFirmwareTasks": { try await $0.describeFirmwareTasks($1, $2) },
        "DescribeFirmwareTaskDevices": { try await $0.describeFirmwareTaskDevices($1, $2) },
        "DescribeFirmwareTaskStatistics": { try await $0.describeFirmwareTaskStatistics($1, $2) },
        "DescribeFirmwareTaskDistribution": { try await $0.describeFirmwareTaskDistribution($1, $2) },
        "CancelDeviceFirmwareTask": { try await $0.cancelDeviceFirmwareTask($1, $2) },
        "RetryDeviceFirmwareTask": { try await $0.retryDeviceFirmwareTask($1, $2) },
        "UpdateOtaTaskStatus": { try await $0.updateOtaTaskStatus($1, $2) },
        "BindDevices": { try await $0.bindDevices($1, $2) },
        "UnbindDevices": { try await $0.unbindDevices($1, $2) },
        "DescribeGatewayBindDevices": { try await $0.describeGatewayBindDevices($1, $2) },
        "UnbindAllSubDevices": { try await $0.unbindAllSubDevices($1, $2) },
        "DescribeBans": { try await $0.describeBans($1, $2) },
        "CreateBan": { try await $0.createBan($1, $2) },
        "DeleteBan": { try await $0.deleteBan($1, $2) },
        "ListSDKLog": { try await $0.listSDKLog($1, $2) },
        "CreateProductResource": { try await $0.createProductResource($1, $2) },
        "DescribeProductResource": { try await $0.describeProductResource($1, $2) },
        "DescribeProductResources": { try await $0.describeProductResources($1, $2) },
        "DeleteProductResource": { try await $0.deleteProductResource($1, $2) },
        "PushProductResource": { try await $0.pushProductResource($1, $2) },
        "DescribeResourceTasks": { try await $0.describeResourceTasks($1, $2) },
        "DescribeResourceTaskDevices": { try await $0.describeResourceTaskDevices($1, $2) },
        "DescribePushResourceTaskStatistics": { try await $0.describePushResourceTaskStatistics($1, $2) },
        "DescribeDeviceResource": { try await $0.describeDeviceResource($1, $2) },
        "DescribeDeviceResources": { try await $0.describeDeviceResources($1, $2) },
        "DownloadDeviceResource": { try await $0.downloadDeviceResource($1, $2) },
        "DeleteDeviceResource": { try await $0.deleteDeviceResource($1, $2) },
        "GetUserResourceInfo": { try await $0.getUserResourceInfo($1, $2) },
    ]

    /// Runs a registry call, mapping its errors to API errors.
    func call<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RegistryError {
            throw ManagementError(error)
        }
    }

    static func require(_ value: String?, _ name: String) throws -> String {
        guard let value, !value.isEmpty else { throw ManagementError.missing(name) }
        return value
    }

    static func require(_ value: Int?, _ name: String) throws -> Int {
        guard let value else { throw ManagementError.missing(name) }
        return value
    }
}
