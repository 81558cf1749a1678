"""A webhook receiver for the tests: http.server on 127.0.0.1 (port 0) in a thread, keeping what it was sent."""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    received: list = field(default_factory=list)
    #: Statuses to answer, in turn; 200 once they are used up.
    statuses: list = field(default_factory=list)

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


def start_receiver():
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.received.append(Received(self.path, dict(self.headers), body))
            status = receiver.answer()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"answer %d " % status + b"x" * 5000)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return receiver, server


@pytest.fixture
def receiver(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_TIMEOUT", 3)
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def second_receiver(app):
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def documented_verify(clock):
    """The receiver's `verify` exactly as docs/api.md shows it, its time.time() read from the test clock."""
    text = DOCS.read_text()
    code = re.search(r"<!-- webhook-receiver -->\s*```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102  (our own documentation)

    class TestTime:
        @staticmethod
        def time():
            return clock.now().timestamp()

    namespace["time"] = TestTime
    return namespace["verify"]
