"""A local Sentry: a real HTTP server on 127.0.0.1 that receives envelopes the
way Sentry's ingestion does (``POST /api/<project>/envelope/``, body gzip- or
brotli-compressed per ``Content-Encoding``) and keeps them for the tests.
Envelopes are parsed with the SDK's own :class:`sentry_sdk.envelope.Envelope`."""
from __future__ import annotations

import gzip
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sentry_sdk.envelope import Envelope

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"
PROJECT = "42"
_ENVELOPE_PATH = re.compile(r"^/api/(\d+)/envelope/$")


class SentrySink:
    def __init__(self) -> None:
        self.raw: list[bytes] = []  # decompressed bodies, as sent
        self.envelopes: list[Envelope] = []
        self.refused: list[str] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                match = _ENVELOPE_PATH.match(self.path.split("?", 1)[0])
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("X-Sentry-Auth", "")
                if not match or match.group(1) != PROJECT or f"sentry_key={PUBLIC_KEY}" not in auth:
                    sink.refused.append(self.path)
                    self.send_response(403)
                    self.end_headers()
                    return
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                sink.raw.append(body)
                sink.envelopes.append(Envelope.deserialize(body))
                payload = json.dumps({"id": "0" * 32}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@127.0.0.1:{self.server.server_address[1]}/{PROJECT}"

    def events(self) -> list[dict]:
        """The error events received (not sessions or transactions), in order."""
        return [item.payload.json for envelope in self.envelopes for item in envelope.items
                if item.type == "event"]

    def __enter__(self) -> "SentrySink":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
