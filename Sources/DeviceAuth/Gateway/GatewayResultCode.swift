/// Result codes a gateway gets per sub-device (device-protocol.md §6.10.9).
public enum GatewayResultCode {
    public static let success: Int64 = 0
    public static let notBound: Int64 = -1
    public static let systemError: Int64 = -2
    public static let parameterError: Int64 = 801
    public static let deviceNotFound: Int64 = 802
    public static let signatureInvalid: Int64 = 803
    public static let signMethodNotSupported: Int64 = 804
    public static let signatureExpired: Int64 = 805
    public static let boundToAnotherGateway: Int64 = 806
    public static let notBindable: Int64 = 807
    public static let operationNotAllowed: Int64 = 808
    public static let alreadyBound: Int64 = 809
}
