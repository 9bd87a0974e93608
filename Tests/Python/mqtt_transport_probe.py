#!/usr/bin/env python3
"""Client side of Tests/IntegrationTests/MQTTTransportTests.swift: talks to the hub's MQTT listeners the
way devices do and prints ONE line of JSON with what happened, for the Swift test to assert on.

  connect    raw MQTT 3.1.1 CONNECT (flags exactly as given: no password = 0x82) over TLS
             (Python ssl, optional client certificate), or over TLS-PSK through `openssl s_client`
             (Python 3.11's ssl module has no PSK); prints {"result": "connack", "code": N},
             {"result": "tls_error", ...} or {"result": "closed", ...}
  session    paho-mqtt (3.1.1) over TLS with a client certificate, or over WebSocket: connects,
             subscribes to {pid}/{dn}/data, publishes to it with QoS 1 and waits for the message;
             prints {"result": "ok", ...} or {"result": "failed", ...}
"""

import argparse
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import time


def encode_string(text):
    data = text.encode("utf-8")
    return len(data).to_bytes(2, "big") + data


def encode_remaining_length(length):
    out = bytearray()
    while True:
        byte = length % 128
        length //= 128
        if length:
            byte |= 0x80
        out.append(byte)
        if not length:
            return bytes(out)


def connect_packet(client_id, username, password, keep_alive=240):
    flags = 0x02  # clean session
    payload = encode_string(client_id)
    if username is not None:
        flags |= 0x80
        payload += encode_string(username)
    if password is not None:
        flags |= 0x40
        payload += encode_string(password)
    variable = encode_string("MQTT") + bytes([4, flags]) + keep_alive.to_bytes(2, "big")
    body = variable + payload
    return bytes([0x10]) + encode_remaining_length(len(body)) + body


def read_connack(read, deadline):
    """Reads until a CONNACK (20 02 xx rc) is complete; returns the code or None at EOF."""
    data = b""
    while time.monotonic() < deadline:
        chunk = read()
        if chunk is None:
            continue
        if not chunk:
            break
        data += chunk
        if len(data) >= 4:
            break
    if len(data) >= 4 and data[0] == 0x20 and data[1] == 0x02:
        return data[3], data
    return None, data


def connect_tls(args, packet):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=args.cafile)
    if args.cert:
        context.load_cert_chain(certfile=args.cert, keyfile=args.key)
    if args.tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    raw = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    try:
        sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
    except (ssl.SSLError, OSError) as error:
        return {"result": "tls_error", "stage": "handshake", "error": str(error)}
    try:
        version = sock.version()
        sock.sendall(packet)
        deadline = time.monotonic() + args.timeout
        code, data = read_connack(lambda: sock.recv(16), deadline)
    except (ssl.SSLError, OSError) as error:
        # TLS 1.3: the server judges the client certificate after the client finished its handshake,
        # so a refused certificate shows up as an alert on the first read.
        return {"result": "tls_error", "stage": "after_handshake", "error": str(error)}
    finally:
        raw.close()
    if code is None:
        return {"result": "closed", "received": data.hex(), "tls_version": version}
    return {"result": "connack", "code": code, "tls_version": version}


def start_fragmenting_relay(port):
    """A one-connection TCP relay to 127.0.0.1:port that forwards the client's first bytes (the
    ClientHello) one byte per TCP segment; returns the relay's port."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def pump(source, target, fragment):
        sent = 0
        try:
            while True:
                data = source.recv(4096)
                if not data:
                    break
                if fragment and sent < 512:
                    for index in range(len(data)):
                        target.sendall(data[index:index + 1])
                        time.sleep(0.001)
                else:
                    target.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            try:
                target.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def serve():
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", port))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def connect_psk(args, packet):
    port = start_fragmenting_relay(args.port) if args.fragment else args.port
    command = [
        args.openssl, "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
        "-psk_identity", args.psk_identity, "-psk", args.psk_hex, "-cipher", args.cipher,
        "-servername", args.servername, "-quiet",
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # stdin stays open (s_client would end the session at its end) until the CONNACK arrived.
    process.stdin.write(packet)
    process.stdin.flush()
    deadline = time.monotonic() + args.timeout

    def read():
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if not ready:
            return None
        return os.read(process.stdout.fileno(), 4096)

    code, data = read_connack(read, deadline)
    process.kill()
    _, stderr = process.communicate()
    stderr = stderr.decode("utf-8", "replace")
    if code is None:
        return {"result": "tls_error" if "alert" in stderr or "error" in stderr.lower() else "closed",
                "received": data.hex(), "stderr": stderr[-2000:], "command": " ".join(command)}
    return {"result": "connack", "code": code, "stderr": stderr[-2000:]}


def session(args):
    import paho.mqtt.client as mqtt

    transport = "websockets" if args.websocket else "tcp"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=args.client_id, protocol=mqtt.MQTTv311,
                         transport=transport)
    if args.websocket:
        client.ws_set_options(path=args.path)
    if args.cafile:
        client.tls_set(ca_certs=args.cafile, certfile=args.cert, keyfile=args.key)
    client.username_pw_set(args.username, args.password)
    topic = "%s/data" % args.client_id_topic
    events = {"connack": None, "suback": False, "message": None, "puback": False}

    def on_connect(client, userdata, flags, reason_code, properties):
        events["connack"] = reason_code.value if hasattr(reason_code, "value") else int(reason_code)
        if events["connack"] == 0:
            client.subscribe(topic, qos=1)

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        events["suback"] = [rc.value if hasattr(rc, "value") else int(rc) for rc in reason_codes]
        client.publish(topic, args.message, qos=1)

    def on_publish(client, userdata, mid, reason_code, properties):
        events["puback"] = True

    def on_message(client, userdata, message):
        events["message"] = message.payload.decode("utf-8", "replace")

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_publish = on_publish
    client.on_message = on_message
    try:
        client.connect("127.0.0.1", args.port, keepalive=60)
    except Exception as error:  # noqa: BLE001 - reported to the test
        return {"result": "failed", "stage": "connect", "error": repr(error)}
    client.loop_start()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and events["message"] is None and events["connack"] in (None, 0):
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    ok = events["connack"] == 0 and events["message"] == args.message and events["puback"]
    return dict(result="ok" if ok else "failed", **events)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)

    connect = sub.add_parser("connect")
    connect.add_argument("--port", type=int, required=True)
    connect.add_argument("--client-id", required=True)
    connect.add_argument("--username")
    connect.add_argument("--password")
    connect.add_argument("--cafile")
    connect.add_argument("--cert")
    connect.add_argument("--key")
    connect.add_argument("--tls12", action="store_true")
    connect.add_argument("--psk-identity")
    connect.add_argument("--psk-hex")
    connect.add_argument("--cipher", default="PSK-AES128-CBC-SHA")
    connect.add_argument("--servername", default="localhost")
    connect.add_argument("--openssl", default="openssl")
    connect.add_argument("--fragment", action="store_true", help="TLS-PSK: deliver the ClientHello byte by byte")
    connect.add_argument("--timeout", type=float, default=10)

    sess = sub.add_parser("session")
    sess.add_argument("--port", type=int, required=True)
    sess.add_argument("--client-id", required=True)
    sess.add_argument("--client-id-topic", required=True, help="{pid}/{dn}")
    sess.add_argument("--username", required=True)
    sess.add_argument("--password")
    sess.add_argument("--cafile")
    sess.add_argument("--cert")
    sess.add_argument("--key")
    sess.add_argument("--websocket", action="store_true")
    sess.add_argument("--path", default="/mqtt")
    sess.add_argument("--message", default="hello")
    sess.add_argument("--timeout", type=float, default=15)

    args = parser.parse_args()
    if args.command == "connect":
        packet = connect_packet(args.client_id, args.username, args.password)
        result = connect_psk(args, packet) if args.psk_identity else connect_tls(args, packet)
    else:
        result = session(args)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
