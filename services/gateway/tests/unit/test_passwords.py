"""Password hashing: scrypt hashes verify, are salted, and reject anything else."""

from gateway.domain import passwords


def test_hash_verifies_the_right_password_only() -> None:
    encoded = passwords.hash_password("correct horse battery staple")
    assert encoded.startswith("scrypt$")
    assert passwords.verify_password("correct horse battery staple", encoded)
    assert not passwords.verify_password("correct horse battery stapl", encoded)
    assert not passwords.verify_password("", encoded)


def test_same_password_gives_different_hashes() -> None:
    assert passwords.hash_password("secret") != passwords.hash_password("secret")


def test_the_password_is_not_in_the_hash() -> None:
    assert "hunter2" not in passwords.hash_password("hunter2")


def test_malformed_or_foreign_hashes_never_verify() -> None:
    for bad in ("", "plain", "scrypt$1$2", "bcrypt$16384$8$1$c2FsdA$aGFzaA", "scrypt$x$8$1$c2FsdA$aGFzaA"):
        assert not passwords.verify_password("secret", bad)


def test_generated_passwords_are_long_and_distinct() -> None:
    generated = {passwords.generate_password() for _ in range(20)}
    assert len(generated) == 20
    assert all(len(p) >= 16 for p in generated)
