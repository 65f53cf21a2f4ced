"""`python -m cases import FILE`: cases with their messages from another help desk's export (CSV or JSON Lines).

Each batch is one transaction: references are resolved (contacts, organisations and groups are
created when missing; agents must exist), rows are validated, and the batch is written by the
`BulkWriter`. A bad row is reported with its line number and skipped; the run goes on. Re-running
the same file skips every external id already imported from the same source: the key
(`case.import_source`, `case.import_external_id`) is unique in the database (decision 0142), so even two
imports at once cannot create a case twice.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

try:  # COPY runs on the driver's connection: its errors are psycopg's, not wrapped by SQLAlchemy
    from psycopg import IntegrityError as CopyIntegrityError
except ImportError:  # pragma: no cover - SQLite-only installs
    CopyIntegrityError = IntegrityError  # type: ignore[assignment,misc]
from sqlalchemy.orm import Session

from cases.bulk.rules import CaseIn, RowInvalid, guess_format, parse_case, read_records
from cases.bulk.writes import BulkWriter, CaseBundle, existing_keys, imported_keys, message_row, try_bulk_lock
from cases.common import model_repo
from cases.config import rules as fields
from cases.config import rules_statuses as statuses
from cases.directory.tables import Agent, Contact, ContactEmail, Group, Organisation
from chassis.db import make_sessionmaker, unit_of_work, utcnow
from contracts.cases import AuthorType, Status
from contracts.errors import DomainError

ORIGIN = "import"
DEFAULT_SOURCE = "import"  # the import key's source when --source is not given (and of imports before it existed)


@dataclass
class Problem:
    line: int
    reason: str
    skipped: bool = True  # False: a warning, the case was imported anyway


@dataclass
class ImportReport:
    imported: int = 0
    messages: int = 0
    already_imported: int = 0
    problems: list[Problem] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.problems if p.skipped)

    def summary(self, limit: int | None = None) -> str:
        lines = [
            f"imported {self.imported} case(s) with {self.messages} message(s); "
            f"{self.already_imported} already imported; {self.rejected} rejected; "
            f"{len(self.problems) - self.rejected} warning(s)"
        ]
        problems = sorted(self.problems, key=lambda p: p.line)
        for p in problems[:limit]:
            lines.append(f"  line {p.line}: {'rejected' if p.skipped else 'warning'}: {p.reason}")
        if limit is not None and len(problems) > limit:
            lines.append(f"  ... and {len(problems) - limit} more (--report FILE writes them all)")
        return "\n".join(lines)

    def write_problems(self, path: Path) -> None:
        """Every problem as CSV: line, kind (rejected|warning), reason."""
        import csv

        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "kind", "reason"])
            for p in sorted(self.problems, key=lambda p: p.line):
                writer.writerow([p.line, "rejected" if p.skipped else "warning", p.reason])


class BulkLoadBusy(DomainError):
    code = "service_unavailable"


class References:
    """Name/email -> id lookups for one run, creating contacts, organisations and groups when missing."""

    def __init__(self, session: Session) -> None:
        self.agents = {a.email: a.id for a in session.scalars(select(Agent).where(Agent.active.is_(True)))}
        self.groups = {g.name.lower(): g.id for g in session.scalars(select(Group))}
        self.organisations = {o.name.lower(): o.id for o in session.scalars(select(Organisation))}
        self.statuses = model_repo.statuses(session)
        self.definitions = model_repo.field_defs(session)
        self.contacts: dict[str, tuple[int, int | None]] = {}  # email -> (contact id, organisation id)

    def forget_new(self, session: Session) -> None:
        """After a rolled-back batch: reload what the database really holds."""
        self.__init__(session)  # type: ignore[misc]

    def organisation(self, session: Session, name: str | None) -> int | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.organisations:
            self.organisations[key] = int(
                session.execute(
                    insert(Organisation).values(name=name, created_at=utcnow()).returning(Organisation.id)
                ).scalar_one()
            )
        return self.organisations[key]

    def group(self, session: Session, name: str | None) -> int | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.groups:
            self.groups[key] = int(
                session.execute(insert(Group).values(name=name, created_at=utcnow()).returning(Group.id)).scalar_one()
            )
        return self.groups[key]

    def load_contacts(self, session: Session, emails: Iterable[str]) -> None:
        wanted = sorted({e for e in emails if e not in self.contacts})
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            rows = session.execute(
                select(ContactEmail.email, Contact.id, Contact.organisation_id)
                .join(Contact, Contact.id == ContactEmail.contact_id)
                .where(ContactEmail.email.in_(chunk))
            )
            for email, contact_id, org_id in rows:
                self.contacts[email] = (contact_id, org_id)

    def contact(self, session: Session, email: str, name: str, organisation_id: int | None) -> tuple[int, int | None]:
        if email not in self.contacts:
            contact_id = int(
                session.execute(
                    insert(Contact)
                    .values(name=name, organisation_id=organisation_id, approved=True, created_at=utcnow())
                    .returning(Contact.id)
                ).scalar_one()
            )
            session.execute(insert(ContactEmail).values(contact_id=contact_id, email=email))
            self.contacts[email] = (contact_id, organisation_id)
        return self.contacts[email]


def import_file(
    engine: Engine,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 1000,
    progress: bool = True,
    source: str = DEFAULT_SOURCE,
) -> ImportReport:
    """Import every valid case of `path`; returns what happened (bad rows are in `problems`).

    `source` names the system the file comes from: an external id is imported once per source.
    """
    source = source.strip()
    if not source or len(source) > 100:
        raise ValueError("the import source must be 1 to 100 characters")
    fmt = fmt or guess_format(str(path))
    report = ImportReport()
    factory = make_sessionmaker(engine)
    guard = factory()  # holds the PostgreSQL advisory lock for the whole run
    try:
        if not try_bulk_lock(guard):
            raise BulkLoadBusy(message="another import or generate run is loading this database")
        guard.commit()  # the lock is session-level: it outlives this (empty) transaction
        with factory() as session:
            done = imported_keys(session, source)
            refs = References(session)
            session.rollback()
        seen: set[str] = set()
        now = utcnow()
        batch: list[CaseIn] = []
        with path.open(encoding="utf-8-sig", newline="") as stream, _bar(progress, path) as bar:
            for line, raw in read_records(stream, fmt):
                bar.update(1)
                try:
                    if isinstance(raw, RowInvalid):
                        raise raw
                    case = parse_case(raw, line, now=now)
                except RowInvalid as exc:
                    report.problems.append(Problem(line, exc.reason))
                    continue
                if case.external_id in done:
                    report.already_imported += 1
                    continue
                if case.external_id in seen:
                    report.problems.append(Problem(line, f"external_id {case.external_id!r} appears twice in the file"))
                    continue
                seen.add(case.external_id)
                batch.append(case)
                if len(batch) >= batch_size:
                    _flush(factory, refs, batch, report, path.name, source)
                    batch = []
            if batch:
                _flush(factory, refs, batch, report, path.name, source)
    finally:
        guard.close()  # closing the connection's session releases the advisory lock
    return report


def _flush(
    factory: Any, refs: References, batch: list[CaseIn], report: ImportReport, source_name: str, source: str
) -> None:
    for attempt in range(3):
        problems: list[Problem] = []
        try:
            with unit_of_work(factory) as session:
                bundles = _bundles(session, refs, batch, problems, source)
                if not bundles:
                    break
                result = BulkWriter(session).write_batch(list(bundles), origin=ORIGIN, source_name=source_name)
            by_number = {b.wanted_number: b.line for b in bundles}
            for wanted, given in result.renumbered:
                problems.append(Problem(by_number[wanted], f"number {wanted} is taken: the case got {given}", False))
            report.imported += len(bundles)
            report.messages += result.messages
            report.case_ids.extend(result.case_ids)
            break
        except (IntegrityError, CopyIntegrityError):
            # a contact or group created concurrently by the running system, or a case of this batch imported
            # meanwhile by another run (the unique import key): reload, drop what is already in, try again
            if attempt == 2:
                raise
            with factory() as session:
                refs.forget_new(session)
                taken = existing_keys(session, source, [c.external_id for c in batch])
            report.already_imported += sum(1 for c in batch if c.external_id in taken)
            batch = [c for c in batch if c.external_id not in taken]
    report.problems.extend(problems)


@dataclass
class _LineBundle(CaseBundle):
    line: int = 0


def _bundles(
    session: Session, refs: References, batch: list[CaseIn], problems: list[Problem], source: str
) -> list[_LineBundle]:
    emails = [c.requester_email for c in batch if c.requester_email]
    emails += [m.author_email for c in batch for m in c.messages if m.author_email and m.author_type == "contact"]
    refs.load_contacts(session, emails)
    bundles: list[_LineBundle] = []
    for case in batch:
        try:
            bundles.append(_bundle(session, refs, case, problems, source))
        except RowInvalid as exc:
            problems.append(Problem(case.line, exc.reason))
    return bundles


def _bundle(session: Session, refs: References, case: CaseIn, problems: list[Problem], source: str) -> _LineBundle:
    # everything that can reject the row first, so a rejected row creates nothing
    status = _status(refs, case)
    try:
        custom = {k: v for k, v in fields.custom_values(refs.definitions, case.custom_fields).items() if v is not None}
    except DomainError as exc:
        raise RowInvalid(f"custom field: {exc.message}") from None
    assignee_id = None
    if case.assignee_email:
        assignee_id = refs.agents.get(case.assignee_email)
        if assignee_id is None:
            problems.append(Problem(case.line, f"no active agent {case.assignee_email}: imported unassigned", False))
    organisation_id = refs.organisation(session, case.organisation)
    requester_id = None
    if case.requester_email:
        requester_id, contact_org = refs.contact(session, case.requester_email, case.requester_name, organisation_id)
        organisation_id = organisation_id or contact_org
    messages = []
    for m in case.messages:
        author_id = None
        if m.author_type == AuthorType.AGENT.value and m.author_email:
            author_id = refs.agents.get(m.author_email)
        elif m.author_type == AuthorType.CONTACT.value and m.author_email:
            author_id = refs.contact(session, m.author_email, m.author_name, None)[0]
        elif m.author_type == AuthorType.CONTACT.value and requester_id is not None:
            author_id, m.author_email = requester_id, case.requester_email
        messages.append(
            message_row(
                author_type=m.author_type,
                author_id=author_id,
                author_name=m.author_name,
                author_email=m.author_email,
                body_text=m.body_text,
                body_html=m.body_html,
                created_at=m.created_at,
                visibility=m.visibility,
                channel=m.channel,
            )
        )
    values = {
        "title": case.title,
        "description": case.description,
        "status": status.category.value,
        "status_id": status.id,
        "priority": case.priority.value,
        "source": case.source.value,
        "requester_id": requester_id,
        "assignee_id": assignee_id,
        "group_id": refs.group(session, case.group),
        "organisation_id": organisation_id,
        "external_ref": case.external_id,
        "import_source": source,
        "import_external_id": case.external_id,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "held_for_approval": False,
    }
    return _LineBundle(
        case=values,
        messages=messages,
        tags=case.tags,
        custom=custom,
        external_id=case.external_id,
        wanted_number=case.number,
        line=case.line,
    )


def _status(refs: References, case: CaseIn) -> statuses.StatusDef:
    if case.status_name:
        for status in refs.statuses:
            if status.name.lower() == case.status_name.lower():
                return status
        raise RowInvalid(f"unknown status {case.status_name!r}")
    try:
        return statuses.pick(refs.statuses, category=Status(case.status))
    except DomainError as exc:
        raise RowInvalid(exc.message) from None


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def _bar(progress: bool, path: Path) -> Any:
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(desc=f"importing {path.name}", unit=" cases", file=sys.stderr)
