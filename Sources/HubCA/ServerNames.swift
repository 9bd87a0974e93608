/// The names the hub's own server certificate carries, from the operator's `--public-host` list.
///
/// * Host names become `dNSName` entries; `localhost`, `127.0.0.1` and `::1` are always added, so the hub is
///   reachable on loopback.
/// * An IP address becomes an `iPAddress` entry, and an IPv4 address also a `dNSName` entry with its dotted
///   text: old mbedTLS versions (the one bundled with Tencent's classic C SDK) match the host they dialled only
///   against `dNSName` entries and the CN, so a hub reached by address would fail their handshake although the
///   chain is valid. (An IPv6 literal is not a valid DNS name and gets only the `iPAddress` entry.)
/// * The subject CN is the first public host as given, for the same clients.
public struct ServerNames: Sendable, Equatable {
    public var hostnames: [String]
    public var ipAddresses: [String]

    public init(publicHosts: [String]) {
        let given = publicHosts.isEmpty ? ["localhost"] : publicHosts
        var hostnames: [String] = []
        var ipAddresses: [String] = []
        for host in given {
            if let bytes = IPAddress.parse(host) {
                if !ipAddresses.contains(host) { ipAddresses.append(host) }
                if bytes.count == 4, !hostnames.contains(host) { hostnames.append(host) }
            } else if !hostnames.contains(where: { $0.lowercased() == host.lowercased() }) {
                hostnames.append(host)
            }
        }
        if !hostnames.contains(where: { $0.lowercased() == "localhost" }) { hostnames.append("localhost") }
        for loopback in ["127.0.0.1", "::1"] where !ipAddresses.contains(loopback) { ipAddresses.append(loopback) }
        self.hostnames = hostnames
        self.ipAddresses = ipAddresses
    }
}
