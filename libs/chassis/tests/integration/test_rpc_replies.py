"""`@domain_rpc` replies over the worker's one reply connection, against real RabbitMQ (decision 0163).

The service (rpc_echo_service.py) runs as its own eventlet process, as the workers do; the async RpcClient
of the web apps calls it. Replies must reach the caller that asked, under concurrent calls whose replies go
out in another order; errors map as before; and when the broker closes the reply connection, the next
replies still arrive (over a new connection).
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chassis.rpc_client import RpcClient
from chassis.settings import repo_root
from chassis.testing import amqp_vhost, wait_until
from contracts import errors

SERVICE = Path(__file__).with_name("rpc_echo_service.py")
REPLY_CONNECTION = "echo rpc replies"


@pytest.fixture(scope="module")
def amqp_uri() -> Iterator[str]:
    with amqp_vhost() as uri:
        yield uri


@pytest.fixture(scope="module")
def service(amqp_uri: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, str(SERVICE), amqp_uri], cwd=repo_root())
    try:
        wait_until(lambda: _answers(amqp_uri), timeout=30, what="the echo service answering")
        yield proc
    finally:
        proc.terminate()
        proc.wait(15)


async def _call(amqp_uri: str, method: str, timeout: float = 10, **kwargs: Any) -> Any:
    client = RpcClient(amqp_uri, timeout=timeout, name="t")
    await client.connect()
    try:
        return await client.call("echo", method, **kwargs)
    finally:
        await client.close()


def _answers(amqp_uri: str) -> bool:
    try:
        return bool(asyncio.run(_call(amqp_uri, "echo", value="up", timeout=5)) == {"value": "up"})
    except errors.DomainError as exc:  # no queue yet: not started
        assert exc.code == errors.SERVICE_UNAVAILABLE
        return False


def _reply_connection_info(vhost: str, field: str) -> list[str]:
    """`field` of each of the service's reply connections on this vhost, as `rabbitmqctl list_connections` shows it."""
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", field, "vhost", "client_properties"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    rows = [line.split("\t", 2) for line in out.splitlines()[1:]]
    return [r[0] for r in rows if len(r) == 3 and r[1] == vhost and f'"{REPLY_CONNECTION}"' in r[2]]


def _reply_connections(vhost: str) -> list[str]:
    """The broker's process ids of the service's reply connections on this vhost (as close_connection takes)."""
    return _reply_connection_info(vhost, "pid")


def test_the_held_reply_connection_has_no_heartbeat_for_the_broker_to_miss(
    amqp_uri: str, service: subprocess.Popen[bytes]
) -> None:
    """Nothing runs py-amqp's heartbeat on the reply connection, so none may be negotiated: RabbitMQ (60 s by
    default) would close an idle worker's reply connection after two missed ones. py-amqp answers the
    broker's tune with 0 when the client asks for none (`Connection._on_tune`), so the broker never times it
    out; TCP keepalive (py-amqp's socket settings) still finds a dead peer."""
    assert asyncio.run(_call(amqp_uri, "echo", value="up")) == {"value": "up"}
    assert _reply_connection_info(amqp_uri.rsplit("/", 1)[1], "timeout") == ["0"]


def test_concurrent_calls_each_get_their_own_reply(amqp_uri: str, service: subprocess.Popen[bytes]) -> None:
    async def scenario() -> None:
        client = RpcClient(amqp_uri, timeout=20, name="t")
        await client.connect()
        try:
            rng = random.Random(7)
            calls = [client.call("echo", "echo", value=i, delay=rng.random() * 0.05) for i in range(60)]
            calls += [client.call("echo", "echo_raw", value=f"r{i}") for i in range(20)]
            calls += [client.call("echo", "plain", value=i) for i in range(20)]  # a plain @rpc in the same service
            results = await asyncio.gather(*calls)
            assert results[:60] == [{"value": i} for i in range(60)]
            assert results[60:80] == [{"value": f"r{i}"} for i in range(20)]
            assert results[80:] == [{"plain": i} for i in range(20)]
            assert not client._pending
        finally:
            await client.close()

    asyncio.run(scenario())
    assert len(_reply_connections(amqp_uri.rsplit("/", 1)[1])) == 1  # one connection carries every reply


def test_errors_map_as_before(amqp_uri: str, service: subprocess.Popen[bytes]) -> None:
    with pytest.raises(errors.DomainError) as raised:
        asyncio.run(_call(amqp_uri, "missing", case_id=9))
    assert (raised.value.code, raised.value.details) == ("not_found", {"case_id": 9, "archived": None})
    with pytest.raises(errors.DomainError) as raised:
        asyncio.run(_call(amqp_uri, "echo", value=1, colour="red"))  # not in the signature
    assert raised.value.code == errors.INTERNAL_ERROR
    assert "IncorrectSignature" in raised.value.message and "colour" in raised.value.message
    with pytest.raises(errors.DomainError) as raised:
        asyncio.run(_call(amqp_uri, "no_such_method"))
    assert "MethodNotFound" in raised.value.message


def test_typed_entrypoints_parse_arguments_and_refuse_bad_ones_over_the_wire(
    amqp_uri: str, service: subprocess.Popen[bytes]
) -> None:
    assert asyncio.run(_call(amqp_uri, "weigh", parcel={"label": "box", "weight": 2}, times="3")) == {
        "label": "BOX",
        "weight": 6,
    }
    with pytest.raises(errors.DomainError) as raised:
        asyncio.run(_call(amqp_uri, "weigh", parcel={"label": "box", "weight": "heavy"}))
    assert (raised.value.code, raised.value.message) == (errors.VALIDATION_ERROR, "parcel is invalid")
    assert [d["loc"] for d in raised.value.details] == [["parcel", "weight"]]
    with pytest.raises(errors.DomainError) as raised:
        asyncio.run(_call(amqp_uri, "weigh", parcel={"label": "box", "weight": 1}, colour="red"))
    assert "IncorrectSignature" in raised.value.message and "colour" in raised.value.message


def test_replies_arrive_after_the_broker_closed_the_reply_connection(
    amqp_uri: str, service: subprocess.Popen[bytes]
) -> None:
    vhost = amqp_uri.rsplit("/", 1)[1]
    assert asyncio.run(_call(amqp_uri, "echo", value="before")) == {"value": "before"}
    (closed,) = _reply_connections(vhost)
    subprocess.run(["rabbitmqctl", "-q", "close_connection", closed, "test"], check=True, timeout=60)
    # the broker now waits for the close-ok of a connection nobody reads: the next reply finds the close

    async def after() -> list[Any]:
        client = RpcClient(amqp_uri, timeout=10, name="t")
        await client.connect()
        try:  # the first reply after the close must not be lost on the dead connection
            first = await client.call("echo", "echo", value="first")
            rest = await asyncio.gather(*(client.call("echo", "echo", value=i) for i in range(10)))
            return [first, *rest]
        finally:
            await client.close()

    assert asyncio.run(after()) == [{"value": "first"}, *({"value": i} for i in range(10))]
    reopened = wait_until(lambda: [c for c in _reply_connections(vhost) if c != closed], what="a new connection")
    assert closed not in _reply_connections(vhost) and len(reopened) == 1
    assert service.poll() is None  # the worker lived through it
