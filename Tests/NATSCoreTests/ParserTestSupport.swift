import NATSCore

/// Feeds `chunks` one after another, draining the parser after each, and returns every operation.
func parseAll(
    _ chunks: [ArraySlice<UInt8>],
    limits: NATSServerOperationParser.Limits = .init()
) throws(NATSCoreError) -> [NATSServerOperation] {
    var parser = NATSServerOperationParser(limits: limits)
    var operations: [NATSServerOperation] = []
    for chunk in chunks {
        parser.append(chunk)
        while let operation = try parser.next() {
            operations.append(operation)
        }
    }
    return operations
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A deterministic pseudo-random generator (SplitMix64) so chunkings are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
