"""A real IMAP server for tests: Debian's dovecot, unprivileged on a free port from a temp dir."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chassis.testing import free_port

HOST = "127.0.0.1"


@dataclass
class Dovecot:
    host: str
    port: int
    users: dict[str, str]
    root: Path
    tls_port: int  # implicit TLS: a self-signed certificate (no trust store accepts it) unless `cert` is given

    def client(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(user, self.users[user])
        return conn

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client(user)
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def create_folder(self, user: str, folder: str) -> None:
        conn = self.client(user)
        conn.create(folder)
        conn.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, str]:
        """UID -> FLAGS of every message in the folder."""
        conn = self.client(user)
        try:
            conn.select(folder)
            _typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            result: dict[int, str] = {}
            for item in data:
                if isinstance(item, bytes) and b"UID" in item:
                    text = item.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    result[uid] = text
            return result
        finally:
            conn.logout()

    def set_unseen(self, user: str, folder: str = "INBOX") -> None:
        conn = self.client(user)
        conn.select(folder)
        conn.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")
        conn.logout()


def _oauth2_passdb(root: Path, introspection_url: str | None) -> tuple[str, str]:
    """XOAUTH2/OAUTHBEARER logins verified by dovecot against an OAuth2 introspection endpoint (RFC 7662)."""
    if not introspection_url:
        return "", ""
    (root / "oauth2.conf.ext").write_text(
        f"introspection_mode = post\nintrospection_url = {introspection_url}\n"
        "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
    )
    passdb = f"""
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
"""
    return " xoauth2 oauthbearer", passdb


def _config(root: Path, port: int, tls_port: int, uid: str, gid: str, introspection_url: str | None = None) -> str:
    mechanisms, oauth2_passdb = _oauth2_passdb(root, introspection_url)
    return f"""
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
instance_name = helpdesk-test-{port}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login{mechanisms}
log_path = {root}/dovecot.log
{oauth2_passdb}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:{root}/mail/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {tls_port}
    ssl = yes
  }}
}}
"""


@contextlib.contextmanager
def dovecot_server(
    users: dict[str, str],
    timeout: float = 15.0,
    cert: tuple[bytes, bytes] | None = None,
    introspection_url: str | None = None,
) -> Iterator[Dovecot]:
    """Start dovecot, wait until a user can log in, stop it (by its own pid) afterwards.

    `cert` (PEM certificate chain, PEM key) replaces the self-signed certificate of TLS and STARTTLS.
    `introspection_url` also lets users log in with SASL XOAUTH2 (or OAUTHBEARER): dovecot's oauth2 passdb
    asks that OAuth2 introspection endpoint whether the bearer token is active and whose it is.
    """
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    root = Path(tempfile.mkdtemp(prefix="hd-dovecot-"))
    # as root, mail is written as `nobody`; as anyone else, as that user (no setuid possible)
    uid, gid = ("nobody", "nogroup") if os.geteuid() == 0 else (pwd.getpwuid(os.geteuid()).pw_name, str(os.getegid()))
    root.chmod(0o755)
    (root / "mail").mkdir(mode=0o777)
    (root / "mail").chmod(0o777)
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in users.items()))
    port, tls_port = free_port(), free_port()
    if cert is not None:
        (root / "cert.pem").write_bytes(cert[0])
        (root / "key.pem").write_bytes(cert[1])
    else:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
             "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, tls_port, uid, gid, introspection_url))
    # dovecot daemonises; its children would hold a captured pipe open forever, so no capture
    subprocess.run(
        [binary, "-c", str(conf)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30
    )
    server = Dovecot(host=HOST, port=port, users=users, root=root, tls_port=tls_port)
    try:
        deadline = time.monotonic() + timeout
        first = next(iter(users))
        while True:
            try:
                server.client(first).logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    raise RuntimeError(f"dovecot did not start:\n{log}") from None
                time.sleep(0.1)
        yield server
    finally:
        pid_file = root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)
