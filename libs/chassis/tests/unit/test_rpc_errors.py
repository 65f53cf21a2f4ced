from chassis.rpc_client import remote_error
from contracts import errors


def test_domain_errors_cross_rpc_with_their_code_message_and_details():
    exc = errors.VersionConflict(message="case 3 changed", details={"current": {"version": 4}})
    wire = {"exc_type": "VersionConflict", "exc_path": "contracts.errors.VersionConflict", "exc_args": list(exc.args)}
    back = remote_error(wire)
    assert (back.code, back.message, back.details) == (
        "version_conflict",
        "case 3 changed",
        {"current": {"version": 4}},
    )
    assert errors.http_status(back.code) == 409


def test_unknown_remote_errors_become_internal_errors_without_leaking_text():
    back = remote_error({"exc_type": "KeyError", "exc_args": ["secret-ish detail"], "value": "KeyError('x')"})
    assert back.code == errors.INTERNAL_ERROR
    assert "secret-ish" not in back.message
