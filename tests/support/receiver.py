#!/usr/bin/env python3
"""A loopback HTTP receiver for webhook tests (Python 3 standard library only).

Listens on 127.0.0.1 (a free port unless --port is given), prints
"PORT <n>" as its first stdout line, then answers every request according to
--mode. Each request is appended to --log as one JSON line
{"t", "method", "path", "headers" (lowercased names), "body"} and flushed
before the answer, so a test can count deliveries even for `hang`/`close`.
Exits by itself after --max-seconds so a crashed test cannot leave it behind.

Modes:
  ok            200
  fail          500
  fail-then-ok  500 for the first --fail-times requests, then 200
  hang          never answers (sleeps until the receiver exits)
  close         closes the connection without answering
  reset         resets the connection (TCP RST) without answering
  gone          410
  throttle      --status (default 429) with "Retry-After: --retry-after" for the
                first --fail-times requests, then 200
  redirect      302 with "Location: --redirect-to"
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ["ok", "fail", "fail-then-ok", "hang", "close", "reset", "gone",
         "throttle", "redirect"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=MODES, default="ok")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--delay-ms", type=int, default=0,
                   help="wait this long before answering each request")
    p.add_argument("--fail-times", type=int, default=1,
                   help="failing answers before 200 (fail-then-ok, throttle)")
    p.add_argument("--retry-after", default="1",
                   help="Retry-After value for throttle: seconds or an HTTP-date")
    p.add_argument("--status", type=int, default=429, help="status for throttle")
    p.add_argument("--redirect-to", default="http://127.0.0.1:9/elsewhere")
    p.add_argument("--body-bytes", type=int, default=-1,
                   help="answer with this many bytes of body instead of a short text")
    p.add_argument("--log", help="append one JSON line per request to this file")
    p.add_argument("--max-seconds", type=float, default=300)
    return p.parse_args()


class State:
    """What all handler threads share: the request counter and the log."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = 0
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def record(self, entry):
        """Logs one request and returns its 1-based sequence number."""
        with self.lock:
            self.count += 1
            if self.log:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()
            return self.count


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    state: State = None

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def do_POST(self):
        self.handle_any()

    def do_GET(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        seq = self.state.record({
            "t": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", errors="replace"),
        })
        args = self.state.args
        if args.delay_ms > 0:
            time.sleep(args.delay_ms / 1000.0)
        self.answer(args.mode, seq, args)

    def answer(self, mode, seq, args):
        if mode == "hang":
            time.sleep(args.max_seconds + 60)  # outlives the process; it exits first
        elif mode == "close":
            self.close_connection = True
        elif mode == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            # Close the descriptor now: the usual shutdown(SHUT_WR) would send
            # an orderly FIN first, which the client sees as a plain close.
            os.close(self.connection.detach())
            self.close_connection = True
        elif mode == "fail":
            self.reply(500)
        elif mode == "fail-then-ok":
            self.reply(500 if seq <= args.fail_times else 200)
        elif mode == "gone":
            self.reply(410)
        elif mode == "throttle" and seq <= args.fail_times:
            self.reply(args.status, {"Retry-After": args.retry_after})
        elif mode == "redirect":
            self.reply(302, {"Location": args.redirect_to})
        else:
            self.reply(200)

    def reply(self, status, extra_headers=None):
        args = self.state.args
        if args.body_bytes >= 0:
            payload = b"x" * args.body_bytes
        else:
            payload = ("%d from receiver\n" % status).encode()
        self.send_response(status)
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (e.g. past its 64 KiB cap)


class Server(ThreadingHTTPServer):
    daemon_threads = True       # hanging handlers must not keep the process alive
    request_queue_size = 256    # bursts of parallel connects must not hit SYN drops
    allow_reuse_address = True


def main():
    args = parse_args()
    Handler.state = State(args)
    server = Server(("127.0.0.1", args.port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
