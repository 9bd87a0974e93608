/// The management API's way into the MQTT broker (implemented by the hub over the broker engine).
public protocol DeviceMessaging: Sendable {
    /// Whether the client id has a live MQTT connection.
    func isOnline(clientId: String) -> Bool
    /// Whether the client id holds a subscription matching the topic.
    func isSubscribed(clientId: String, topic: String) -> Bool
    /// Publishes a message as the hub.
    func publish(topic: String, payload: [UInt8], qos: Int)
    /// Client ids of the online devices of a product.
    func onlineDevices(productId: String) -> [String]
    /// Sends an RRPC request and waits for the device's reply; returns the message id and the reply (nil
    /// after the timeout).
    func rrpc(productId: String, deviceName: String, payload: [UInt8], timeout: Duration) async -> (messageId: Int64, reply: [UInt8]?)
}
