/// iotcloud-specific error codes the hub uses (cloud-api.md §4.2). Each constructor takes an optional
/// message; the code never changes.
extension APIError {
    public static func productNotExist(_ message: String = "product not exist") -> APIError {
        APIError(code: "ResourceNotFound.ProductNotExist", message: message)
    }

    public static func deviceNotExist(_ message: String = "device not exist") -> APIError {
        APIError(code: "ResourceNotFound.DeviceNotExist", message: message)
    }

    public static func productOrDeviceNotExist(_ message: String = "product or device not exist") -> APIError {
        APIError(code: "ResourceNotFound.ProductOrDeviceNotExist", message: message)
    }

    public static func deviceShadowNotExist(_ message: String = "device shadow not exist") -> APIError {
        APIError(code: "ResourceNotFound.DeviceShadowNotExist", message: message)
    }

    public static func firmwareNotExist(_ message: String = "firmware not exist") -> APIError {
        APIError(code: "ResourceNotFound.FirmwareNotExist", message: message)
    }

    public static func firmwareTaskNotExist(_ message: String = "firmware task not exist") -> APIError {
        APIError(code: "ResourceNotFound.FirmwareTaskNotExist", message: message)
    }

    public static func deviceFirmwareTaskNotExist(_ message: String = "device firmware task not exist") -> APIError {
        APIError(code: "ResourceNotFound.DeviceFirmwareTaskNotExist", message: message)
    }

    public static func taskNotExist(_ message: String = "task not exist") -> APIError {
        APIError(code: "ResourceNotFound.TaskNotExist", message: message)
    }

    public static func createMultiDeviceTaskNotExist(_ message: String = "create multi device task not exist") -> APIError {
        APIError(code: "ResourceNotFound.CreateMultiDeviceTaskNotExist", message: message)
    }

    public static func thingModelNotExist(_ message: String = "thing model not exist") -> APIError {
        APIError(code: "ResourceNotFound.ThingModelNotExist", message: message)
    }

    public static func productAlreadyExist(_ message: String = "product name already exists") -> APIError {
        APIError(code: "InvalidParameterValue.ProductAlreadyExist", message: message)
    }

    public static func deviceAlreadyExist(_ message: String = "device already exists") -> APIError {
        APIError(code: "InvalidParameterValue.DeviceAlreadyExist", message: message)
    }

    public static func definedPskNotBase64(_ message: String = "psk is not valid base64 or has an invalid length") -> APIError {
        APIError(code: "InvalidParameterValue.DefinedPskNotBase64", message: message)
    }

    public static func productTypeNotSupport(_ message: String = "the operation is not supported for this product type") -> APIError {
        APIError(code: "InvalidParameterValue.ProductTypeNotSupport", message: message)
    }

    public static func firmwareAlreadyExist(_ message: String = "firmware version already exists") -> APIError {
        APIError(code: "InvalidParameterValue.FirmwareAlreadyExist", message: message)
    }

    public static func invalidJSON(_ message: String = "invalid JSON") -> APIError {
        APIError(code: "InvalidParameterValue.InvalidJSON", message: message)
    }

    public static func jsonHasInvalidNode(_ message: String = "JSON has an invalid node") -> APIError {
        APIError(code: "InvalidParameterValue.JSONHasInvalidNode", message: message)
    }

    public static func jsonSizeExceedLimit(_ message: String = "JSON size exceeds the 8 KB limit") -> APIError {
        APIError(code: "InvalidParameterValue.JSONSizeExceedLimit", message: message)
    }

    public static func notMergeAble(_ message: String = "the update cannot be merged") -> APIError {
        APIError(code: "InvalidParameterValue.NotMergeAble", message: message)
    }

    public static func prefixInvalid(_ message: String = "invalid prefix") -> APIError {
        APIError(code: "InvalidParameterValue.PrefixInvalid", message: message)
    }

    public static func payloadOverLimit(_ message: String = "payload over limit") -> APIError {
        APIError(code: "InvalidParameterValue.PayloadOverLimit", message: message)
    }

    public static func paramIncomplete(_ message: String = "parameter incomplete") -> APIError {
        APIError(code: "InvalidParameterValue.ParamIncomplete", message: message)
    }

    public static func deviceExceedLimit(_ message: String = "device count exceeds the limit") -> APIError {
        APIError(code: "LimitExceeded.DeviceExceedLimit", message: message)
    }

    public static func productExceedLimit(_ message: String = "product count exceeds the limit") -> APIError {
        APIError(code: "LimitExceeded.ProductExceedLimit", message: message)
    }

    public static func firmwareExceedLimit(_ message: String = "firmware count exceeds the limit") -> APIError {
        APIError(code: "LimitExceeded.FirmwareExceedLimit", message: message)
    }

    public static func messageSaved(_ message: String = "message saved for later delivery") -> APIError {
        APIError(code: "LimitExceeded.MessageSaved", message: message)
    }

    public static func offlineMessageExceedLimit(_ message: String = "offline message queue is full") -> APIError {
        APIError(code: "LimitExceeded.OfflineMessageExceedLimit", message: message)
    }

    public static func deviceOffline(_ message: String = "device offline") -> APIError {
        APIError(code: "FailedOperation.DeviceOffline", message: message)
    }

    public static func deviceNoSubscription(_ message: String = "device has no subscription for the topic") -> APIError {
        APIError(code: "FailedOperation.DeviceNoSubscription", message: message)
    }

    public static func deviceAlreadyDisabled(_ message: String = "device is disabled") -> APIError {
        APIError(code: "FailedOperation.DeviceAlreadyDisabled", message: message)
    }

    public static func invalidTopicName(_ message: String = "invalid topic name") -> APIError {
        APIError(code: "FailedOperation.InvalidTopicName", message: message)
    }

    public static func invalidMsgLen(_ message: String = "invalid message length") -> APIError {
        APIError(code: "FailedOperation.InvalidMsgLen", message: message)
    }

    public static func updateVersionNotMatch(_ message: String = "shadow version does not match") -> APIError {
        APIError(code: "FailedOperation.UpdateVersionNotMatch", message: message)
    }

    public static func rrpcTimeout(_ message: String = "RRPC timeout: no reply from the device") -> APIError {
        APIError(code: "FailedOperation.RRPCTimeout", message: message)
    }

    public static func broadcastTaskIsRunning(_ message: String = "a broadcast task is already running") -> APIError {
        APIError(code: "FailedOperation.BroadcastTaskIsRunning", message: message)
    }

    public static func deviceIsUpdating(_ message: String = "device is updating") -> APIError {
        APIError(code: "FailedOperation.DeviceIsUpdating", message: message)
    }

    public static func deviceRunningOtherOtaTask(_ message: String = "device is running another OTA task") -> APIError {
        APIError(code: "FailedOperation.DeviceRunningOtherOtaTask", message: message)
    }

    public static func deviceFirmwareTaskAlreadDone(_ message: String = "device firmware task already done") -> APIError {
        APIError(code: "FailedOperation.DeviceFirmwareTaskAlreadDone", message: message)
    }

    public static func tidWhiteListNotOpen(_ message: String = "TID white list not open") -> APIError {
        APIError(code: "FailedOperation.TidWhiteListNotOpen", message: message)
    }

    public static func devicesExistUnderProduct(_ message: String = "devices exist under the product") -> APIError {
        APIError(code: "UnauthorizedOperation.DevicesExistUnderProduct", message: message)
    }

    public static func deviceIsNotEnabled(_ message: String = "device is not enabled") -> APIError {
        APIError(code: "UnauthorizedOperation.DeviceIsNotEnabled", message: message)
    }

    public static func productIsForbidden(_ message: String = "product is forbidden") -> APIError {
        APIError(code: "UnauthorizedOperation.ProductIsForbidden", message: message)
    }

    public static func productNotSupportPSK(_ message: String = "product does not support PSK") -> APIError {
        APIError(code: "UnauthorizedOperation.ProductNotSupportPSK", message: message)
    }

    public static func permissionDenied(_ message: String = "permission denied") -> APIError {
        APIError(code: "UnauthorizedOperation.PermissionDenied", message: message)
    }

    public static func deviceHasAlreadyBindGateway(_ message: String = "device is bound to a gateway") -> APIError {
        APIError(code: "UnauthorizedOperation.DeviceHasAlreadyBindGateway", message: message)
    }

    public static func gatewayHasBindedDevices(_ message: String = "gateway has bound devices") -> APIError {
        APIError(code: "UnauthorizedOperation.GatewayHasBindedDevices", message: message)
    }

    public static func clientCertAlreadyGot(_ message: String = "client key already fetched") -> APIError {
        APIError(code: "UnsupportedOperation.ClientCertAlreadyGot", message: message)
    }

    public static func wrongProductAuthType(_ message: String = "wrong product authentication type") -> APIError {
        APIError(code: "UnsupportedOperation.WrongProductAuthType", message: message)
    }

    public static func deviceOtaTaskInProgress(_ message: String = "device OTA task in progress") -> APIError {
        APIError(code: "UnsupportedOperation.DeviceOtaTaskInProgress", message: message)
    }

    public static func dbOperationError(_ message: String = "database operation error") -> APIError {
        APIError(code: "InternalError.DBOperationError", message: message)
    }
}
