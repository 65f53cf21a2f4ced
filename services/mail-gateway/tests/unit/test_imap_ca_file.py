"""MAIL_GATEWAY_IMAP_CA_FILE (decision 0157): checked when the settings load, added to the system's trust."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pki import make_ca
from pydantic import ValidationError

from mail_gateway.imap import tls_context
from mail_gateway.settings import MailGatewaySettings


def test_a_missing_or_empty_ca_file_stops_the_service_from_starting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a readable PEM CA bundle"):
        MailGatewaySettings(imap_ca_file=tmp_path / "missing.pem")
    (tmp_path / "empty.pem").write_text("no certificate here\n")
    with pytest.raises(ValidationError, match="not a readable PEM CA bundle"):
        MailGatewaySettings(imap_ca_file=tmp_path / "empty.pem")
    assert MailGatewaySettings(imap_ca_file="").imap_ca_file is None  # an empty variable means unset


def test_the_ca_file_is_trusted_besides_the_system_store_and_verification_stays_on(tmp_path: Path) -> None:
    ca = make_ca("Unit Test CA")
    path = tmp_path / "ca.pem"
    path.write_bytes(ca.cert_pem)
    assert MailGatewaySettings(imap_ca_file=path).imap_ca_file == path
    context = tls_context(str(path))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    subjects = [dict(x[0] for x in c["subject"]).get("commonName") for c in context.get_ca_certs()]
    assert "Unit Test CA" in subjects
