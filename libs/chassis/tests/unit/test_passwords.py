"""Password hashing (Argon2id, older scrypt hashes still verify and are marked for rehashing) and the rules
a new password must pass."""

import base64
import hashlib

import pytest

from chassis import passwords


def _scrypt_hash(password: str) -> str:
    """A hash as the gateway stored them before Argon2 (scrypt$n$r$p$salt$hash)."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32, maxmem=64 * 1024 * 1024)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return f"scrypt$16384$8$1${b64(salt)}${b64(digest)}"


def test_hash_verifies_the_right_password_only() -> None:
    encoded = passwords.hash_password("correct horse battery staple")
    assert encoded.startswith("$argon2id$")
    assert passwords.verify_password("correct horse battery staple", encoded)
    assert not passwords.verify_password("correct horse battery stapl", encoded)
    assert not passwords.verify_password("", encoded)
    assert not passwords.needs_rehash(encoded)


def test_older_scrypt_hashes_still_verify_and_need_a_rehash() -> None:
    encoded = _scrypt_hash("correct horse battery staple")
    assert passwords.verify_password("correct horse battery staple", encoded)
    assert not passwords.verify_password("correct horse battery stapl", encoded)
    assert passwords.needs_rehash(encoded)


def test_same_password_gives_different_hashes() -> None:
    assert passwords.hash_password("secret") != passwords.hash_password("secret")


def test_the_password_is_not_in_the_hash() -> None:
    assert "hunter2" not in passwords.hash_password("hunter2")


def test_malformed_or_foreign_hashes_never_verify() -> None:
    for bad in (
        "",
        "plain",
        "scrypt$1$2",
        "bcrypt$16384$8$1$c2FsdA$aGFzaA",
        "scrypt$x$8$1$c2FsdA$aGFzaA",
        "$argon2id$x",
    ):
        assert not passwords.verify_password("secret", bad)


def test_generated_passwords_are_long_and_distinct() -> None:
    generated = {passwords.generate_password() for _ in range(20)}
    assert len(generated) == 20
    assert all(len(p) >= 16 for p in generated)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-one", "at least 12"),
        ("x" * 257, "at most 256"),
        ("qwerty123456", "too common"),  # in the common list
        ("Password2024!", "too common"),  # a common one with digits and symbols tacked on
        ("monkeymonkey", "too common"),  # a common one twice
        ("aaaaaaaaaaaaaa", "too common"),  # three characters or fewer, repeated
        ("nora.lindqvist", "email address"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, problem: str) -> None:
    found = passwords.password_problem(password, email="nora.lindqvist@example.com")
    assert found is not None and problem in found


def test_a_long_uncommon_password_passes() -> None:
    assert passwords.password_problem("violet tractor sings at dawn", email="nora@example.com") is None


def test_the_common_list_comes_from_the_package() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 20_000
    assert {"123456", "password", "qwerty"} <= common
