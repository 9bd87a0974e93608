import MQTTServer
import NIOCore
import NIOSSL

/// What a connection's transport proves: the client certificate of a TLS connection, if any.
enum TransportIdentityResolver {
    @Sendable static func resolve(_ channel: any Channel) -> EventLoopFuture<TransportIdentity> {
        channel.pipeline.handler(type: NIOSSLServerHandler.self).flatMap { _ in
            channel.nioSSL_peerCertificate().flatMapThrowing { certificate in
                guard let certificate else { return .none }
                return .clientCertificate(try certificate.toDERBytes())
            }
        }.recover { _ in .none }
    }
}
