"""`python -m cases generate --cases N`: realistic synthetic cases for demos and benchmarks.

Deterministic for a seed (and `--until`): the same arguments give the same cases. Contacts and
organisations are reused with a heavy skew (a few customers write a lot), agents and groups are
created when missing, timestamps spread over two years (more recent ones more often), and the
conversation alternates customer and agent so the Unanswered view has real content.
"""

from __future__ import annotations

import queue
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from cases.bulk import rules_corpus as corpus
from cases.bulk.writes import BulkWriter, CaseBundle, message_row, try_bulk_lock
from cases.common import model_repo
from cases.config import rules_statuses as statuses
from cases.directory.tables import Agent, Contact, ContactEmail, Group, GroupMember, Organisation
from chassis.db import make_sessionmaker, unit_of_work, utcnow
from contracts.cases import AuthorType, Channel, Status, Visibility
from contracts.errors import DomainError

ORIGIN = "generate"
LANGUAGES = ["en", "no", "sv", "de"]
LANGUAGE_WEIGHTS = [55, 15, 15, 15]
SPAN = timedelta(days=730)
ASCII = str.maketrans("æøåäöüé", "aoaaoue", "")  # addresses stay ASCII


@dataclass
class GenerateReport:
    cases: int
    messages: int
    contacts: int
    seconds: float
    first_case_id: int | None = None
    last_case_id: int | None = None

    def summary(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (
            f"generated {self.cases} case(s) with {self.messages} message(s) for {self.contacts} contact(s) "
            f"in {self.seconds:.1f} s ({rate:.0f} cases/s)"
        )


@dataclass
class _Person:
    id: int
    email: str
    name: str
    organisation_id: int | None
    language: str


class _Weighted:
    """random.choices with precomputed cumulative weights (hot loop)."""

    def __init__(self, rng: random.Random, items: list[Any], weights: list[int]) -> None:
        self.rng, self.items, self.cum = rng, items, list(accumulate(weights))

    def __call__(self) -> Any:
        return self.rng.choices(self.items, cum_weights=self.cum)[0]


def generate(
    engine: Engine,
    *,
    cases: int,
    messages_per_case: int = 3,
    seed: int = 0,
    until: datetime | None = None,
    batch_size: int = 2000,
    progress: bool = True,
) -> GenerateReport:
    """Write `cases` synthetic cases (about `messages_per_case` messages each) into the database."""
    if cases < 0 or messages_per_case < 0:
        raise ValueError("--cases and --messages-per-case must not be negative")
    started = time.perf_counter()
    until = until or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    factory = make_sessionmaker(engine)
    guard = factory()
    try:
        if not try_bulk_lock(guard):
            raise DomainError("service_unavailable", "another import or generate run is loading this database")
        guard.commit()
        with unit_of_work(factory) as session:
            agents, groups = _staff(session)
            people = _people(session, rng, contacts=max(20, cases // 5), until=until)
            status_defs = {s.category: s for s in model_repo.statuses(session) if s.builtin}
            for category in Status:
                status_defs.setdefault(category, statuses.pick(model_repo.statuses(session), category=category))
        maker = _CaseMaker(rng, agents, groups, people, status_defs, messages_per_case, until)
        report = GenerateReport(cases=0, messages=0, contacts=len(people), seconds=0.0)
        bar = _bar(progress, cases)
        # generating (Python) and loading (PostgreSQL) overlap: a writer thread takes ready batches
        ready: queue.Queue[list[CaseBundle] | None] = queue.Queue(maxsize=2)
        failure: list[BaseException] = []

        def load() -> None:
            try:
                while (bundles := ready.get()) is not None:
                    if failure:
                        continue
                    with unit_of_work(factory) as session:
                        result = BulkWriter(session, schema).write_batch(
                            bundles, origin=ORIGIN, source_name=f"generator seed={seed}"
                        )
                    report.cases += len(bundles)
                    report.messages += result.messages
                    report.first_case_id = report.first_case_id or result.case_ids[0]
                    report.last_case_id = result.case_ids[-1]
                    if bar is not None:
                        bar.update(len(bundles))
            except BaseException as exc:  # handed to the main thread below
                failure.append(exc)

        schema: dict[str, Any] = {}
        loader = threading.Thread(target=load, name="generate-loader", daemon=True)
        loader.start()
        remaining = cases
        try:
            while remaining > 0 and not failure:
                size = min(batch_size, remaining)
                ready.put([maker.case() for _ in range(size)])
                remaining -= size
        finally:
            ready.put(None)
            loader.join()
        if bar is not None:
            bar.close()
        if failure:
            raise failure[0]
    finally:
        guard.close()
    report.seconds = time.perf_counter() - started
    return report


def _staff(session: Session) -> tuple[list[tuple[int, str, str, list[int]]], list[int]]:
    """Agents (id, email, name, group ids) and group ids, created when missing (idempotent)."""
    groups = {g.name: g.id for g in session.scalars(select(Group))}
    for name in corpus.GROUPS:
        if name not in groups:
            groups[name] = int(
                session.execute(insert(Group).values(name=name, created_at=utcnow()).returning(Group.id)).scalar_one()
            )
    existing = {a.email: a.id for a in session.scalars(select(Agent))}
    members = {(m.group_id, m.agent_id) for m in session.scalars(select(GroupMember))}
    agents = []
    for index, name in enumerate(corpus.AGENT_NAMES):
        email = f"{name.split()[0].lower()}.{index + 1:02d}@agents.example.com"
        agent_id = existing.get(email)
        if agent_id is None:
            agent_id = int(
                session.execute(
                    insert(Agent)
                    .values(email=email, name=name, role="agent", active=True, created_at=utcnow())
                    .returning(Agent.id)
                ).scalar_one()
            )
        own = [groups[corpus.GROUPS[index % len(corpus.GROUPS)]], groups[corpus.GROUPS[(index * 3 + 1) % 4]]]
        for group_id in sorted(set(own)):
            if (group_id, agent_id) not in members:
                session.execute(insert(GroupMember).values(group_id=group_id, agent_id=agent_id))
        agents.append((agent_id, email, name, sorted(set(own))))
    return agents, [groups[name] for name in corpus.GROUPS]


def _people(session: Session, rng: random.Random, *, contacts: int, until: datetime) -> list[_Person]:
    """`contacts` customers in organisations (created or reused: emails are deterministic)."""
    organisations: list[tuple[int, str, str]] = []  # id, domain, language
    known_orgs = {o.name: o.id for o in session.scalars(select(Organisation))}
    org_count = max(5, contacts // 25)
    for index in range(org_count):
        language = LANGUAGES[index % 4]
        word = corpus.COMPANY_WORDS[language][index % len(corpus.COMPANY_WORDS[language])]
        suffix = corpus.COMPANY_SUFFIX[language][index % len(corpus.COMPANY_SUFFIX[language])]
        name = f"{word} {suffix} {index + 1}"
        if name not in known_orgs:
            known_orgs[name] = int(
                session.execute(
                    insert(Organisation).values(name=name, created_at=until - SPAN).returning(Organisation.id)
                ).scalar_one()
            )
        domain = f"{word.lower().replace(' ', '-').replace('ß', 'ss')}{index + 1}.{corpus.DOMAIN_TLD[language]}"
        domain = domain.translate(ASCII)
        organisations.append((known_orgs[name], domain, language))
    language_of = _Weighted(rng, LANGUAGES, LANGUAGE_WEIGHTS)
    wanted: list[tuple[str, str, int | None, str]] = []
    for index in range(contacts):
        if rng.random() < 0.7:  # most customers write from a company, a few companies hold most of them
            org_id, domain, language = organisations[int(org_count * rng.random() ** 2)]
        else:
            org_id, domain, language = None, f"mail{index % 7}.{corpus.DOMAIN_TLD['en']}", language_of()
        first = rng.choice(corpus.FIRST_NAMES[language])
        last = rng.choice(corpus.LAST_NAMES[language])
        local = f"{first}.{last}.{index + 1}".replace("ß", "ss").lower().translate(ASCII)
        wanted.append((f"{local}@{domain}", f"{first} {last}", org_id, language))
    known: dict[str, int] = {}
    emails = [w[0] for w in wanted]
    for start in range(0, len(emails), 1000):
        chunk = emails[start : start + 1000]
        query = select(ContactEmail.email, ContactEmail.contact_id).where(ContactEmail.email.in_(chunk))
        known.update({email: contact_id for email, contact_id in session.execute(query)})
    missing = [w for w in wanted if w[0] not in known]
    writer = BulkWriter(session)
    ids = writer.reserve_ids(Contact.__table__, len(missing))
    created_at = until - SPAN
    writer.insert(
        Contact.__table__,
        [
            {"id": i, "name": name, "organisation_id": org, "approved": True, "created_at": created_at, "phone": None}
            for i, (_e, name, org, _l) in zip(ids, missing, strict=True)
        ],
    )
    email_ids = writer.reserve_ids(ContactEmail.__table__, len(missing))
    writer.insert(
        ContactEmail.__table__,
        [{"id": e, "contact_id": i, "email": w[0]} for e, i, w in zip(email_ids, ids, missing, strict=True)],
    )
    known.update({w[0]: i for i, w in zip(ids, missing, strict=True)})
    return [_Person(known[e], e, name, org, language) for e, name, org, language in wanted]


class _CaseMaker:
    def __init__(
        self,
        rng: random.Random,
        agents: list[tuple[int, str, str, list[int]]],
        groups: list[int],
        people: list[_Person],
        status_defs: dict[Status, statuses.StatusDef],
        messages_per_case: int,
        until: datetime,
    ) -> None:
        self.rng, self.agents, self.groups, self.people = rng, agents, groups, people
        self.status_defs, self.per_case, self.until = status_defs, messages_per_case, until
        self.agents_of_group = {g: [a for a in agents if g in a[3]] or agents for g in groups}
        self.recent_status = _Weighted(
            rng,
            [Status.NEW, Status.OPEN, Status.WAITING, Status.DORMANT, Status.RESOLVED, Status.CLOSED],
            [12, 33, 15, 3, 22, 15],
        )
        self.old_status = _Weighted(rng, [Status.CLOSED, Status.RESOLVED, Status.OPEN, Status.WAITING], [84, 10, 4, 2])
        self.priority = _Weighted(rng, ["low", "medium", "high", "urgent"], [20, 55, 20, 5])
        self.source = _Weighted(rng, ["email", "portal", "phone", "api", "sms"], [60, 20, 10, 5, 5])
        self.group_weights = _Weighted(rng, groups, [40, 15, 20, 5, 8, 7, 5][: len(groups)])

    def _fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            product=rng.choice(corpus.PRODUCTS),
            order=f"SO-{rng.randrange(10000, 99999)}",
            code=f"E{rng.randrange(100, 999)}",
        )

    def _body(self, language: str, lines: list[str], name: str) -> str:
        rng = self.rng
        parts = [rng.choice(corpus.OPENINGS[language])]
        sentences = rng.sample(lines, k=min(len(lines), rng.randint(1, 3)))
        text = " ".join(self._fill(s) for s in sentences)
        parts.append(text[:1].upper() + text[1:])
        parts.append(f"{rng.choice(corpus.CLOSINGS[language])}\n{name}")
        return "\n\n".join(parts)

    def case(self) -> CaseBundle:
        rng = self.rng
        person = self.people[int(len(self.people) * rng.random() ** 3)]  # a few customers write a lot
        language = person.language
        # more recent cases are more frequent: the help desk grows
        age = SPAN * (rng.random() ** 1.6)
        created = self.until - age - timedelta(seconds=rng.randrange(0, 3600))
        status = self.old_status() if age > timedelta(days=30) else self.recent_status()
        group_id = self.group_weights()
        staff = self.agents_of_group[group_id]
        agent = rng.choice(staff)
        assigned = status != Status.NEW or rng.random() < 0.2
        count = 1 if self.per_case <= 1 else rng.randint(1, 2 * self.per_case - 1)
        if status == Status.NEW:
            count = min(count, 2)  # nobody has answered a new case yet
        messages: list[dict[str, Any]] = []
        when = created
        for index in range(count):
            customer = index % 2 == 0 or status == Status.NEW
            if customer:
                body = self._body(language, corpus.CUSTOMER_LINES[language], person.name)
                row = message_row(
                    author_type=AuthorType.CONTACT.value,
                    author_id=person.id,
                    author_name=person.name,
                    author_email=person.email,
                    body_text=body,
                    created_at=when,
                    visibility=Visibility.PUBLIC.value,
                    channel=Channel.EMAIL.value,
                )
            elif rng.random() < 0.12:
                row = message_row(
                    author_type=AuthorType.AGENT.value,
                    author_id=agent[0],
                    author_name=agent[2],
                    author_email=agent[1],
                    body_text=self._fill(rng.choice(corpus.NOTES)),
                    created_at=when,
                    visibility=Visibility.INTERNAL.value,
                    channel=Channel.WEB.value,
                )
            else:
                row = message_row(
                    author_type=AuthorType.AGENT.value,
                    author_id=agent[0],
                    author_name=agent[2],
                    author_email=agent[1],
                    body_text=self._body(language, corpus.AGENT_LINES[language], agent[2]),
                    created_at=when,
                    visibility=Visibility.PUBLIC.value,
                    channel=Channel.EMAIL.value,
                )
            messages.append(row)
            when = min(self.until, when + timedelta(minutes=rng.randrange(5, 60 * 30)))
        updated = max(m["created_at"] for m in messages) if messages else created
        resolved_at = closed_at = None
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved_at = min(self.until, updated + timedelta(minutes=rng.randrange(1, 600)))
            updated = resolved_at
        if status == Status.CLOSED and resolved_at is not None:
            closed_at = min(self.until, resolved_at + timedelta(days=rng.randrange(1, 8)))
            updated = closed_at
        title = self._fill(rng.choice(corpus.TITLES[language]))
        tags = sorted(set(rng.sample(corpus.TAGS, k=rng.choice((0, 0, 1, 1, 1, 2, 3)))))
        values = {
            "title": title,
            "description": messages[0]["body_text"] if messages else title,
            "status": status.value,
            "status_id": self.status_defs[status].id,
            "priority": self.priority(),
            "source": self.source(),
            "requester_id": person.id,
            "assignee_id": agent[0] if assigned else None,
            "group_id": group_id,
            "organisation_id": person.organisation_id,
            "created_at": created,
            "updated_at": updated,
            "resolved_at": resolved_at,
            "closed_at": closed_at,
            "held_for_approval": False,
            "dormant_until": self.until + timedelta(days=rng.randrange(1, 30)) if status == Status.DORMANT else None,
        }
        return CaseBundle(case=values, messages=messages, tags=tags)


def _bar(progress: bool, total: int) -> Any:
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="generating", unit=" cases", file=sys.stderr)
