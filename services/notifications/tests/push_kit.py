"""A local fake push service and a fake browser subscription, for the Web Push tests.

The fake receives the real request pywebpush sends (RFC 8030), and the test decrypts its body with
the browser's private key (RFC 8291) and checks the VAPID JWT's signature (RFC 8292).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakePushService:
    """`POST /push/<token>` on 127.0.0.1; answers 201, or the status configured for a path."""

    received: list[PushRequest] = field(default_factory=list)
    status_for: dict[str, int] = field(default_factory=dict)
    port: int = 0
    _server: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakePushService:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with fake._lock:
                    fake.received.append(PushRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = fake.status_for.get(self.path, 201)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def to(self, path: str) -> list[PushRequest]:
        with self._lock:
            return [r for r in self.received if r.path == path]


@dataclass
class Browser:
    """A browser's push subscription: its endpoint, its P-256 key pair and its auth secret."""

    endpoint: str
    path: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def at(cls, service: FakePushService) -> Browser:
        path = f"/push/{uuid.uuid4().hex}"
        return cls(
            f"http://127.0.0.1:{service.port}{path}", path, ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        )

    def subscription(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in a browser."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64(point), "auth": b64(self.auth)},
        }

    def decrypt(self, request: PushRequest) -> dict[str, Any]:
        assert request.headers["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(request.body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        payload: dict[str, Any] = json.loads(plain)
        return payload


def vapid_claims(request: PushRequest, public_key_b64: str) -> dict[str, Any]:
    """The VAPID JWT's claims, after checking that it is signed (ES256) by the key `public_key_b64`."""
    scheme, _, params = request.headers["authorization"].partition(" ")
    assert scheme == "vapid", request.headers["authorization"]
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == public_key_b64
    head, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key_b64))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("the VAPID JWT is not signed with our key") from None
    assert json.loads(unb64(head)) == {"typ": "JWT", "alg": "ES256"}
    decoded: dict[str, Any] = json.loads(unb64(claims))
    return decoded
