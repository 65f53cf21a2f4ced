"""nameko DependencyProviders of the worker (external systems wrapped, as in nameko-examples)."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from chassis.blobstore import BlobStore
from mail_gateway.settings import MailGatewaySettings


class Blobs(DependencyProvider):
    """The content-addressed store of raw mail and attachments."""

    def setup(self) -> None:
        self.store = BlobStore(MailGatewaySettings().blob_path)

    def get_dependency(self, worker_ctx: Any) -> BlobStore:
        return self.store
