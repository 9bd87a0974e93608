import Crypto
import Synchronization

/// Remembers every accepted signature while its timestamp is still accepted, so that a captured request
/// cannot be replayed as another one.
///
/// The official SDKs sign only `content-type;host` with TC3, so `X-TC-Action`, `X-TC-Version` and
/// `X-TC-Region` are not covered by the signature (and neither is the body under
/// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`). Each accepted request is stored under a key naming its
/// signature (TC3: SecretId + signature; legacy: SecretId + Timestamp + Nonce) with a fingerprint of
/// everything that makes up the request (`APIRequestDecoder.replayFingerprint`). The same key seen again
/// with the same fingerprint is an identical retry and passes, from anywhere. With another fingerprint it
/// is refused, unless `allowsVariants` and either it comes on the TCP connection that first used the
/// signature, or within `variantGrace` seconds of that first use (at most `maxVariants` requests per
/// signature).
///
/// Why: the official SDKs' signature covers only the body and the timestamp (seconds), so one client that
/// sends two different actions with the same body in the same second (CreateDevice then DescribeDevice of
/// one device, as scripts, `tccli` and the official SDK's own test suite do) sends the same signature
/// twice; strictly, the second would be refused and the official clients would fail at random. Such
/// requests are signed within one second, so they arrive within about a second of each other, often on
/// one keep-alive connection (tccli opens a new one per call). A replay of a captured request comes on the
/// attacker's own connection, and, unless it is automated on the path, later than that: refused. The grace
/// shrinks the window in which a replay as another request works from the signature's 5 minutes to a few
/// seconds; `allowsVariants` off (the hub's `--api-replay-strict`) closes it, at the price of refusing
/// the official clients' same-second pairs (they must then wait a second between such calls). Behind a
/// reverse proxy that reuses upstream connections for several clients, connection identity is the
/// proxy's, and only the grace and strict mode mean anything.
///
/// Bounds: at most `maxEntries` entries of fixed size (keys and fingerprints are SHA-256 digests, so a
/// long Nonce costs nothing more); an entry is dropped once its request's timestamp has left the
/// accepted window (`window` seconds after it). When the cache is full of unexpired entries, new
/// signatures are refused (`.full`) rather than evicting the oldest: evicting would let an evicted
/// signature be replayed as another action. Only requests whose signature verified are stored, so only
/// a holder of a management key can fill the cache.
public final class APIReplayCache: Sendable {
    /// The decision for one accepted-signature request.
    public enum Outcome: Sendable, Equatable {
        /// First time this signature is seen; it is now remembered.
        case fresh
        /// Seen before with exactly the same request: an identical retry.
        case retry
        /// Seen before with a different request, on the connection of its first use or within the grace
        /// (an allowed variant).
        case variant
        /// Seen before with a different request (action, version, region, body, …) from elsewhere (or too
        /// many variants, or strict mode): a replay.
        case conflict
        /// Never seen, but the cache holds `maxEntries` unexpired signatures.
        case full
    }

    /// What the cache reports to its observer (for metrics), outside its lock.
    public enum Event: Sendable, Equatable {
        /// This many entries left the window in one pass.
        case expired(Int)
        /// A request was refused (`.conflict` or `.full`).
        case refused(Outcome)
    }

    /// A SHA-256 digest as four words (no heap allocation per key).
    public struct Digest: Hashable, Sendable {
        let words: (UInt64, UInt64, UInt64, UInt64)

        init(_ digest: SHA256.Digest) {
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            digest.withUnsafeBytes { raw in
                words = (
                    raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                )
            }
            self.words = words
        }

        public static func == (lhs: Digest, rhs: Digest) -> Bool {
            lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
        }
    }

    private struct Entry {
        /// The requests seen with this signature (the first, then variants on its connection).
        var fingerprints: [Digest]
        /// The connection of the first use (nil: unknown).
        var connection: Digest?
        /// Server time of the first use (Unix seconds).
        var firstSeen: Int64
        var expiry: Int64
    }

    private struct State {
        var entries: [Digest: Entry] = [:]
        /// Keys by the second after which they expire.
        var buckets: [Int64: [Digest]] = [:]
        /// Every bucket up to this second has been emptied.
        var prunedThrough: Int64?
    }

    /// Largest number of remembered signatures.
    public let maxEntries: Int
    /// Seconds after a request's timestamp during which it stays remembered (the signature's accepted skew).
    public let window: Int64
    /// Accept a different request with a known signature on the connection of its first use, or within
    /// `variantGrace` seconds of it (false: strict mode, no variants at all).
    public let allowsVariants: Bool
    /// Seconds after a signature's first use during which a different request with it is accepted from any
    /// connection.
    public let variantGrace: Int64
    /// Different requests accepted per signature (first use included).
    public static let maxVariants = 8
    private let state = Mutex(State())
    private let observe: @Sendable (Event) -> Void

    public init(
        maxEntries: Int = 100_000,
        window: Int64 = 300,
        allowsVariants: Bool = true,
        variantGrace: Int64 = 2,
        observe: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.maxEntries = max(1, maxEntries)
        self.window = window
        self.allowsVariants = allowsVariants
        self.variantGrace = max(0, variantGrace)
        self.observe = observe
    }

    /// Entries currently remembered.
    public var count: Int {
        state.withLock { $0.entries.count }
    }

    /// Records (or matches) one request whose signature verified. `connection`: the TCP connection it came
    /// on (nil: unknown); `timestamp`: the request's own time; `now`: the server's time, both Unix seconds.
    public func check(key: Digest, fingerprint: Digest, connection: Digest?, timestamp: Int64, now: Int64) -> Outcome {
        let (outcome, expired) = state.withLock { state -> (Outcome, Int) in
            let expired = Self.prune(&state, now: now)
            if var entry = state.entries[key] {
                if entry.fingerprints.contains(fingerprint) { return (.retry, expired) }
                let sameConnection = entry.connection != nil && entry.connection == connection
                let withinGrace = now - entry.firstSeen <= variantGrace
                guard allowsVariants, sameConnection || withinGrace, entry.fingerprints.count < Self.maxVariants
                else { return (.conflict, expired) }
                entry.fingerprints.append(fingerprint)
                state.entries[key] = entry
                return (.variant, expired)
            }
            guard state.entries.count < maxEntries else { return (.full, expired) }
            let (expiry, overflow) = timestamp.addingReportingOverflow(window)
            let due = overflow ? Int64.max : expiry
            state.entries[key] = Entry(fingerprints: [fingerprint], connection: connection, firstSeen: now, expiry: due)
            // A clock that went back could name a bucket already passed: file it in the next one to empty.
            let bucket = max(due, (state.prunedThrough ?? due) + 1)
            state.buckets[bucket, default: []].append(key)
            return (.fresh, expired)
        }
        if expired > 0 { observe(.expired(expired)) }
        if outcome == .conflict || outcome == .full { observe(.refused(outcome)) }
        return outcome
    }

    /// Empties the buckets of every second before `now`; returns how many entries left.
    private static func prune(_ state: inout State, now: Int64) -> Int {
        let last = now - 1
        guard let done = state.prunedThrough else {
            state.prunedThrough = last
            return 0
        }
        guard last > done else { return 0 }
        let seconds: [Int64]
        if last - done <= Int64(state.buckets.count) {
            seconds = (done + 1...last).filter { state.buckets[$0] != nil }
        } else {
            seconds = state.buckets.keys.filter { $0 <= last }
        }
        var removed = 0
        for second in seconds {
            for key in state.buckets.removeValue(forKey: second) ?? [] where state.entries.removeValue(forKey: key) != nil {
                removed += 1
            }
        }
        state.prunedThrough = last
        return removed
    }
}
