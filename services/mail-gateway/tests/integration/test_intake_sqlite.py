"""The group-commit store and the grouped learning writes on SQLite, the embedded default of `make run`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conftest import make_mail
from sqlalchemy import select

from chassis.blobstore import BlobStore
from chassis.db import make_engine, make_sessionmaker, unit_of_work
from chassis.migrations import upgrade
from chassis.settings import repo_root
from contracts.cases import (
    AuthorType,
    CaseCreated,
    CaseRead,
    Channel,
    MessageRead,
    Priority,
    Source,
    Status,
    Visibility,
)
from contracts.envelope import Envelope
from mail_gateway import learning
from mail_gateway.db.models import CaseRef, InboundMail, Mailbox
from mail_gateway.intake import StoreResult, prepare_mail, store_batch


def _created(case_id: int, message_id: str) -> Envelope:
    now = datetime.now(UTC)
    case = CaseRead(
        id=case_id,
        number=1000 + case_id,
        title="t",
        status=Status.NEW,
        priority=Priority.MEDIUM,
        source=Source.EMAIL,
        version=1,
        created_at=now,
        updated_at=now,
    )
    message = MessageRead(
        id=case_id,
        case_id=case_id,
        author_type=AuthorType.CONTACT,
        visibility=Visibility.PUBLIC,
        channel=Channel.EMAIL,
        body_text="...",
        email_message_id=message_id,
        created_at=now,
    )
    return Envelope.wrap(CaseCreated(case=case, first_message=message), source="cases")


def test_store_batch_and_grouped_learning_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mail_gateway.db'}"
    upgrade(repo_root() / "services" / "mail-gateway", url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    try:
        with unit_of_work(factory) as session:
            session.add(Mailbox(address="support@example.com", name="Support", active=True))
        with factory() as session:
            support = session.scalar(select(Mailbox.id))
        assert support is not None
        blobs = BlobStore(tmp_path / "blobs")
        raws = [make_mail(message_id=f"sq-{i}@customer.test") for i in range(3)]
        items = [
            (
                prepare_mail(blobs=blobs, raw=raw, mail_from="k@customer.test", rcpt_tos=["support@example.com"]),
                [support],
            )
            for raw in [*raws, raws[0]]
        ]
        results = store_batch(factory, items)
        with factory() as session:
            ids = {row.message_id: row.id for row in session.scalars(select(InboundMail))}
        assert results == [
            StoreResult(stored=[ids["sq-0@customer.test"]]),
            StoreResult(stored=[ids["sq-1@customer.test"]]),
            StoreResult(stored=[ids["sq-2@customer.test"]]),
            StoreResult(duplicates=[ids["sq-0@customer.test"]]),
        ]

        # a group of case_created events: collected by the handler, written at the group's end
        with unit_of_work(factory) as session:
            envelopes = [_created(70 + i, f"sq-{i}@customer.test") for i in range(3)]
            learning.start_learning(session, envelopes)
            for envelope in [*envelopes, envelopes[0]]:
                learning.learn_case_of_message(session=session, envelope=envelope)
            learning.finish_learning(session)
        # and one alone (the one-by-one path): written at once
        with unit_of_work(factory) as session:
            learning.learn_case_of_message(session=session, envelope=_created(70, "sq-0@customer.test"))
        with factory() as session:
            cases = {row.message_id: row.case_id for row in session.scalars(select(InboundMail))}
            numbers = dict(session.execute(select(CaseRef.number, CaseRef.case_id)).all())
        assert cases == {f"sq-{i}@customer.test": 70 + i for i in range(3)}
        assert numbers == {1070 + i: 70 + i for i in range(3)}
    finally:
        engine.dispose()
