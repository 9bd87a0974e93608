import ServiceLifecycle

extension NATSConnection: Service {
    /// Connects (if not yet connected) and runs until the connection closes, so the connection can be one of a
    /// `ServiceGroup`'s services. Graceful shutdown drains the connection; task cancellation closes it.
    ///
    /// - Throws: the connect error, or ``NATSClientError/Code/reconnectFailed`` if the connection was lost for
    ///   good, so that the service group notices.
    public func run() async throws {
        if case .idle = self.stateMachine.state {
            try await self.connect()
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await self.waitUntilClosed()
            } onCancel: {
                Task { await self.close() }
            }
        } onGracefulShutdown: {
            Task { try? await self.drain() }
        }
        if let error = self.finalError {
            throw error
        }
    }
}
