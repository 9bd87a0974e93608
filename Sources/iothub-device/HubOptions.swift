import ArgumentParser
import DeviceAuth
import Foundation
import IoTHubDevice
import Logging

/// Registration endpoint choice on the command line.
enum EndpointChoice: String, ExpressibleByArgument, CaseIterable {
    case legacy, v2, v2sha1 = "v2-hmacsha1"

    var endpoint: RegistrationClient.Endpoint {
        switch self {
        case .legacy: .legacy
        case .v2: .v2(.hmacSHA256)
        case .v2sha1: .v2(.hmacSHA1)
        }
    }
}

/// Where the hub is and how to talk to it: shared by `run` and `fleet`.
struct HubOptions: ParsableArguments {
    @Option(name: .customLong("http"), help: "Hub device HTTP endpoint (dynamic registration).") var http = "http://127.0.0.1:8080"
    @Option(name: .customLong("mqtt"), help: "MQTT broker HOST:PORT (default 127.0.0.1:1883, or :8883 with --tls).") var mqtt: String?
    @Flag(help: "MQTT over TLS (certificate products always need it).") var tls = false
    @Option(help: "PEM of the hub CA that signed the broker's certificate (DATA/ca/ca.cert.pem).") var ca: String?
    @Option(name: .customLong("server-name"), help: "TLS name to check and send as SNI (default: the broker's IP address).")
    var serverName: String?
    @Option(help: "Registration endpoint: legacy (/register/dev), v2 (hmacsha256) or v2-hmacsha1.") var endpoint = EndpointChoice.v2

    /// `HOST:PORT`, `HOST` or `:PORT`.
    func mqttAddress() throws -> (host: String, port: Int) {
        let defaultPort = tls ? 8883 : 1883
        guard let mqtt, !mqtt.isEmpty else { return ("127.0.0.1", defaultPort) }
        guard let colon = mqtt.lastIndex(of: ":") else { return (mqtt, defaultPort) }
        let host = String(mqtt[..<colon])
        guard let port = Int(mqtt[mqtt.index(after: colon)...]), (1...65_535).contains(port) else {
            throw ValidationError("invalid --mqtt \(mqtt): expected HOST:PORT")
        }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    func registrationURL() throws -> URL {
        guard let url = URL(string: http), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("invalid --http URL \(http)")
        }
        return url
    }

    /// The SDK configuration these options describe.
    func deviceConfiguration(reconnect: ReconnectPolicy = ReconnectPolicy(), reregister: Bool = true) throws -> DeviceConfiguration {
        let (host, port) = try mqttAddress()
        var caPEM: String?
        if let ca {
            guard let data = FileManager.default.contents(atPath: ca) else { throw ValidationError("cannot read --ca \(ca)") }
            caPEM = String(decoding: data, as: UTF8.self)
        }
        return DeviceConfiguration(
            registrationURL: try registrationURL(),
            registrationEndpoint: endpoint.endpoint,
            mqttHost: host,
            mqttPort: port,
            useTLS: tls,
            trustedCAPEM: caPEM,
            tlsServerName: serverName,
            reconnect: reconnect,
            reregisterOnRejectedCredential: reregister
        )
    }
}

/// Writes a line to standard output at once (print buffers when stdout is a pipe).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The SDK's log messages go to standard error (standard output is the simulator's report).
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
