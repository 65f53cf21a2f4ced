"""Machine-readable error codes shared by every service, and the one table that maps them to HTTP."""

from __future__ import annotations

from typing import Any

NOT_FOUND = "not_found"
VALIDATION_ERROR = "validation_error"
VERSION_CONFLICT = "version_conflict"
PRECONDITION_REQUIRED = "precondition_required"
INVALID_TRANSITION = "invalid_transition"
IDEMPOTENCY_CONFLICT = "idempotency_conflict"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
PAYLOAD_TOO_LARGE = "payload_too_large"
RATE_LIMITED = "rate_limited"
SERVICE_UNAVAILABLE = "service_unavailable"
INTERNAL_ERROR = "internal_error"
# -- case work: an approval can be decided once
ALREADY_DECIDED = "already_decided"
# -- case model
UNKNOWN_STATUS = "unknown_status"
INVALID_CUSTOM_FIELD = "invalid_custom_field"
REQUIRED_FIELD_MISSING = "required_field_missing"
# -- search and views
INVALID_FILTER = "invalid_filter"
AGENT_REQUIRED = "agent_required"
# -- agent accounts
AGENT_DEACTIVATED = "agent_deactivated"
DEACTIVATE_SELF = "deactivate_self"
LAST_ADMIN = "last_admin"
# -- roles (decision 0195): the caller's role does not allow the call; a light agent owns no work
ROLE_FORBIDDEN = "role_forbidden"
LIGHT_AGENT_NOT_ASSIGNABLE = "light_agent_not_assignable"
# -- API keys: the desk keeps one way in for an admin (decision 0191)
LAST_ADMIN_CREDENTIAL = "last_admin_credential"
# -- department forms: a definition that cannot be rendered or mapped (details.path names the bad part)
FORM_DUPLICATE_KEY = "form_duplicate_key"
FORM_OPTIONS_INVALID = "form_options_invalid"
FORM_UNKNOWN_MAPS_TO = "form_unknown_maps_to"
FORM_MAPS_TO_MISMATCH = "form_maps_to_mismatch"
FORM_SHOW_IF_INVALID = "form_show_if_invalid"
FORM_UNKNOWN_GROUP = "form_unknown_group"
# -- organisations: a free-mail domain (gmail.com, ...) is nobody's company (decision 0220)
FREE_MAIL_DOMAIN = "free_mail_domain"
# -- a mail from someone not on the case: only such an entry can be made public or its sender added
NOT_FROM_OUTSIDER = "not_from_outsider"
# OAuth2 mailboxes: no usable tokens (never connected, or the provider refused a refresh); a consent answer
# whose state is unknown, used or expired; the provider refused the code or the client
OAUTH_NOT_CONNECTED = "oauth_not_connected"
OAUTH_STATE_INVALID = "oauth_state_invalid"
OAUTH_PROVIDER_REFUSED = "oauth_provider_refused"
# -- bulk changes to cases: one request names at most 500 cases
TOO_MANY_CASES = "too_many_cases"
# -- presence: "typing" on a case the caller has no page of open
NOT_VIEWING = "not_viewing"
# -- the portal: an address that may not register (decision 0252); an upload of a type we do not take
REGISTRATION_REFUSED = "registration_refused"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"

HTTP_STATUS: dict[str, int] = {
    NOT_FOUND: 404,
    VALIDATION_ERROR: 422,
    VERSION_CONFLICT: 409,
    PRECONDITION_REQUIRED: 428,
    INVALID_TRANSITION: 422,
    IDEMPOTENCY_CONFLICT: 409,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    PAYLOAD_TOO_LARGE: 413,
    RATE_LIMITED: 429,
    SERVICE_UNAVAILABLE: 503,
    INTERNAL_ERROR: 500,
    ALREADY_DECIDED: 409,
    UNKNOWN_STATUS: 422,
    INVALID_CUSTOM_FIELD: 422,
    REQUIRED_FIELD_MISSING: 422,
    INVALID_FILTER: 422,
    AGENT_REQUIRED: 422,
    AGENT_DEACTIVATED: 409,
    DEACTIVATE_SELF: 409,
    LAST_ADMIN: 409,
    ROLE_FORBIDDEN: 403,
    LIGHT_AGENT_NOT_ASSIGNABLE: 422,
    LAST_ADMIN_CREDENTIAL: 409,
    FORM_DUPLICATE_KEY: 422,
    FORM_OPTIONS_INVALID: 422,
    FORM_UNKNOWN_MAPS_TO: 422,
    FORM_MAPS_TO_MISMATCH: 422,
    FORM_SHOW_IF_INVALID: 422,
    FORM_UNKNOWN_GROUP: 422,
    FREE_MAIL_DOMAIN: 422,
    NOT_FROM_OUTSIDER: 422,
    OAUTH_NOT_CONNECTED: 409,
    OAUTH_STATE_INVALID: 400,
    OAUTH_PROVIDER_REFUSED: 502,
    TOO_MANY_CASES: 422,
    NOT_VIEWING: 409,
    REGISTRATION_REFUSED: 403,
    UNSUPPORTED_MEDIA_TYPE: 415,
}


class DomainError(Exception):
    """A rule said no. Raised in a service, carried over RPC as exc_args, mapped once at the edge.

    Subclass per code; keep the constructor signature (code, message, details) so the RPC
    error (`exc_args`) can be turned back into the same error by the caller.
    """

    code: str = INTERNAL_ERROR

    def __init__(self, code: str | None = None, message: str = "", details: Any = None) -> None:
        self.code = code or type(self).code
        self.message = message or self.code
        self.details = details
        super().__init__(self.code, self.message, details)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(DomainError):
    code = NOT_FOUND


class ValidationFailed(DomainError):
    code = VALIDATION_ERROR


class VersionConflict(DomainError):
    code = VERSION_CONFLICT


class InvalidTransition(DomainError):
    code = INVALID_TRANSITION


def http_status(code: str) -> int:
    """HTTP status for an error code (500 for codes we do not know)."""
    return HTTP_STATUS.get(code, 500)


# -- case model


class UnknownStatus(DomainError):
    code = UNKNOWN_STATUS


class InvalidCustomField(DomainError):
    code = INVALID_CUSTOM_FIELD


class RequiredFieldMissing(DomainError):
    code = REQUIRED_FIELD_MISSING


# -- search and views


class InvalidFilter(DomainError):
    """A filter, sort or cursor the search cannot apply (details name the field)."""

    code = INVALID_FILTER


class AgentRequired(DomainError):
    """A personal view or saved search asked for by a caller that is not an agent."""

    code = AGENT_REQUIRED


# -- department forms


class InvalidForm(DomainError):
    """A form definition refused; `details.path` is where in it (e.g. `pages[1].fields[0].show_if.key`)."""

    code = FORM_OPTIONS_INVALID
