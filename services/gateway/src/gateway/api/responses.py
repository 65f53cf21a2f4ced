"""The error answers every API router documents in OpenAPI: all leave as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable, e.g. `not_found`, `role_forbidden`, `last_admin`")
    message: str = Field(description="For people: what went wrong and, where it helps, what would be allowed")
    details: Any = Field(default=None, description="What the error is about, e.g. the field or the role needed")


class ErrorBody(BaseModel):
    """Every error of the API."""

    error: ErrorDetail


ERROR_EXAMPLE = {"error": {"code": "not_found", "message": "...", "details": None}}
ERROR: dict[str, Any] = {"description": "Error", "content": {"application/json": {"example": ERROR_EXAMPLE}}}
# 403: the key lacks a scope (`forbidden`), or the caller's role does not allow the call (`role_forbidden`:
# details name the caller's `role` and the role `needed`; decision 0195)
FORBIDDEN: dict[str, Any] = {
    "description": "Not allowed: the key lacks a scope (`forbidden`) or the caller's role does not allow the call"
    " (`role_forbidden`, with the caller's `role` and the role `needed` in `details`)",
    "model": ErrorBody,
    "content": {
        "application/json": {
            "example": {
                "error": {
                    "code": "role_forbidden",
                    "message": "POST /api/v1/groups needs an admin; you act as agent",
                    "details": {"role": "agent", "needed": "admin"},
                }
            }
        }
    },
}
# the answers any route of the API may give: no or a bad key, a missing scope or role, an unknown id, invalid
# input, a service that did not answer in time
COMMON: dict[int | str, dict[str, Any]] = {401: ERROR, 403: FORBIDDEN, 404: ERROR, 422: ERROR, 503: ERROR}
