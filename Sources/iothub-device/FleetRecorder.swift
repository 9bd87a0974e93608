import Synchronization

/// The phases a fleet unit goes through.
enum FleetPhase: String, CaseIterable, Sendable {
    case register, connect, publish
}

/// What the fleet's units report while they run: live counters for the progress bar, per-phase latencies
/// and failures by reason for the summary. Shared by every unit's task.
final class FleetRecorder: Sendable {
    struct FailureKey: Hashable, Sendable {
        var phase: FleetPhase
        var reason: String
    }

    struct Failures: Sendable {
        var count = 0
        /// The first failure's message, as an example.
        var example: String
    }

    struct State: Sendable {
        var started = 0
        var finished = 0
        var registered = 0
        var reused = 0
        var connected = 0
        var messages = 0
        var failedUnits = 0
        var phases: [FleetPhase: LatencyStats] = [:]
        var failures: [FailureKey: Failures] = [:]
    }

    private let state = Mutex(State())

    var snapshot: State { state.withLock { $0 } }

    func unitStarted() {
        state.withLock { $0.started += 1 }
    }

    func unitFinished() {
        state.withLock { $0.finished += 1 }
    }

    func reused() {
        state.withLock { $0.reused += 1 }
    }

    /// A phase step completed (one registration, one CONNACK, one acknowledged publish).
    func completed(_ phase: FleetPhase, start: ContinuousClock.Instant, end: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.phases[phase, default: LatencyStats()].add(start: start, end: end)
            switch phase {
            case .register: state.registered += 1
            case .connect: state.connected += 1
            case .publish: state.messages += 1
            }
        }
    }

    /// The unit stopped in `phase` because of `error`.
    func failed(_ phase: FleetPhase, _ error: any Error) {
        let reason = FailureReason.code(of: error)
        let message = "\(error)"
        state.withLock { state in
            state.failedUnits += 1
            state.failures[FailureKey(phase: phase, reason: reason), default: Failures(example: message)].count += 1
        }
    }
}
