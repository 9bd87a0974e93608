import Logging
/// Errors of the registry. `code` is stable; the edges (management API, device gateway) map it to their
/// own envelopes.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case productNotFound, productNameTaken, productForbidden, devicesExistUnderProduct
            case deviceNotFound, deviceAlreadyExists, deviceLimitExceeded
            case invalidParameter, pskNotBase64, productNotSupportPSK, wrongProductAuthType
            case clientKeyAlreadyFetched, storageFailure, shuttingDown, applicationNotFound
            case firmwareNotFound, firmwareAlreadyExists, firmwareLimitExceeded, firmwareTaskNotFound
            case deviceFirmwareTaskNotFound, deviceIsUpdating, deviceFirmwareTaskDone, deviceRunningOtherOtaTask
            case deviceIsNotGateway, deviceBoundToGateway, gatewayHasBoundDevices, deviceNotEnabled, bindLimitExceeded
            case bindPerOnceOverLimit
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let productNotFound = Code(.productNotFound)
        public static let productNameTaken = Code(.productNameTaken)
        public static let productForbidden = Code(.productForbidden)
        public static let devicesExistUnderProduct = Code(.devicesExistUnderProduct)
        public static let deviceNotFound = Code(.deviceNotFound)
        public static let deviceAlreadyExists = Code(.deviceAlreadyExists)
        public static let deviceLimitExceeded = Code(.deviceLimitExceeded)
        public static let invalidParameter = Code(.invalidParameter)
        public static let pskNotBase64 = Code(.pskNotBase64)
        public static let productNotSupportPSK = Code(.productNotSupportPSK)
        public static let wrongProductAuthType = Code(.wrongProductAuthType)
        public static let clientKeyAlreadyFetched = Code(.clientKeyAlreadyFetched)
        public static let storageFailure = Code(.storageFailure)
        public static let shuttingDown = Code(.shuttingDown)
        public static let applicationNotFound = Code(.applicationNotFound)
        public static let firmwareNotFound = Code(.firmwareNotFound)
        public static let firmwareAlreadyExists = Code(.firmwareAlreadyExists)
        public static let firmwareLimitExceeded = Code(.firmwareLimitExceeded)
        public static let firmwareTaskNotFound = Code(.firmwareTaskNotFound)
        public static let deviceFirmwareTaskNotFound = Code(.deviceFirmwareTaskNotFound)
        public static let deviceIsUpdating = Code(.deviceIsUpdating)
        public static let deviceFirmwareTaskDone = Code(.deviceFirmwareTaskDone)
        public static let deviceRunningOtherOtaTask = Code(.deviceRunningOtherOtaTask)
        /// The device named as a gateway is not a device of a gateway product.
        public static let deviceIsNotGateway = Code(.deviceIsNotGateway)
        /// The device is a sub-device bound to a gateway (to another one, for a bind).
        public static let deviceBoundToGateway = Code(.deviceBoundToGateway)
        /// The gateway still has sub-devices bound.
        public static let gatewayHasBoundDevices = Code(.gatewayHasBoundDevices)
        public static let deviceNotEnabled = Code(.deviceNotEnabled)
        /// More sub-devices than a gateway may have.
        public static let bindLimitExceeded = Code(.bindLimitExceeded)
        /// More devices than one bind call may name.
        public static let bindPerOnceOverLimit = Code(.bindPerOnceOverLimit)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RegistryError(\(code)): \(message)" }
}
