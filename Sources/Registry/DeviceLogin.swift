import Synchronization

/// A device's MQTT login, handed to the registry, which decides it together with the logins and logouts
/// that arrive meanwhile (one actor turn and one commit per batch instead of one task, two actor calls and
/// one awaited commit per connect).
public struct DeviceLogin: Sendable {
    public var key: DeviceKey
    public var clientIP: String?
    /// The broker's checks of the connection against the product and device; nil accepts. Runs inside the
    /// registry actor, so it must be short and must not block.
    public var check: @Sendable (Product, Device) -> DeviceLoginRefusal?
    /// Called once with the outcome, on whichever thread decided it (the registry's or the committing one).
    public var completion: @Sendable (DeviceLoginOutcome) -> Void

    public init(
        key: DeviceKey,
        clientIP: String?,
        check: @escaping @Sendable (Product, Device) -> DeviceLoginRefusal?,
        completion: @escaping @Sendable (DeviceLoginOutcome) -> Void
    ) {
        self.key = key
        self.clientIP = clientIP
        self.check = check
        self.completion = completion
    }
}

/// Why a login was refused: the MQTT 3.1.1 CONNACK return code and a reason for the log.
public struct DeviceLoginRefusal: Sendable, Hashable {
    public var returnCode: UInt8
    public var reason: String

    public init(returnCode: UInt8, reason: String) {
        self.returnCode = returnCode
        self.reason = reason
    }

    static let unknownDevice = DeviceLoginRefusal(returnCode: 0x05, reason: "unknown product or device")
}

public enum DeviceLoginOutcome: Sendable, Hashable {
    /// Accepted and recorded. `activated`: this was the device's first login, and the activation is durable.
    /// Later logins are in memory (LoginTime, online) when this is reported and are written in the background.
    case accepted(activated: Bool)
    case refused(DeviceLoginRefusal)
    /// The registry cannot record logins (its store failed).
    case unavailable
}

/// What the presence drain applies: logins and logouts, in arrival order.
enum PresenceEntry: Sendable {
    case login(DeviceLogin)
    case logout(DeviceKey)
}

typealias PresenceQueue = DrainQueue<PresenceEntry>

/// Entries handed to the registry without an actor call each (from the broker's or an HTTP handler's
/// thread): appended under a lock; the first append after a drain ended starts one, which takes
/// everything queued in a turn of the actor.
final class DrainQueue<Entry: Sendable>: Sendable {
    private struct State {
        var entries: [Entry] = []
        var draining = false
    }

    private let state = Mutex(State())

    /// Queues an entry; true when no drain is running and the caller must start one.
    func append(_ entry: Entry) -> Bool {
        state.withLock { state in
            state.entries.append(entry)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
    }

    /// Everything queued so far; empty when nothing is, and then the drain counts as ended.
    func take() -> [Entry] {
        state.withLock { state in
            if state.entries.isEmpty { state.draining = false }
            defer { state.entries = [] }
            return state.entries
        }
    }

    /// Everything queued so far, leaving a running drain running (it finds less to do).
    func takeAll() -> [Entry] {
        state.withLock { state in
            defer { state.entries = [] }
            return state.entries
        }
    }
}
