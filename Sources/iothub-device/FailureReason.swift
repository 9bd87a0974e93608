import IoTHubDevice

/// A stable snake_case reason code for any error a fleet unit meets, for grouping failures.
enum FailureReason {
    static func code(of error: any Error) -> String {
        switch error {
        case let error as RegistrationError: error.reasonCode
        case let error as MQTTConnectRefusal: error.reasonCode
        case let error as MQTTClientError: error.code.rawValue
        case is DeviceIdentityStoreError: "identity_store"
        case let error as FleetUnitError: error.reason
        default: "error"
        }
    }
}

/// A unit that cannot run for a reason of the simulator's own.
struct FleetUnitError: Error, CustomStringConvertible {
    var reason: String
    var description: String
}
