import Logging
/// A response value built by the action handlers; converted to the API's JSON at the edge.
/// (Keeping the handlers on this small type keeps them independent of the wire JSON model.)
indirect enum ActionValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([ActionValue])
    case object([(String, ActionValue)])

    static func == (lhs: ActionValue, rhs: ActionValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    static func int(_ value: Int) -> ActionValue { .int(Int64(value)) }
}

/// The validated parameters of an action, under their internal (2021-04-08) names.
struct ActionParameters: Sendable {
    enum Value: Sendable {
        case string(String)
        case int(Int64)
        case bool(Bool)
        case list([Value])
        case object(ActionParameters)
        case null
    }

    var fields: [String: Value]

    func string(_ name: String) -> String? {
        if case .string(let value)? = fields[name] { return value }
        return nil
    }

    func int(_ name: String) -> Int? {
        switch fields[name] {
        case .int(let value)?: return Int(exactly: value)
        case .string(let text)?: return Int(text)
        default: return nil
        }
    }

    func bool(_ name: String) -> Bool? {
        switch fields[name] {
        case .bool(let value)?: return value
        case .string(let text)?: return text == "true" ? true : (text == "false" ? false : nil)
        default: return nil
        }
    }

    func strings(_ name: String) -> [String]? {
        guard case .list(let items)? = fields[name] else { return nil }
        return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }

    func object(_ name: String) -> ActionParameters? {
        if case .object(let value)? = fields[name] { return value }
        return nil
    }

    func objects(_ name: String) -> [ActionParameters]? {
        guard case .list(let items)? = fields[name] else { return nil }
        return items.compactMap { if case .object(let o) = $0 { o } else { nil } }
    }
}
