"""The VAPID key (E2, Web Push): from the settings, else generated once into var/, never in the repository."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from notifications.push import rules as push_rules
from notifications.push import webpush
from notifications.settings import NotificationsSettings


def _settings(tmp_path: Path, key: str = "") -> NotificationsSettings:
    # the shared fields are read by their HELPDESK_ names
    fields = {"HELPDESK_VAR_DIR": tmp_path, "HELPDESK_ENV": "development", "vapid_private_key": key}
    settings = NotificationsSettings(**fields)  # type: ignore[arg-type]
    assert settings.var_dir == tmp_path
    return settings


def test_a_key_is_generated_once_into_var_and_kept(tmp_path: Path) -> None:
    first = webpush.public_key(_settings(tmp_path))
    key_file = tmp_path / webpush.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert webpush.public_key(_settings(tmp_path)) == first  # read back, not made anew
    point = push_rules.unb64(first)
    assert point is not None and len(point) == 65 and point[0] == 4
    other = tmp_path / "other"
    assert webpush.public_key(_settings(other)) != first


def test_a_configured_key_wins_raw_or_pem(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    expected = push_rules.b64(
        private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    raw = push_rules.b64(private.private_numbers().private_value.to_bytes(32, "big"))
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert webpush.public_key(_settings(tmp_path, raw)) == expected
    assert webpush.public_key(_settings(tmp_path, pem)) == expected
    assert not (tmp_path / webpush.KEY_FILE).exists()
