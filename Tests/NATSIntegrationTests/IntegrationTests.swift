import Testing

/// Every suite against a real `nats-server` nests here, so they run one at a time (each starts its own server on
/// its own port, but the machine is small and the reconnect tests stop and freeze servers).
@Suite(.serialized) enum IntegrationTests {}
