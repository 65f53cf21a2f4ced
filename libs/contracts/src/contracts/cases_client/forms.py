"""Cases RPCs of department forms: admins' definitions, and the published ones the portal shows."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.forms import FormPatch, FormRead, FormWrite
from contracts.rpc import rpc


class FormRpc:
    @rpc
    def list_forms(self) -> list[FormRead]: ...

    @rpc
    def get_form(self, *, form_id: int) -> FormRead: ...

    @rpc
    def save_form(
        self, *, data: FormWrite, form_id: int | None = None, expected_version: int | None = None
    ) -> FormRead:
        """Create (no `form_id`) or replace a definition; an unsound one raises InvalidForm with `details.path`."""

    @rpc
    def change_form(self, *, form_id: int, changes: FormPatch, expected_version: int | None = None) -> FormRead:
        """Only the parts set in `changes` change (`{"published": false}` unpublishes)."""

    @rpc
    def delete_form(self, *, form_id: int) -> None: ...


class PublishedFormRpc:
    """What the portal may read: published forms only (an unpublished one is not found)."""

    @rpc
    def list_published_forms(self) -> list[FormRead]: ...

    @rpc
    def get_published_form(self, *, form_id: int) -> FormRead: ...
