"""The cases nameko service: entrypoints only; the work happens in handlers and queries."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from nameko.events import event_handler
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from cases import handlers, queries
from cases.db.models import OutboxMessage, ProcessedEvent
from cases.settings import CasesSettings
from chassis.nameko_rpc import domain_rpc
from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, run_service
from contracts.cases import Actor, CaseCreate, CaseFilter, CaseUpdate, MessageCreate, Visibility
from contracts.envelope import Envelope
from contracts.errors import ValidationFailed
from contracts.mail_gateway import MailReceived
from contracts.notifications import NotificationSent

M = TypeVar("M", bound=BaseModel)


def _invalid(name: str, exc: ValidationError) -> ValidationFailed:
    details = json.loads(exc.json(include_url=False))
    return ValidationFailed(message=f"{name} is invalid", details=[{**d, "loc": [name, *d["loc"]]} for d in details])


def _parse(model: type[M], value: Any, name: str) -> M:
    """The contract model for an RPC argument, or ValidationFailed with pydantic's error details."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise _invalid(name, exc) from None


def _value(kind: Any, value: Any, name: str) -> Any:
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        raise _invalid(name, exc) from None


def _dump(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json")


class CasesService:
    name = "cases"

    runtime: Runtime = ServiceRuntime(CasesSettings, OutboxMessage, ProcessedEvent)

    def _session(self) -> Session:
        return self.runtime.session_factory()

    @domain_rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    # -- agent side ------------------------------------------------------------------------

    @domain_rpc
    def create_case(self, *, data: Any, actor: Any, idempotency_key: str | None = None) -> dict[str, Any]:
        case = handlers.create_case(
            runtime=self.runtime,
            data=_parse(CaseCreate, data, "data"),
            actor=_parse(Actor, actor, "actor"),
            idempotency_key=_value(str | None, idempotency_key, "idempotency_key"),
        )
        return _dump(case)

    @domain_rpc
    def get_case(self, *, case_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(queries.get_case(session=session, case_id=_value(int, case_id, "case_id")))

    @domain_rpc
    def list_cases(self, *, filters: Any = None) -> dict[str, Any]:
        with self._session() as session:
            return _dump(queries.list_cases(session=session, filters=_parse(CaseFilter, filters or {}, "filters")))

    @domain_rpc
    def update_case(self, *, case_id: Any, changes: Any, expected_version: Any = None, actor: Any) -> dict[str, Any]:
        case = handlers.update_case(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            changes=_parse(CaseUpdate, changes, "changes"),
            expected_version=_value(int | None, expected_version, "expected_version"),
            actor=_parse(Actor, actor, "actor"),
        )
        return _dump(case)

    @domain_rpc
    def add_message(self, *, case_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        message = handlers.add_message(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            data=_parse(MessageCreate, data, "data"),
            actor=_parse(Actor, actor, "actor"),
        )
        return _dump(message)

    @domain_rpc
    def list_messages(self, *, case_id: Any, visibility: Any = None) -> list[dict[str, Any]]:
        with self._session() as session:
            messages = queries.list_messages(
                session=session,
                case_id=_value(int, case_id, "case_id"),
                visibility=_value(Visibility | None, visibility, "visibility"),
            )
            return [_dump(m) for m in messages]

    # -- directory -------------------------------------------------------------------------

    @domain_rpc
    def list_groups(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(g) for g in queries.list_groups(session=session)]

    @domain_rpc
    def list_agents(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(a) for a in queries.list_agents(session=session)]

    @domain_rpc
    def get_agent_by_email(self, *, email: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(queries.get_agent_by_email(session=session, email=_value(str, email, "email")))

    @domain_rpc
    def get_contact_by_email(self, *, email: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(queries.get_contact_by_email(session=session, email=_value(str, email, "email")))

    # -- portal: always scoped to the signed-in contact --------------------------------------

    @domain_rpc
    def list_cases_for_contact(self, *, contact_id: Any, cursor: Any = None, limit: Any = 25) -> dict[str, Any]:
        with self._session() as session:
            page = queries.list_cases_for_contact(
                session=session,
                contact_id=_value(int, contact_id, "contact_id"),
                cursor=_value(str | None, cursor, "cursor"),
                limit=_value(Annotated[int, Field(ge=1, le=100)], limit, "limit"),
            )
            return _dump(page)

    @domain_rpc
    def get_case_for_contact(self, *, case_id: Any, contact_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return queries.get_case_for_contact(
                session=session,
                case_id=_value(int, case_id, "case_id"),
                contact_id=_value(int, contact_id, "contact_id"),
            )

    @domain_rpc
    def add_contact_message(self, *, case_id: Any, contact_id: Any, body: Any) -> dict[str, Any]:
        message = handlers.add_contact_message(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            contact_id=_value(int, contact_id, "contact_id"),
            body=_parse(MessageCreate, {"body": body}, "body").body,
        )
        return _dump(message)

    # -- events ----------------------------------------------------------------------------

    @event_handler("mail_gateway", "mail_received", requeue_on_error=True)
    @idempotent
    def on_mail_received(self, session: Session, envelope: Envelope) -> None:
        handlers.apply_mail_received(
            runtime=self.runtime,
            session=session,
            payload=envelope.open(MailReceived),
            correlation_id=envelope.correlation_id or envelope.event_id,
        )

    @event_handler("notifications", "notification_sent", requeue_on_error=True)
    @idempotent
    def on_notification_sent(self, session: Session, envelope: Envelope) -> None:
        handlers.apply_notification_sent(session=session, payload=envelope.open(NotificationSent))


def main() -> None:
    run_service(CasesService, CasesSettings())
