"""A target that stamps each request with the time the kernel received its bytes (SO_TIMESTAMPNS).

A stamp taken in user space also holds however long the server's own thread waited for a core, which
on a machine the generator shares is as large as the gaps being measured. The kernel's receive time
does not: on loopback it is the moment the generator's write reached the socket.

Prints its port, then answers one JSON line per command line on stdin: "arrivals" (the stamps since
the last reset, epoch milliseconds) or "reset". Answers every request 200 over keep-alive; requests
must be bodiless (GET), which is all the timing benchmarks send. Requests read together share the
first one's stamp, so it suits sparse schedules (TSUNAMI's gaps), not high rates.
"""

import json
import selectors
import socket
import struct
import sys

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("qq")
PONG = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{"message":"pong"}'


def kernel_stamp_ms(ancillary):
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanos = TIMESPEC.unpack(payload[: TIMESPEC.size])
            return seconds * 1e3 + nanos / 1e6
    raise RuntimeError("the kernel gave no receive timestamp")


def main():
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    # Set on the listener too: bytes a client sends before accept() returns (vegeta sends at once)
    # are stamped only if timestamping was on when they arrived; accepted sockets inherit it.
    listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin, selectors.EVENT_READ)
    pending = {}
    arrivals = []
    print(listener.getsockname()[1], flush=True)
    while True:
        for key, _ in selector.select():
            source = key.fileobj
            if source is listener:
                connection, _ = listener.accept()
                connection.setblocking(False)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                selector.register(connection, selectors.EVENT_READ)
                pending[connection] = b""
            elif source is sys.stdin:
                command = sys.stdin.readline().strip()
                if command == "":
                    return
                if command == "arrivals":
                    print(json.dumps(arrivals), flush=True)
                else:
                    arrivals = []
                    print("null", flush=True)
            else:
                serve(source, selector, pending, arrivals)


def serve(connection, selector, pending, arrivals):
    try:
        data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(TIMESPEC.size))
    except ConnectionError:
        data = b""
    if not data:
        selector.unregister(connection)
        del pending[connection]
        connection.close()
        return
    stamp = kernel_stamp_ms(ancillary)
    buffered = pending[connection] + data
    answered = 0
    while b"\r\n\r\n" in buffered:
        _, buffered = buffered.split(b"\r\n\r\n", 1)
        arrivals.append(stamp)
        answered += 1
    pending[connection] = buffered
    if answered:
        connection.sendall(PONG * answered)


if __name__ == "__main__":
    main()
