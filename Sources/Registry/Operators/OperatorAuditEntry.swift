/// One change an operator made in the console (or an operator account change made with the CLI).
public struct OperatorAuditEntry: Sendable, Hashable {
    /// Row id (0 before it is stored).
    public var id: Int64
    /// Unix milliseconds.
    public var time: Int64
    /// Operator name (`cli` for the offline account commands).
    public var operatorName: String
    /// What was done: the management action's name (`CreateProduct`, …) or a console event (`SignIn`).
    public var action: String
    /// What it was done to: `PRODUCTID`, `PRODUCTID/DEVICE`, an operator name.
    public var target: String
    /// `ok` or the error code the action answered.
    public var result: String
    /// The change in short (`RegisterType=2 RegisterLimit=2`); never a secret.
    public var detail: String
    /// The operator's address (`127.0.0.1`), or `cli`.
    public var source: String

    public init(id: Int64 = 0, time: Int64, operatorName: String, action: String, target: String, result: String, detail: String, source: String) {
        self.id = id
        self.time = time
        self.operatorName = operatorName
        self.action = action
        self.target = target
        self.result = result
        self.detail = detail
        self.source = source
    }
}
