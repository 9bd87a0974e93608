import Foundation

/// A node's id in a cluster's database (`DATA/node-id`, created at the first start with `--database`): the id its
/// heartbeat, its devices' presence and its broker's sessions are keyed by, kept across restarts so that a restarted
/// node takes up its own sessions at once. Two processes must never share a data directory.
enum NodeIdentity {
    static func path(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("node-id")
    }

    static func loadOrCreate(dataDirectory: String) throws -> String {
        let path = path(dataDirectory: dataDirectory)
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) { return id }
            throw HubConfigurationError("\(path) does not hold a node id (remove it to have a new one made)")
        }
        let id = UUID().uuidString
        // Written whole or not at all (the umask makes it private).
        try Data((id + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return id
    }
}
