#!/usr/bin/env python3
"""Interoperability of the hub's MQTT broker with Eclipse paho-mqtt (2.2.0), MQTT 3.1.1 and 3.1.

Run by Tests/IntegrationTests/MQTTInteropTests.swift against a hub started in-process. The device's
credentials come from real dynamic registration (done by the Swift test over HTTP); the MQTT username and
password are built here, the way Tencent's Python SDK builds them (expiry in milliseconds, HMAC-SHA1 or
-SHA256 of the username keyed by the Base64-decoded PSK), so the hub's verification is checked against an
independent implementation.

Environment:
  HUB_MQTT_PORT                 port of the plain MQTT listener on 127.0.0.1
  HUB_PRODUCT_ID, HUB_DEVICE_NAME, HUB_DEVICE_PSK   a registered key device
  HUB_APP_ID, HUB_APP_SECRET    a business application scoped to the device's product

Prints one line per check and `N passed, M failed`; exits non-zero on failure.
"""

import base64
import hashlib
import hmac
import os
import random
import socket
import string
import sys
import threading
import time
import traceback

import paho.mqtt.client as mqtt

HOST = "127.0.0.1"
PORT = int(os.environ["HUB_MQTT_PORT"])
PRODUCT_ID = os.environ["HUB_PRODUCT_ID"]
DEVICE_NAME = os.environ["HUB_DEVICE_NAME"]
DEVICE_PSK = os.environ["HUB_DEVICE_PSK"]
APP_ID = os.environ["HUB_APP_ID"]
APP_SECRET = os.environ["HUB_APP_SECRET"]
TIMEOUT = 10.0

VERSIONS = [("3.1.1", mqtt.MQTTv311), ("3.1", mqtt.MQTTv31)]


def device_credentials(method="hmacsha1"):
    """Username and password exactly as Tencent's Python SDK builds them (device-protocol.md §5.1)."""
    client_id = PRODUCT_ID + DEVICE_NAME
    connid = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(5))
    expiry = int(time.time() * 1000) + 600 * 1000
    username = "%s;21010406;%s;%d" % (client_id, connid, expiry)
    digest = hashlib.sha1 if method == "hmacsha1" else hashlib.sha256
    signature = hmac.new(base64.b64decode(DEVICE_PSK), username.encode(), digest).hexdigest()
    return client_id, username, "%s;%s" % (signature, method)


class Peer:
    """A paho client with a message inbox and blocking waits."""

    def __init__(self, client_id, protocol, username=None, password=None, clean_session=True, will=None):
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session, protocol=protocol,
            reconnect_on_failure=False,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if will is not None:
            self.client.will_set(*will)
        self.cond = threading.Condition()
        self.messages = []
        self.connack = None
        self.subacks = {}
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self.cond:
            self.connack = reason_code
            self.cond.notify_all()

    def _on_message(self, client, userdata, message):
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self.cond:
            self.subacks[mid] = [code.value for code in reason_codes]
            self.cond.notify_all()

    def wait(self, predicate, what):
        with self.cond:
            if not self.cond.wait_for(predicate, timeout=TIMEOUT):
                raise AssertionError("timed out waiting for %s" % what)

    def connect(self, keepalive=60):
        self.client.connect(HOST, PORT, keepalive)
        self.client.loop_start()
        self.wait(lambda: self.connack is not None, "CONNACK")
        if self.connack.value != 0:
            raise AssertionError("CONNACK %s" % self.connack)
        return self

    def subscribe(self, topic, qos, expect=None):
        result, mid = self.client.subscribe(topic, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS, result
        self.wait(lambda: mid in self.subacks, "SUBACK for %s" % topic)
        granted = self.subacks[mid]
        wanted = [qos if expect is None else expect]
        assert granted == wanted, "SUBACK for %s: %s, expected %s" % (topic, granted, wanted)

    def publish(self, topic, payload, qos=0, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), "publish to %s not acknowledged" % topic

    def wait_messages(self, count, what):
        self.wait(lambda: len(self.messages) >= count, "%d messages (%s)" % (count, what))
        return list(self.messages)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()

    def kill(self):
        """Drops the TCP connection without DISCONNECT."""
        self.client.loop_stop()
        sock = self.client.socket()
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def check_device_roundtrip(name, protocol):
    """The C sample's pattern: a device subscribes to its own data topic and gets its telemetry back; the
    ACL refuses another device's topic with 0x80."""
    client_id, username, password = device_credentials("hmacsha1" if protocol == mqtt.MQTTv31 else "hmacsha256")
    device = Peer(client_id, protocol, username, password).connect(keepalive=60)
    try:
        data = "%s/%s/data" % (PRODUCT_ID, DEVICE_NAME)
        device.subscribe(data, 1)
        device.subscribe("%s/someone-else/data" % PRODUCT_ID, 1, expect=128)
        for index in range(5):
            device.publish(data, '{"temp":%d}' % index, qos=1)
        device.publish(data, '{"qos":2}', qos=2)
        messages = device.wait_messages(6, "own telemetry")
        assert [m.payload.decode() for m in messages] == ['{"temp":%d}' % i for i in range(5)] + ['{"qos":2}'], messages
        assert [m.qos for m in messages] == [1] * 6, [m.qos for m in messages]
        assert not any(m.retain for m in messages)
    finally:
        device.close()


def check_application_receives_telemetry_and_commands_device(name, protocol):
    """A business application receives the device's events and commands it on its control topic."""
    app = Peer("app-%s-%d" % (name, random.randint(0, 1 << 30)), protocol, APP_ID, APP_SECRET).connect()
    client_id, username, password = device_credentials()
    device = Peer(client_id, protocol, username, password).connect()
    try:
        app.subscribe("%s/+/event" % PRODUCT_ID, 2)
        device.subscribe("%s/%s/control" % (PRODUCT_ID, DEVICE_NAME), 1)
        event = "%s/%s/event" % (PRODUCT_ID, DEVICE_NAME)
        for index in range(3):
            device.publish(event, "event-%d" % index, qos=1)
        device.publish(event, "event-qos2", qos=2)
        received = app.wait_messages(4, "device events")
        assert [(m.topic, m.payload.decode(), m.qos) for m in received] == [
            (event, "event-0", 1), (event, "event-1", 1), (event, "event-2", 1), (event, "event-qos2", 2)
        ], [(m.topic, m.payload, m.qos) for m in received]
        app.publish("%s/%s/control" % (PRODUCT_ID, DEVICE_NAME), '{"cmd":"reboot"}', qos=1)
        commands = device.wait_messages(1, "command")
        assert commands[0].payload == b'{"cmd":"reboot"}' and commands[0].qos == 1, commands[0]
    finally:
        device.close()
        app.close()


def check_anonymous_qos2_exactly_once(name, protocol):
    topic = "interop/paho/%s/qos2" % name
    subscriber = Peer("sub-%s" % name, protocol).connect()
    publisher = Peer("pub-%s" % name, protocol).connect()
    try:
        subscriber.subscribe(topic, 2)
        for index in range(20):
            publisher.publish(topic, "m%d" % index, qos=2)
        received = subscriber.wait_messages(20, "QoS 2 messages")
        time.sleep(0.2)  # a duplicate would arrive right behind
        assert [m.payload.decode() for m in subscriber.messages] == ["m%d" % i for i in range(20)], subscriber.messages
        assert all(m.qos == 2 for m in received)
    finally:
        publisher.close()
        subscriber.close()


def check_anonymous_retained(name, protocol):
    topic = "interop/paho/%s/retained" % name
    publisher = Peer("rpub-%s" % name, protocol).connect()
    try:
        publisher.publish(topic, "kept", qos=1, retain=True)
    finally:
        publisher.close()
    subscriber = Peer("rsub-%s" % name, protocol).connect()
    try:
        subscriber.subscribe(topic, 1)
        message = subscriber.wait_messages(1, "retained message")[0]
        assert (message.payload, message.retain, message.qos) == (b"kept", True, 1), (message.payload, message.retain, message.qos)
    finally:
        subscriber.close()


def check_anonymous_will(name, protocol):
    topic = "interop/paho/%s/will" % name
    watcher = Peer("watch-%s" % name, protocol).connect()
    dying = Peer("dying-%s" % name, protocol, will=(topic, "gone", 1, False)).connect()
    try:
        watcher.subscribe(topic, 1)
        dying.kill()
        message = watcher.wait_messages(1, "will")[0]
        assert (message.payload, message.qos) == (b"gone", 1), message
    finally:
        watcher.close()


CHECKS = [
    check_device_roundtrip,
    check_application_receives_telemetry_and_commands_device,
    check_anonymous_qos2_exactly_once,
    check_anonymous_retained,
    check_anonymous_will,
]


def main():
    passed = failed = 0
    for name, protocol in VERSIONS:
        for check in CHECKS:
            label = "%s [MQTT %s]" % (check.__name__, name)
            try:
                check(name, protocol)
            except Exception:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print("FAIL %s\n%s" % (label, traceback.format_exc()), flush=True)
            else:
                passed += 1
                print("ok   %s" % label, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
