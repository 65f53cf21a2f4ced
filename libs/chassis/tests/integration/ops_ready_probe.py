"""How often a worker's first /healthz 200 comes before its RPC queue is consumed (decision 0169).

`python libs/chassis/tests/integration/ops_ready_probe.py [runs]`: starts ops_ready_service.py (no delay) on a
fresh vhost per run, polls /healthz every 10 ms and, at the first 200, asks the broker for the consumer count
of `rpc-opsready` (None: the queue does not exist yet). Against another checkout of chassis, put its `src` first
on PYTHONPATH. Needs PostgreSQL and RabbitMQ as the integration tests do.
"""

from __future__ import annotations

import subprocess
import sys
import time

from conftest import Base
from test_ops_ready import SERVICE, _consumer_counts, _healthz

from chassis.db import make_engine
from chassis.settings import repo_root
from chassis.testing import amqp_vhost, free_port, pg_database


def main(runs: int) -> None:
    consumed = 0
    with pg_database("chassis") as database:
        engine = make_engine(database)
        Base.metadata.create_all(engine)
        engine.dispose()
        for _ in range(runs):
            with amqp_vhost() as amqp_uri:
                port = free_port()
                started = time.monotonic()
                proc = subprocess.Popen(
                    [sys.executable, str(SERVICE), amqp_uri, database, str(port)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=repo_root(),
                )
                try:
                    while (answer := _healthz(f"http://127.0.0.1:{port}/healthz")) is None or answer[0] != 200:
                        if time.monotonic() - started > 30:
                            raise TimeoutError("/healthz never 200")
                        time.sleep(0.01)
                    ready = time.monotonic() - started
                    consumers = _consumer_counts(amqp_uri)["rpc-opsready"]
                finally:
                    proc.terminate()
                    try:
                        proc.wait(15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(10)
                consumed += bool(consumers)
                print(f"first 200 after {ready:.2f} s; rpc-opsready consumers then: {consumers}")
    print(f"consumed at the first 200: {consumed}/{runs}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
