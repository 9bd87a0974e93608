#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Random bytes from the system CSPRNG, fetched 4 KiB at a time.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` system call per 64-bit word; a registration needs 32
/// random bytes (its PSK and its request id), four calls. Here the bytes come from one shared pool that is
/// refilled from the same source (`getrandom` through `getentropy` on Linux, `arc4random_buf` on Darwin) when it runs out, so a
/// call costs a lock and a copy, and 16 system calls of 256 bytes every 4 KiB (every 128 registrations). The bytes are the kernel's CSPRNG output,
/// each handed out once; a byte handed out is zeroed in the pool at once, so the pool never holds a copy of a
/// secret that was generated from it.
public enum SecureRandom {
    /// Size of the pool (and of each refill).
    public static let poolSize = 4096

    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard !buffer.isEmpty else { return }
        // Requests larger than the pool bypass it.
        guard buffer.count <= poolSize else {
            systemFill(buffer)
            return
        }
        let storage = poolStorage
        next.withLock { next in
            var filled = 0
            while filled < buffer.count {
                if next == storage.count {
                    systemFill(storage)
                    next = 0
                }
                let count = min(buffer.count - filled, storage.count - next)
                let source = UnsafeMutableRawBufferPointer(rebasing: storage[next..<(next + count)])
                UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + count)]).copyMemory(from: UnsafeRawBufferPointer(source))
                // Handed out: not kept in the pool.
                source.initializeMemory(as: UInt8.self, repeating: 0)
                next += count
                filled += count
            }
        }
    }

    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// A random-number generator over ``SecureRandom``'s pool (cryptographically secure, like
    /// `SystemRandomNumberGenerator`, which it can replace wherever one is taken).
    public struct Generator: RandomNumberGenerator, Sendable {
        public init() {}

        public mutating func next() -> UInt64 {
            var word: UInt64 = 0
            withUnsafeMutableBytes(of: &word) { SecureRandom.fill($0) }
            return word
        }
    }

    /// The pool; only touched while holding `next`.
    private nonisolated(unsafe) static let poolStorage: UnsafeMutableRawBufferPointer = {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: poolSize, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        return storage
    }()
    /// Bytes of the pool before `next` were handed out (and zeroed); `poolSize` means empty.
    private static let next = Mutex(poolSize)

    /// Straight from the system CSPRNG. Traps if it cannot deliver (as `SystemRandomNumberGenerator` does).
    static func systemFill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        #if canImport(Darwin)
        arc4random_buf(base, buffer.count)
        #else
        // getentropy(3): getrandom(2) in chunks of at most 256 bytes (blocks until the kernel's pool is
        // seeded, never returns short).
        var filled = 0
        while filled < buffer.count {
            let chunk = min(256, buffer.count - filled)
            guard getentropy(base + filled, chunk) == 0 else { fatalError("getentropy failed (errno \(errno))") }
            filled += chunk
        }
        #endif
    }
}
