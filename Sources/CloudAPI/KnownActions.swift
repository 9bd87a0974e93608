/// Every action name of the iotcloud API per version (official SDK clients, cloud-api.md §7 and §9),
/// plus the hub's own registration actions. Names here without a registered schema answer
/// `UnsupportedOperation`; names not here answer `InvalidAction`.
public enum KnownActions {
    /// Hub-specific actions, served in both versions.
    public static let hub: Set<String> = [
        "ResetDeviceRegistration", "DescribeRegistrationLogs", "UpdateProductRegistrationPolicy",
        "CreateApplication", "DescribeApplications", "DeleteApplication", "UpdateProductWebhook", "DescribeProductWebhook",
        "UpdateProductRemoteConfig", "DescribeProductRemoteConfig", "UnbindAllSubDevices", "CreateDevices",
    ]

    /// iotcloud actions present in both 2018-06-14 and 2021-04-08.
    public static let common: Set<String> = [
        // products
        "CreateProduct", "DescribeProduct", "DescribeProducts", "DeleteProduct",
        "UpdateProductDynamicRegister", "SetProductsForbiddenStatus",
        // devices
        "CreateDevice", "DescribeDevice", "DescribeDevices", "DeleteDevice",
        "UpdateDeviceAvailableState", "UpdateDevicesEnableState", "ResetDeviceState",
        "DescribeDeviceClientKey",
        // messaging and shadow
        "PublishMessage", "PublishBroadcastMessage", "PublishRRPCMessage",
        "DescribeDeviceShadow", "UpdateDeviceShadow",
        // product tasks
        "CreateMultiDevicesTask", "CreateTaskFileUrl", "DescribeProductTask", "DescribeProductTasks",
        // firmware / OTA
        "GetCOSURL", "UploadFirmware", "DescribeFirmware", "EditFirmware", "BatchUpdateFirmware",
        "DescribeFirmwareTask", "DescribeFirmwareTasks", "DescribeFirmwareTaskDevices",
        "DescribeFirmwareTaskStatistics", "DescribeFirmwareTaskDistribution",
        "CancelDeviceFirmwareTask", "RetryDeviceFirmwareTask",
        // resources
        "DescribeDeviceResource", "DescribeDeviceResources", "DescribeProductResource",
        "DescribeProductResources", "DownloadDeviceResource", "DeleteDeviceResource",
        "GetUserResourceInfo", "DescribeResourceTasks", "DescribePushResourceTaskStatistics",
        // topic policies and rules
        "CreateTopicPolicy", "UpdateTopicPolicy",
        "CreateTopicRule", "ReplaceTopicRule", "EnableTopicRule", "DisableTopicRule", "DeleteTopicRule",
        // gateways
        "BindDevices", "UnbindDevices",
        // logs
        "ListLog", "ListLogPayload", "ListSDKLog",
    ]

    /// iotcloud actions only in 2021-04-08.
    public static let only20210408: Set<String> = [
        "UpdateDevicePSK", "UpdateDeviceLogLevel", "DeleteDeviceShadow",
        "DescribeGatewayBindDevices", "GetAllVersion", "ListFirmwares", "ListTopicRules",
        "UpdateOtaTaskStatus",
        // private CAs
        "CreatePrivateCA", "DeletePrivateCA", "DescribePrivateCA", "DescribePrivateCAs",
        "UpdatePrivateCA", "DescribePrivateCABindedProducts", "DescribeProductCA",
        "UpdateProductPrivateCA", "DeleteProductPrivateCA",
    ]

    /// iotcloud actions only in 2018-06-14.
    public static let only20180614: Set<String> = [
        "CreateMultiDevice", "DescribeMultiDevTask", "DescribeMultiDevices",
        "CreateTask", "DescribeTask", "DescribeTasks", "CancelTask", "DescribeAllDevices",
        // LoRa
        "CreateLoraDevice", "DeleteLoraDevice", "DescribeLoraDevice", "PublishToDevice", "PublishAsDevice",
    ]

    /// All action names of one version (hub actions included).
    public static func names(_ version: APIVersion) -> Set<String> {
        switch version {
        case .v20210408: return common.union(only20210408).union(hub)
        case .v20180614: return common.union(only20180614).union(hub)
        }
    }
}
