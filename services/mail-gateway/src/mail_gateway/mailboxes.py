"""Use cases of mailboxes: configure them, verify an IMAP connection, poll due IMAP mailboxes.

One worker process at a time fetches a mailbox: it must hold the mailbox's lease (`imap_lease_owner`,
`imap_lease_until`), taken and renewed by conditional UPDATEs, whether it polls or watches with IDLE
(mail_gateway.idle, decision 0147). A process that dies leaves a lease that lapses by itself.
"""

from __future__ import annotations

import imaplib
import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from chassis.blobstore import BlobStore
from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.errors import DomainError, NotFound, ValidationFailed
from contracts.mail_gateway import ConnectionCheck, MailboxRead, MailboxSecurity, MailboxWrite, SmtpAuth
from mail_gateway import mailbox_secrets
from mail_gateway.db.models import Mailbox, MailboxOAuth
from mail_gateway.domain.addresses import mailbox_key
from mail_gateway.domain.mail_event import outsider_reply_of
from mail_gateway.imap import ImapConfig, ImapFailure, ImapSession, open_session
from mail_gateway.intake import store_mail
from mail_gateway.mailbox_sending import apply_sending, sending_changed
from mail_gateway.metrics import IMAP_FETCHED, IMAP_POLLS
from mail_gateway.oauth import writes as oauth_writes
from mail_gateway.oauth.reads import oauth_read

log = get_logger(__name__)

# who holds a lease: "poll:<process>" or "idle:<process>" (a process restarted under the same pid is new)
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
POLL_OWNER = f"poll:{PROCESS_ID}"
IDLE_OWNER = f"idle:{PROCESS_ID}"
LEASE_SECONDS = 90.0  # default of MAIL_GATEWAY_IMAP_LEASE_SECONDS


def lease_seconds(runtime: Runtime) -> float:
    """How long a lease lasts unless renewed (every stored mail, every IDLE tick renews it)."""
    return float(getattr(runtime.settings, "imap_lease_seconds", LEASE_SECONDS))


def imap_ca_file(runtime: Runtime) -> str | None:
    """The CA bundle IMAP servers' certificates may also chain to (MAIL_GATEWAY_IMAP_CA_FILE, decision 0157)."""
    value = getattr(runtime.settings, "imap_ca_file", None)
    return str(value) if value else None


def lease_free(now: datetime) -> ColumnElement[bool]:
    return or_(Mailbox.imap_lease_until.is_(None), Mailbox.imap_lease_until <= now)


def take_lease(
    runtime: Runtime,
    mailbox_id: int,
    owner: str,
    *,
    seconds: float = LEASE_SECONDS,
    where: tuple[ColumnElement[bool], ...] = (),
    values: dict[str, object] | None = None,
) -> bool:
    """Take a free lease (one conditional UPDATE, also checking `where`, also setting `values`)."""
    now = utcnow()
    with runtime.transaction() as session:
        result = session.execute(
            update(Mailbox)
            .where(Mailbox.id == mailbox_id, lease_free(now), *where)
            .values(imap_lease_owner=owner, imap_lease_until=now + timedelta(seconds=seconds), **(values or {}))
        )
    return getattr(result, "rowcount", 0) == 1


def renew_lease(
    session: Session, mailbox_id: int, owner: str, *, seconds: float = LEASE_SECONDS, **values: object
) -> bool:
    """Extend a lease we hold; False if it lapsed and someone else took it (then stop fetching)."""
    result = session.execute(
        update(Mailbox)
        .where(Mailbox.id == mailbox_id, Mailbox.imap_lease_owner == owner)
        .values(imap_lease_until=utcnow() + timedelta(seconds=seconds), **values)
    )
    return getattr(result, "rowcount", 0) == 1


def release_lease(runtime: Runtime, mailbox_id: int | None, owner: str, **values: object) -> None:
    """Give a lease back (all of this owner's when `mailbox_id` is None)."""
    where: list[ColumnElement[bool]] = [Mailbox.imap_lease_owner == owner]
    if mailbox_id is not None:
        where.append(Mailbox.id == mailbox_id)
    with runtime.transaction() as session:
        session.execute(
            update(Mailbox).where(and_(*where)).values(imap_lease_owner=None, imap_lease_until=None, **values)
        )


SENDING_FIELDS = {"smtp_host", "smtp_port", "smtp_security", "smtp_auth", "smtp_user", "smtp_password"}


def save_mailbox(*, runtime: Runtime, data: MailboxWrite, mailbox_id: int | None = None) -> MailboxRead:
    """Create a mailbox, or change one; a None password keeps the stored one."""
    address = mailbox_key(data.address)
    if "@" not in address:
        raise ValidationFailed(message=f"not an e-mail address: {data.address!r}", details={"field": "address"})
    if data.imap_host and not data.imap_user:
        raise ValidationFailed(message="an IMAP mailbox needs a user name", details={"field": "imap_user"})
    with runtime.transaction() as session:
        if mailbox_id is None:
            box = session.scalar(select(Mailbox).where(Mailbox.address == address)) or Mailbox(address=address)
            session.add(box)
        else:
            box = _get(session, mailbox_id)
            taken = session.scalar(select(Mailbox.id).where(Mailbox.address == address, Mailbox.id != mailbox_id))
            if taken is not None:
                raise ValidationFailed(message=f"{address} is already mailbox {taken}", details={"field": "address"})
        apply_sending(box, data, secret=runtime.settings.secret_key)
        fields = data.model_dump(exclude={"address", "imap_password"} | SENDING_FIELDS)
        fields["imap_security"] = data.imap_security.value
        fields["outsider_reply"] = data.outsider_reply.value
        for name, value in fields.items():
            setattr(box, name, value)
        box.address = address
        if data.imap_password is not None:  # encrypted at rest (decision 0087)
            box.imap_password = mailbox_secrets.encrypt(data.imap_password, secret=runtime.settings.secret_key)
        box.imap_next_poll_at = None  # poll a changed mailbox at once
        box.imap_idle_supported = None  # ask the (maybe other) server again
        session.flush()
        runtime.emit(session, sending_changed(box))  # notifications' copy (decision 0228)
        return mailbox_read(box, session.get(MailboxOAuth, box.id))


def list_mailboxes(*, runtime: Runtime) -> list[MailboxRead]:
    with runtime.session_factory() as session:
        oauth = {row.mailbox_id: row for row in session.scalars(select(MailboxOAuth))}
        return [mailbox_read(b, oauth.get(b.id)) for b in session.scalars(select(Mailbox).order_by(Mailbox.id))]


def mailbox_read(box: Mailbox, oauth: MailboxOAuth | None = None) -> MailboxRead:
    """The admin view of a mailbox: whether a password is set, never the password (nor a token)."""
    return MailboxRead(
        oauth=oauth_read(oauth) if oauth is not None else None,
        id=box.id,
        address=box.address,
        name=box.name,
        default_group=box.default_group,
        outsider_reply=outsider_reply_of(box.outsider_reply),
        active=box.active,
        imap_host=box.imap_host,
        imap_port=box.imap_port,
        imap_security=MailboxSecurity(box.imap_security or "ssl"),
        imap_user=box.imap_user,
        imap_password_set=bool(box.imap_password),
        imap_folder=box.imap_folder or "INBOX",
        imap_move_to=box.imap_move_to,
        imap_poll_seconds=box.imap_poll_seconds or 60,
        imap_last_uid=box.imap_last_uid or 0,
        imap_last_polled_at=box.imap_last_polled_at,
        imap_last_error=box.imap_last_error,
        use_idle=box.use_idle is not False,
        imap_idle_supported=box.imap_idle_supported,
        imap_idle_active=bool(
            (box.imap_lease_owner or "").startswith("idle:")
            and box.imap_lease_until is not None
            and box.imap_lease_until > utcnow()
        ),
        smtp_host=box.smtp_host,
        smtp_port=box.smtp_port,
        smtp_security=MailboxSecurity(box.smtp_security or "starttls"),
        smtp_auth=SmtpAuth(box.smtp_auth or "password"),
        smtp_user=box.smtp_user,
        smtp_password_set=bool(box.smtp_password),
        smtp_version=box.smtp_version or 0,
    )


def verify_connection(
    *, runtime: Runtime, mailbox_id: int | None = None, data: MailboxWrite | None = None, timeout: float = 15.0
) -> ConnectionCheck:
    """Try to log in and open the folder of a stored mailbox, or of settings about to be saved."""
    password = data.imap_password if data else None
    stored: ImapConfig | None = None
    if mailbox_id is not None:
        with runtime.session_factory() as session:
            box = _get(session, mailbox_id)
            try:
                stored = _config(
                    box, timeout, runtime.settings.secret_key, imap_ca_file(runtime), oauth_token(runtime, box.id)
                )
            except ImapFailure as exc:
                if password is None:
                    return ConnectionCheck(ok=False, step=exc.step, code=exc.code, reason=exc.reason)
                stored = None
        if password is None and stored is not None:
            password = stored.password
    if data is not None:
        if not data.imap_host or not data.imap_user:
            return ConnectionCheck(
                ok=False, step="config", code="config", reason="IMAP host and user name are required"
            )
        config = ImapConfig(
            host=data.imap_host,
            port=data.imap_port,
            security=data.imap_security.value,
            user=data.imap_user,
            password=password or "",
            folder=data.imap_folder,
            move_to=data.imap_move_to,
            timeout=timeout,
            ca_file=imap_ca_file(runtime),
            # an OAuth2 mailbox keeps signing in with its token unless the form gives a password
            access_token=stored.access_token if stored is not None and data.imap_password is None else None,
        )
    elif mailbox_id is not None and stored is not None:
        config = stored
    else:
        return ConnectionCheck(
            ok=False, step="config", code="config", reason="this mailbox has no IMAP server configured"
        )
    try:
        imap = open_session(config)
    except ImapFailure as exc:
        return ConnectionCheck(ok=False, step=exc.step, code=exc.code, reason=exc.reason)
    imap.close()
    return ConnectionCheck(ok=True, step="done", messages=imap.exists)


def poll_due_mailboxes(*, runtime: Runtime, blobs: BlobStore, batch_size: int, timeout: float = 30.0) -> int:
    """Poll every active IMAP mailbox whose time has come; returns how many mails were stored."""
    now = utcnow()
    due = (Mailbox.imap_next_poll_at.is_(None), Mailbox.imap_next_poll_at <= now)
    with runtime.session_factory() as session:
        boxes = session.execute(
            select(Mailbox.id, Mailbox.imap_poll_seconds).where(
                # leased: an IDLE watcher (which fetches by itself) or a poll elsewhere; never even try
                Mailbox.active.is_(True),
                Mailbox.imap_host.is_not(None),
                or_(*due),
                lease_free(now),
            )
        ).all()
    stored = 0
    for box_id, seconds in boxes:
        # claiming is one conditional UPDATE: due, and nobody holds the lease (a poll elsewhere, or an IDLE
        # watcher, which fetches by itself): so two worker processes never fetch one mailbox at once
        claimed = take_lease(
            runtime,
            box_id,
            POLL_OWNER,
            seconds=max(lease_seconds(runtime), 3 * timeout),
            where=(or_(*due),),
            values={"imap_next_poll_at": now + timedelta(seconds=seconds or 60)},
        )
        if claimed:
            try:
                stored += poll_mailbox(
                    runtime=runtime,
                    blobs=blobs,
                    mailbox_id=box_id,
                    batch_size=batch_size,
                    timeout=timeout,
                    owner=POLL_OWNER,
                )
            finally:
                release_lease(runtime, box_id, POLL_OWNER)
    return stored


def poll_mailbox(
    *, runtime: Runtime, blobs: BlobStore, mailbox_id: int, batch_size: int, timeout: float, owner: str | None = None
) -> int:
    """Fetch up to `batch_size` new mails; each is stored (committed) before it is marked or moved."""
    return fetch_new_mail(
        runtime=runtime, blobs=blobs, mailbox_id=mailbox_id, batch_size=batch_size, timeout=timeout, owner=owner
    )[0]


def fetch_new_mail(
    *, runtime: Runtime, blobs: BlobStore, mailbox_id: int, batch_size: int, timeout: float, owner: str | None = None
) -> tuple[int, bool]:
    """`poll_mailbox`, also saying whether more mail waits; with `owner`, stops if that lease is lost."""
    with runtime.session_factory() as session:
        box = _get(session, mailbox_id)
        last_uid, uidvalidity = box.imap_last_uid or 0, box.imap_uidvalidity
    if not box.imap_host or not box.imap_user:
        return 0, False
    stored, more, error = 0, False, None
    try:
        # an undecryptable password or an OAuth2 sign-in that failed: last_error
        config = _config(box, timeout, runtime.settings.secret_key, imap_ca_file(runtime), oauth_token(runtime, box.id))
        assert config is not None
        imap = open_session(config)
        try:
            if imap.uidvalidity != uidvalidity:
                # the server renumbered the folder: start over; stored mail is recognised by hash/Message-ID
                last_uid = 0
            uids = imap.new_uids(last_uid)
            more = len(uids) > batch_size
            for uid in uids[:batch_size]:
                stored += _take(runtime, blobs, imap, mailbox_id, uid)
                last_uid = uid
                if not _remember(runtime, mailbox_id, imap.uidvalidity, last_uid, owner):
                    log.warning("imap_lease_lost", mailbox_id=mailbox_id, owner=owner)
                    more = False
                    break
        finally:
            imap.close()
    except ImapFailure as exc:
        error = str(exc)
        log.warning("imap_poll_failed", mailbox_id=mailbox_id, step=exc.step, reason=exc.reason)
    except (OSError, imaplib.IMAP4.error) as exc:
        # the server hung up or answered BAD mid-poll: what was stored stays stored, the rest waits
        error = f"connection: {exc}"
        log.warning("imap_poll_failed", mailbox_id=mailbox_id, step="connection", reason=str(exc))
    IMAP_POLLS.labels("failed" if error else "ok").inc()
    with runtime.transaction() as session:
        values: dict[str, object] = {"imap_last_polled_at": utcnow(), "imap_last_error": error}
        if more:
            values["imap_next_poll_at"] = None  # a large mailbox: fetch the next batch on the next tick
        session.execute(update(Mailbox).where(Mailbox.id == mailbox_id).values(**values))
    if stored:
        log.info("imap_poll_stored", mailbox_id=mailbox_id, stored=stored, more=more)
    return stored, more


def _take(runtime: Runtime, blobs: BlobStore, imap: ImapSession, mailbox_id: int, uid: int) -> int:
    raw = imap.fetch(uid)
    if raw is None:
        return 0
    result = store_mail(
        session_factory=runtime.session_factory,
        blobs=blobs,
        raw=raw,
        mailbox_ids=[mailbox_id],
        mail_from=None,
        rcpt_tos=[],
        source="imap",
    )
    imap.mark_done(uid)  # only now: a crash before this line re-fetches, and the duplicate is recognised
    IMAP_FETCHED.labels("stored" if result.stored else "duplicate").inc()
    return len(result.stored)


def _remember(runtime: Runtime, mailbox_id: int, uidvalidity: int | None, last_uid: int, owner: str | None) -> bool:
    """Record the last stored UID (renewing our lease in the same statement); False if the lease is gone."""
    with runtime.transaction() as session:
        if owner is not None:
            return renew_lease(
                session,
                mailbox_id,
                owner,
                seconds=lease_seconds(runtime),
                imap_uidvalidity=uidvalidity,
                imap_last_uid=last_uid,
            )
        session.execute(
            update(Mailbox).where(Mailbox.id == mailbox_id).values(imap_uidvalidity=uidvalidity, imap_last_uid=last_uid)
        )
    return True


def oauth_token(runtime: Runtime, mailbox_id: int) -> str | None:
    """The access token an OAuth2 mailbox signs in with (refreshed when near expiry); None for a password."""
    with runtime.session_factory() as session:
        if session.get(MailboxOAuth, mailbox_id) is None:
            return None
    try:
        return oauth_writes.current_access_token(runtime=runtime, mailbox_id=mailbox_id).access_token
    except DomainError as exc:
        raise ImapFailure("oauth", exc.message, code=exc.code) from None


def _config(
    box: Mailbox, timeout: float, secret: str, ca_file: str | None = None, access_token: str | None = None
) -> ImapConfig | None:
    if not box.imap_host or not box.imap_user:
        return None
    return ImapConfig(
        host=box.imap_host,
        port=box.imap_port,
        security=box.imap_security or "ssl",
        user=box.imap_user,
        password="" if access_token else mailbox_secrets.decrypt(box.imap_password, secret=secret),
        folder=box.imap_folder or "INBOX",
        move_to=box.imap_move_to,
        timeout=timeout,
        ca_file=ca_file,
        access_token=access_token,
    )


def _get(session: Session, mailbox_id: int) -> Mailbox:
    box = session.get(Mailbox, mailbox_id)
    if box is None:
        raise NotFound(message=f"no mailbox {mailbox_id}", details={"mailbox_id": mailbox_id})
    return box
