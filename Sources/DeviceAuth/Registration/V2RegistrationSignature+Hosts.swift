extension V2RegistrationSignature {
    /// The host names a v2 signature may have been made over, in the order the hub tries them
    /// (device-protocol.md §3.2, CanonicalHost):
    ///
    /// 1. the `Host` header without any `:port`, as received, then lower-cased
    ///    (for a bracketed IPv6 literal such as `[::1]:8080`, both `[::1]` and `::1`,
    ///    because Java signs the bracketed form and Python the bare address);
    /// 2. each configured public host name of the hub;
    /// 3. ``defaultHost``.
    ///
    /// Empty entries are skipped and duplicates removed, keeping the first occurrence.
    public static func candidateHosts(hostHeader: String?, configuredHosts: [String]) -> [String] {
        var result: [String] = []
        func add(_ host: String) {
            if !host.isEmpty, !result.contains(host) {
                result.append(host)
            }
        }
        if let hostHeader {
            let forms = hostForms(withoutPort: hostHeader.trimmingASCIIWhitespace())
            for form in forms { add(form) }
            for form in forms where form.utf8.contains(where: { $0 >= 0x80 || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) {
                add(form.lowercased())
            }
        }
        for host in configuredHosts {
            add(host.trimmingASCIIWhitespace())
        }
        add(defaultHost)
        return result
    }

    /// `host` without its port; for an IPv6 literal the bracketed and the bare form.
    private static func hostForms(withoutPort host: String) -> [String] {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return [host] }
            let bracketed = String(host[...close])
            let bare = String(host[host.index(after: host.startIndex)..<close])
            return [bracketed, bare]
        }
        // Counted over the UTF-8 bytes (a `:` byte is always a whole character).
        var colons = 0
        var firstColon: String.Index?
        for index in host.utf8.indices where host.utf8[index] == UInt8(ascii: ":") {
            colons += 1
            if firstColon == nil { firstColon = index }
        }
        if colons == 1, let colon = firstColon {
            return [String(host[..<colon])]
        }
        // No port, or an unbracketed IPv6 address (several colons): keep it whole.
        return [host]
    }
}
