"""The error answers every API router documents in OpenAPI: all leave as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

ERROR_EXAMPLE = {"error": {"code": "not_found", "message": "...", "details": None}}
ERROR: dict[str, Any] = {"description": "Error", "content": {"application/json": {"example": ERROR_EXAMPLE}}}
# the answers any route of the API may give: no or a bad key, a missing scope, an unknown id, invalid input,
# a service that did not answer in time
COMMON: dict[int | str, dict[str, Any]] = {401: ERROR, 403: ERROR, 404: ERROR, 422: ERROR, 503: ERROR}
