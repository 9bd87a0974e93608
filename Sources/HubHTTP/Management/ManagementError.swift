import Logging
import Registry

/// An error answered in the API 3.0 envelope: a Tencent error code and a message. Public for the callers
/// that run actions in process (`ManagementAPI.perform`, the web console), which show it to a person.
public struct ManagementError: Error, Sendable, Equatable {
    public var code: String
    public var message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    static func missing(_ field: String) -> ManagementError {
        ManagementError("MissingParameter", "The request is missing a required parameter `\(field)`.")
    }

    static func invalidValue(_ message: String) -> ManagementError {
        ManagementError("InvalidParameterValue", message)
    }

    /// The one place registry errors become API error codes.
    init(_ error: RegistryError) {
        switch error.code {
        case .productNotFound: self.init("ResourceNotFound.ProductNotExist", error.message)
        case .productNameTaken: self.init("InvalidParameterValue.ProductAlreadyExist", error.message)
        case .productForbidden: self.init("UnauthorizedOperation.ProductIsForbidden", error.message)
        case .devicesExistUnderProduct: self.init("UnauthorizedOperation.DevicesExistUnderProduct", error.message)
        case .deviceNotFound: self.init("ResourceNotFound.DeviceNotExist", error.message)
        case .deviceAlreadyExists: self.init("InvalidParameterValue.DeviceAlreadyExist", error.message)
        case .deviceLimitExceeded: self.init("LimitExceeded.DeviceExceedLimit", error.message)
        case .invalidParameter: self.init("InvalidParameterValue", error.message)
        case .pskNotBase64: self.init("InvalidParameterValue.DefinedPskNotBase64", error.message)
        case .productNotSupportPSK: self.init("UnauthorizedOperation.ProductNotSupportPSK", error.message)
        case .wrongProductAuthType: self.init("UnsupportedOperation.WrongProductAuthType", error.message)
        case .clientKeyAlreadyFetched: self.init("UnsupportedOperation.ClientCertAlreadyGot", error.message)
        case .applicationNotFound: self.init("ResourceNotFound", error.message)
        case .firmwareNotFound: self.init("ResourceNotFound.FirmwareNotExist", error.message)
        case .firmwareAlreadyExists: self.init("InvalidParameterValue.FirmwareAlreadyExist", error.message)
        case .firmwareLimitExceeded: self.init("LimitExceeded.FirmwareExceedLimit", error.message)
        case .firmwareTaskNotFound: self.init("ResourceNotFound.FirmwareTaskNotExist", error.message)
        case .deviceFirmwareTaskNotFound: self.init("ResourceNotFound.DeviceFirmwareTaskNotExist", error.message)
        case .deviceIsUpdating: self.init("FailedOperation.DeviceIsUpdating", error.message)
        case .deviceFirmwareTaskDone: self.init("FailedOperation.DeviceFirmwareTaskAlreadDone", error.message)
        case .deviceRunningOtherOtaTask: self.init("FailedOperation.DeviceRunningOtherOtaTask", error.message)
        case .deviceIsNotGateway: self.init("InvalidParameterValue.DeviceIsNotGateway", error.message)
        case .deviceBoundToGateway: self.init("UnauthorizedOperation.DeviceHasAlreadyBindGateway", error.message)
        case .gatewayHasBoundDevices: self.init("UnauthorizedOperation.GatewayHasBindedDevices", error.message)
        case .deviceNotEnabled: self.init("UnauthorizedOperation.DeviceIsNotEnabled", error.message)
        case .bindLimitExceeded: self.init("FailedOperation.BindDeviceOverLimit", error.message)
        case .bindPerOnceOverLimit: self.init("FailedOperation.BindDevicePerOnceOverLimit", error.message)
        default: self.init("InternalError", "internal error")
        }
    }
}
