import BrokerCore
import MQTTCore
import MQTTServer
import NIOCore

/// In a cluster: authenticates as `inner` does, then, for an accepted CleanSession 0 client, brings its session
/// from the node that holds it (`ClusterSessions.bringSession`) before the CONNECT is taken, so that the CONNACK
/// says the session is present and what it held is resent.
struct ClusterSessionAuthenticator: MQTTAuthenticator {
    let inner: any MQTTAuthenticator
    let sessions: ClusterSessions

    func authenticate(_ context: MQTTConnectContext, eventLoop: any EventLoop) -> MQTTAuthOutcome {
        let outcome = inner.authenticate(context, eventLoop: eventLoop)
        let connect = context.connect
        guard !connect.cleanSession, !connect.clientId.isEmpty else { return outcome }
        let sessions = self.sessions
        let bring: @Sendable (MQTTAuthDecision) -> EventLoopFuture<MQTTAuthDecision> = { decision in
            guard case .accept(let identity) = decision else { return eventLoop.makeSucceededFuture(decision) }
            let promise = eventLoop.makePromise(of: MQTTAuthDecision.self)
            promise.completeWithTask {
                await sessions.bringSession(clientId: connect.clientId, identity: identity)
                return decision
            }
            return promise.futureResult
        }
        switch outcome {
        case .decided(let decision): return .deferred(bring(decision))
        case .deferred(let future): return .deferred(future.flatMap(bring))
        }
    }

    func connectionClosed(_ identity: ClientIdentity, clientId: String, eventLoop: any EventLoop) {
        inner.connectionClosed(identity, clientId: clientId, eventLoop: eventLoop)
    }
}
