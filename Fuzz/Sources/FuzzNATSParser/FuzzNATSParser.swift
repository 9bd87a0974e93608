import NATSCore

/// libFuzzer entry point for what a NATS server (or anything posing as one) sends a hub node. The first byte picks
/// where the rest is split in two; both halves are fed to one parser and every operation it yields, or the error it
/// stops with, must equal what a parser fed the whole input at once yields. The parser never buffers more than its
/// limits allow. A crash, a trap or a failed precondition is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNATSParser(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let selector = input.first else {
        return 0
    }
    let stream = Array(input.dropFirst())
    let limits = NATSServerOperationParser.Limits(maxControlLineLength: 512, maxPayloadSize: 4096)
    let whole = operations([stream[...]], limits: limits)
    let split = stream.isEmpty ? 0 : Int(selector) % (stream.count + 1)
    let halves = operations([stream[..<split], stream[split...]], limits: limits)
    precondition(whole == halves, "splitting the input changed what was parsed")
    return 0
}

/// What the parser yields for `chunks` fed one after the other, ending with the error's code if it fails.
func operations(_ chunks: [ArraySlice<UInt8>], limits: NATSServerOperationParser.Limits) -> [String] {
    var parser = NATSServerOperationParser(limits: limits)
    var seen: [String] = []
    for chunk in chunks {
        parser.append(chunk)
        while true {
            do {
                guard let operation = try parser.next() else { break }
                seen.append(String(describing: operation))
            } catch {
                seen.append("error \(error.code)")
                return seen
            }
            precondition(parser.bufferedByteCount <= limits.maxControlLineLength + limits.maxPayloadSize + 8 + chunk.count, "buffered past the limits")
        }
    }
    return seen
}
