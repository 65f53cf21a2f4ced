"""A small IMAP client for polling: connect (TLS, STARTTLS or plain), list new UIDs, fetch, mark or move.

Every failure is an `ImapFailure` naming the step (connect, tls, login, select, fetch, mark), a
machine-readable code and a reason a person can act on; the password never appears in one. TLS always
verifies the server's certificate and host name, against the system's trust store plus an optional CA
bundle (`MAIL_GATEWAY_IMAP_CA_FILE`, decision 0157).
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import re
import socket
import ssl
import time
from dataclasses import dataclass, field

STEP_CONNECT, STEP_TLS, STEP_LOGIN, STEP_SELECT, STEP_FETCH, STEP_MARK = (
    "connect",
    "tls",
    "login",
    "select",
    "fetch",
    "mark",
)


# finer codes than the step for certificate failures (ConnectionCheck.code, decision 0157)
CODE_CERT_UNTRUSTED = "tls_certificate_untrusted"
CODE_HOSTNAME_MISMATCH = "tls_hostname_mismatch"
CODE_CERT_EXPIRED = "tls_certificate_expired"
CODE_CERT_INVALID = "tls_certificate_invalid"
# OpenSSL X509_V_ERR_* numbers (ssl.SSLCertVerificationError.verify_code)
_VERIFY_CODES = {
    2: CODE_CERT_UNTRUSTED,  # unable to get issuer certificate
    9: CODE_CERT_EXPIRED,  # not yet valid: the same remedy (the server's certificate or clock)
    10: CODE_CERT_EXPIRED,
    18: CODE_CERT_UNTRUSTED,  # self-signed certificate
    19: CODE_CERT_UNTRUSTED,  # self-signed certificate in the chain
    20: CODE_CERT_UNTRUSTED,  # unable to get local issuer certificate
    21: CODE_CERT_UNTRUSTED,  # unable to verify the first certificate
    62: CODE_HOSTNAME_MISMATCH,
    64: CODE_HOSTNAME_MISMATCH,  # IP address mismatch
}
_ADVICE = {
    CODE_CERT_UNTRUSTED: "its issuer is not trusted here (a private CA belongs in MAIL_GATEWAY_IMAP_CA_FILE)",
    CODE_HOSTNAME_MISMATCH: "the certificate is for another host name (use the name the certificate shows)",
    CODE_CERT_EXPIRED: "the certificate has expired or is not valid yet",
    CODE_CERT_INVALID: "the certificate cannot be verified",
}


class ImapFailure(Exception):
    """One step of talking to the IMAP server failed; `code` is the step unless a finer cause is known."""

    def __init__(self, step: str, reason: str, code: str | None = None) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason
        self.code = code or step


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int | None
    security: str  # ssl, starttls, none
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    move_to: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None  # PEM CA bundle trusted besides the system's (MAIL_GATEWAY_IMAP_CA_FILE)
    # set: sign in with SASL XOAUTH2 and this OAuth2 access token instead of the password (decision 0225)
    access_token: str | None = field(default=None, repr=False)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)


@functools.cache
def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificate and host-name verification on, the system's trust store plus `ca_file` (read once)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


@dataclass
class ImapSession:
    """A logged-in connection with the folder selected."""

    conn: imaplib.IMAP4
    config: ImapConfig
    uidvalidity: int | None
    exists: int
    capabilities: frozenset[str] = frozenset()

    def new_uids(self, after_uid: int) -> list[int]:
        """UIDs above `after_uid`, ascending (UID SEARCH `n:*` always returns the last one: filter)."""
        typ, data = self.conn.uid("SEARCH", f"UID {after_uid + 1}:*")
        if typ != "OK":
            raise ImapFailure(STEP_FETCH, f"UID SEARCH refused: {_text(data)}")
        uids = [int(u) for u in b" ".join(d for d in data if d).split()]
        return sorted(u for u in uids if u > after_uid)

    def fetch(self, uid: int) -> bytes | None:
        """The raw message, without setting \\Seen (PEEK); None if it vanished meanwhile."""
        typ, data = self.conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            raise ImapFailure(STEP_FETCH, f"UID FETCH {uid} refused: {_text(data)}")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                return bytes(part[1])
        return None

    def mark_done(self, uid: int) -> None:
        """Move the mail to `move_to` when set, else flag it \\Seen: called only after it is stored."""
        target = self.config.move_to
        if not target:
            self._ok(self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), f"flag {uid} seen")
            return
        if "MOVE" in self.capabilities:
            self._ok(self.conn.uid("MOVE", str(uid), _quote(target)), f"move {uid} to {target}")
            return
        self._ok(self.conn.uid("COPY", str(uid), _quote(target)), f"copy {uid} to {target}")
        self._ok(self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), f"delete {uid}")
        self._ok(self.conn.expunge(), "expunge")

    def close(self) -> None:
        # the server may already have hung up; nothing of ours is pending
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.conn.logout()

    @staticmethod
    def _ok(result: tuple[str, list[object]], what: str) -> None:
        typ, data = result
        if typ != "OK":
            raise ImapFailure(STEP_MARK, f"{what} refused: {_text(data)}")


def open_session(config: ImapConfig) -> ImapSession:
    """Connect, secure, log in and select the folder; raises ImapFailure at the step that failed."""
    conn = _connect(config)
    try:
        if config.security == "starttls":
            try:
                conn.starttls(ssl_context=tls_context(config.ca_file))
            except ssl.SSLCertVerificationError as exc:
                raise _certificate_failure("STARTTLS failed", exc) from None
            except (imaplib.IMAP4.error, ssl.SSLError, OSError) as exc:
                raise ImapFailure(STEP_TLS, f"STARTTLS failed: {exc}") from None
        _login(conn, config)
        typ, data = conn.select(_quote(config.folder))
        if typ != "OK":
            raise ImapFailure(STEP_SELECT, f"folder {config.folder!r} cannot be opened: {_text(data)}")
        exists = int(data[0] or 0) if data and data[0] else 0
        return ImapSession(
            conn=conn, config=config, uidvalidity=_uidvalidity(conn), exists=exists, capabilities=_capabilities(conn)
        )
    except BaseException:
        with contextlib.suppress(OSError):
            conn.shutdown()
        raise


def _login(conn: imaplib.IMAP4, config: ImapConfig) -> None:
    """LOGIN with the password, or AUTHENTICATE XOAUTH2 with the OAuth2 access token."""
    token = config.access_token
    if token is None:
        try:
            conn.login(config.user, config.password)
        except imaplib.IMAP4.error as exc:
            raise ImapFailure(STEP_LOGIN, f"the server refused the user name or password ({_clean(exc)})") from None
        return
    response = f"user={config.user}\x01auth=Bearer {token}\x01\x01".encode()
    try:
        conn.authenticate("XOAUTH2", lambda _challenge: response)
    except imaplib.IMAP4.error as exc:
        # the token itself never goes into the reason: imaplib's error holds only the server's words
        raise ImapFailure(
            STEP_LOGIN, f"the server refused the OAuth2 access token for {config.user!r} ({_clean(exc)})"
        ) from None


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    host, port = config.host, config.effective_port
    try:
        if config.security == "ssl":
            context = tls_context(config.ca_file)
            return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=config.timeout)
        return imaplib.IMAP4(host, port, timeout=config.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise _certificate_failure(f"TLS handshake with {host}:{port} failed", exc) from None
    except ssl.SSLError as exc:
        raise ImapFailure(STEP_TLS, f"TLS handshake with {host}:{port} failed: {exc.reason or exc}") from None
    except socket.gaierror:
        raise ImapFailure(STEP_CONNECT, f"the host name {host!r} does not resolve") from None
    except ConnectionRefusedError:
        raise ImapFailure(STEP_CONNECT, f"{host}:{port} refused the connection (nothing listens there)") from None
    except TimeoutError:
        raise ImapFailure(STEP_CONNECT, f"{host}:{port} did not answer within {config.timeout:g} s") from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapFailure(STEP_CONNECT, f"cannot talk IMAP to {host}:{port}: {_clean(exc)}") from None


def _certificate_failure(what: str, exc: ssl.SSLCertVerificationError) -> ImapFailure:
    """The server's certificate was refused: which cause (code), OpenSSL's words, and what to do."""
    code = _VERIFY_CODES.get(exc.verify_code or 0, CODE_CERT_INVALID)
    detail = exc.verify_message or exc.reason or str(exc)
    reason = f"{what}: {exc.reason or 'CERTIFICATE_VERIFY_FAILED'} ({detail}): {_ADVICE[code]}"
    return ImapFailure(STEP_TLS, reason, code=code)


def _uidvalidity(conn: imaplib.IMAP4) -> int | None:
    _, data = conn.response("UIDVALIDITY")
    value = data[0] if data else None
    return int(value) if value else None


def _capabilities(conn: imaplib.IMAP4) -> frozenset[str]:
    """Capabilities after login (servers announce more, e.g. MOVE, once authenticated)."""
    typ, data = conn.capability()
    return frozenset(_text(data).upper().split()) if typ == "OK" else frozenset(conn.capabilities)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: object) -> str:
    if isinstance(data, list):
        return " ".join(_text(d) for d in data if d)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _clean(exc: BaseException) -> str:
    return re.sub(r"^b'|'$", "", str(exc)).strip() or type(exc).__name__


STEP_IDLE = "idle"


class IdleChannel:
    """IMAP IDLE (RFC 2177) on a logged-in, selected session, used only to hear about new mail.

    Mail is fetched over a second connection (`poll_mailbox`), so this one never leaves IDLE except to
    refresh it (`done` then `start`, at least every 29 minutes: servers may drop an IDLE older than 30).
    Responses are read straight from the socket with a time-out (imaplib's buffered reader cannot take a
    time-out and carry on); under eventlet the socket is green, so waiting blocks only this greenthread.
    """

    def __init__(self, session: ImapSession) -> None:
        if "IDLE" not in session.capabilities:
            raise ImapFailure(STEP_IDLE, "the server does not offer IDLE")
        self.session = session
        self._buffer = b""
        self._tag: bytes | None = None
        self._done_sent = False

    @property
    def idling(self) -> bool:
        return self._tag is not None

    def start(self, timeout: float) -> bool:
        """Send IDLE and wait for the server's go-ahead; True if new mail was announced meanwhile."""
        conn = self.session.conn
        tag = conn._new_tag()  # imaplib's own tag counter, so tags never repeat on this connection
        self._send(tag + b" IDLE\r\n")
        self._tag, self._done_sent = tag, False
        news = False
        deadline = _now() + timeout
        while True:
            line = self._line(max(0.0, deadline - _now()))
            if line is None:
                raise ImapFailure(STEP_IDLE, f"no answer to IDLE within {timeout:g} s")
            if line.startswith(b"+"):
                return news
            if line.startswith(tag + b" "):
                self._tag = None
                raise ImapFailure(STEP_IDLE, f"IDLE refused: {_text(line)}")
            news = news or _announces_mail(line)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds while idling; True as soon as the server announces new mail."""
        deadline = _now() + timeout
        while True:
            line = self._line(max(0.0, deadline - _now()))
            if line is None:
                return False
            if line.startswith(b"* BYE"):
                raise ImapFailure(STEP_IDLE, f"the server ended the connection: {_text(line)}")
            if _announces_mail(line):
                return True

    def done(self, timeout: float) -> bool:
        """Leave IDLE (DONE) and wait for its tagged OK: proves the connection is alive; True if mail came."""
        tag = self._tag
        if tag is None:
            return False
        if not self._done_sent:
            self._done_sent = True
            self._send(b"DONE\r\n")
        news = False
        deadline = _now() + timeout
        while True:
            line = self._line(max(0.0, deadline - _now()))
            if line is None:
                raise ImapFailure(STEP_IDLE, f"no answer to DONE within {timeout:g} s: the connection is dead")
            if line.startswith(tag + b" "):
                self._tag = None
                if not line[len(tag) + 1 :].upper().startswith(b"OK"):
                    raise ImapFailure(STEP_IDLE, f"IDLE ended with {_text(line)}")
                return news
            news = news or _announces_mail(line)

    def _send(self, data: bytes) -> None:
        try:
            self.session.conn.sock.sendall(data)
        except OSError as exc:
            raise ImapFailure(STEP_IDLE, f"the connection broke: {exc}") from None

    def _line(self, timeout: float) -> bytes | None:
        """The next response line (literals skipped), or None when `timeout` passes first."""
        deadline = _now() + timeout
        while b"\r\n" not in self._buffer:
            chunk = self._raw(deadline)
            if chunk is None:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        literal = re.search(rb"\{(\d+)\}$", line)
        if literal:  # a literal follows (not expected in IDLE, but never mistake its bytes for responses)
            size = int(literal.group(1))
            while len(self._buffer) < size:
                more = self._raw(deadline)
                if more is None:
                    return None
                self._buffer += more
            self._buffer = self._buffer[size:]
        return line

    def _raw(self, deadline: float) -> bytes | None:
        left = deadline - _now()
        if left <= 0:
            return None
        sock = self.session.conn.sock
        sock.settimeout(left)
        try:
            chunk = sock.recv(8192)
        except (TimeoutError, ssl.SSLWantReadError):
            return None
        except OSError as exc:
            raise ImapFailure(STEP_IDLE, f"the connection broke: {exc}") from None
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(self.session.config.timeout)
        if not chunk:
            raise ImapFailure(STEP_IDLE, "the server closed the connection")
        return chunk


def _announces_mail(line: bytes) -> bool:
    """`* <n> EXISTS` (or RECENT): the folder grew."""
    parts = line.split()
    return len(parts) == 3 and parts[0] == b"*" and parts[1].isdigit() and parts[2].upper() in (b"EXISTS", b"RECENT")


def _now() -> float:
    return time.monotonic()
