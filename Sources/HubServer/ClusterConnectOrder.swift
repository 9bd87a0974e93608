import Foundation
import Synchronization

/// Orders connects of one ClientId to two nodes of a cluster (the takeover of MQTT-3.1.4-2 across nodes): every
/// connect is announced with the wall-clock time it was accepted and the node, and a node closes its own
/// connection for that ClientId only if the announced connect is the later one (the node breaks a tie). Both nodes
/// compare the same two stamps, so exactly one connection survives two connects within milliseconds, which
/// without an order would close each other.
///
/// Only a race is ordered: a connection accepted here more than `raceWindow` before the announcement arrives
/// always yields (the newer connect wins, as on one node), so a node whose clock runs ahead cannot keep a stale
/// connection open. Within the window, clocks are compared as they are: nodes should run NTP. The stamps are kept
/// at most one per ClientId, pruned as new ones come.
final class ClusterConnectOrder: Sendable {
    static let raceWindow: Duration = .seconds(2)

    struct Stamp {
        var millis: Int64
        var accepted: ContinuousClock.Instant
    }

    struct Stamps {
        var byClientId: [String: Stamp] = [:]
        /// The count at which the next prune runs: twice what a prune left, at least `pruneAbove`, so that a storm
        /// of connects within one race window costs one pass per doubling, not one per connect (this runs under the
        /// broker lock).
        var pruneAt: Int
    }

    let node: String
    private let stamps: Mutex<Stamps>
    private let pruneAbove: Int

    init(node: String, pruneAbove: Int = 10_000) {
        self.node = node
        self.pruneAbove = pruneAbove
        self.stamps = Mutex(Stamps(pruneAt: pruneAbove))
    }

    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A client connected here: its stamp, to announce.
    func connectedHere(_ clientId: String, at millis: Int64 = ClusterConnectOrder.nowMillis(), now: ContinuousClock.Instant = .now) -> Int64 {
        stamps.withLock { stamps in
            if stamps.byClientId.count >= stamps.pruneAt {
                stamps.byClientId = stamps.byClientId.filter { now - $0.value.accepted < Self.raceWindow }
                stamps.pruneAt = max(pruneAbove, stamps.byClientId.count * 2)
            }
            stamps.byClientId[clientId] = Stamp(millis: millis, accepted: now)
        }
        return millis
    }

    /// Another node announced a connect of `clientId`: whether this node's connection (if any) ends.
    func yields(_ clientId: String, toConnectAt millis: Int64, on other: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard let mine = stamps.withLock({ $0.byClientId[clientId] }), now - mine.accepted <= Self.raceWindow else { return true }
        return (mine.millis, node) < (millis, other)
    }

    var count: Int { stamps.withLock { $0.byClientId.count } }

    /// An announcement: version 1, flags (bit 0: CleanSession), the stamp (8 bytes), the node (2-byte length), the
    /// ClientId (the rest).
    static func encode(clientId: String, cleanSession: Bool, millis: Int64, node: String) -> [UInt8] {
        var bytes: [UInt8] = [1, cleanSession ? 1 : 0]
        withUnsafeBytes(of: millis.bigEndian) { bytes += $0 }
        let nodeBytes = Array(node.utf8)
        bytes += [UInt8(nodeBytes.count >> 8 & 0xFF), UInt8(nodeBytes.count & 0xFF)] + nodeBytes
        return bytes + Array(clientId.utf8)
    }

    /// Reads an announcement; nil for anything else.
    static func decode(_ bytes: [UInt8]) -> (clientId: String, cleanSession: Bool, millis: Int64, node: String)? {
        guard bytes.count >= 12, bytes[0] == 1, bytes[1] <= 1 else { return nil }
        let millis = bytes[2..<10].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let nodeLength = Int(bytes[10]) << 8 | Int(bytes[11])
        guard bytes.count >= 12 + nodeLength else { return nil }
        let node = String(decoding: bytes[12..<(12 + nodeLength)], as: UTF8.self)
        let clientId = String(decoding: bytes[(12 + nodeLength)...], as: UTF8.self)
        guard !clientId.isEmpty else { return nil }
        return (clientId, bytes[1] == 1, millis, node)
    }
}
