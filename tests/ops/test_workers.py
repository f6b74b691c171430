"""``veille serve --workers 2`` (issue 15): each worker listens on a socket of its own, so the
kernel spreads connections over both; a worker that dies is replaced with a socket of its own,
and no connection is left waiting on the dead one's.

With the one socket uvicorn shares, connections opened together often all went to the worker
that woke first, and two workers served what one does. Linux only (``/proc``, ``SO_REUSEPORT``);
PostgreSQL only, as every deployment with several workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, SECRET
from tests.ops.server import HOST, ServerProcess, server_env, wait_for

CONNECTIONS = 20  # all on one of two workers by chance: one in half a million
LISTEN, ESTABLISHED = "0A", "01"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


@pytest.fixture
def engine_name() -> str:
    if not POSTGRES_URL:
        pytest.skip("several workers run on PostgreSQL: set VEILLE_TEST_POSTGRES_URL")
    return "postgresql"


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    env = server_env(database_url, secret_key=SECRET, data_dir=tmp_path / "files")
    with ServerProcess(env, log_path=tmp_path / "serve.log", workers=2) as server:
        yield server


def test_each_worker_listens_on_its_own_socket_and_gets_connections(server: ServerProcess) -> None:
    listening = _listeners(server)
    assert len(listening) == 2 and len(set(listening.values())) == 2, listening
    assert _parent(server) not in listening.values()  # the parent holds no socket of its own
    with _connections(server):
        served = _holders(server, _sockets(server.port, ESTABLISHED))
        assert set(served) == set(listening.values()), (served, listening)
    logged = '"GET /healthz HTTP/1.1" 200'
    wait_for(lambda: logged in server.log_since_start(), timeout=10, what="its access log")


def test_a_second_server_on_the_same_port_is_refused(server: ServerProcess, tmp_path: Path) -> None:
    """Binding without ``SO_REUSEPORT`` first: a second Veille does not join the group."""
    second = ServerProcess(server.env, log_path=tmp_path / "second.log", workers=2, port=server.port)
    second.launch()
    assert second.process is not None
    assert second.process.wait(timeout=120) != 0
    assert "address already in use" in second.log_since_start().lower()
    assert len(_listeners(server)) == 2


def test_the_access_log_can_be_left_to_the_proxy(database_url: str, tmp_path: Path) -> None:
    env = server_env(database_url, secret_key=SECRET, data_dir=tmp_path / "files")
    log = tmp_path / "serve.log"
    quiet = ServerProcess(env, log_path=log, workers=2, options=["--no-access-log"])
    with quiet, _connections(quiet):
        pass
    assert "GET /healthz" not in log.read_text()


def test_a_worker_that_dies_is_replaced_and_no_connection_waits_for_it(server: ServerProcess) -> None:
    before = _listeners(server)
    dead = next(iter(before.values()))
    os.kill(dead, signal.SIGKILL)

    def replaced() -> bool:
        now = _listeners(server)
        return len(now) == 2 and dead not in now.values()

    wait_for(replaced, timeout=60, what="the dead worker's replacement")
    after = _listeners(server)
    assert set(after) != set(before)  # the replacement's socket is new; the dead one's is gone
    assert _sockets(server.port, LISTEN) == set(after)
    with _connections(server):
        pass  # every connection answered (within its timeout)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pins two workers to two CPUs")
def test_pinned_workers_hold_a_cpu_each_and_a_replacement_takes_the_freed_one(
    database_url: str, tmp_path: Path
) -> None:
    env = server_env(database_url, secret_key=SECRET, data_dir=tmp_path / "files")
    with ServerProcess(env, log_path=tmp_path / "serve.log", workers=2, options=["--pin-workers"]) as server:
        before = {pid: os.sched_getaffinity(pid) for pid in _listeners(server).values()}
        assert sorted(len(cpus) for cpus in before.values()) == [1, 1]
        assert len({frozenset(cpus) for cpus in before.values()}) == 2, before
        dead = next(iter(before))
        os.kill(dead, signal.SIGKILL)

        def replacement() -> int | None:
            now = set(_listeners(server).values())
            return next(iter(now - set(before)), None) if len(now) == 2 else None

        new = wait_for(replacement, timeout=60, what="the dead worker's replacement")
        assert os.sched_getaffinity(new) == before[dead]


def _parent(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


def _listeners(server: ServerProcess) -> dict[int, int]:
    """The listening sockets on the server's port: inode -> the one process holding it."""
    found = _holders(server, _sockets(server.port, LISTEN))
    return {inode: pid for pid, inodes in found.items() for inode in inodes}


def _sockets(port: int, state: str) -> set[int]:
    """The inodes of the TCP sockets whose local port is ``port``, in ``state`` (the server's
    side of each connection; ``/proc/net/tcp``)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def _holders(server: ServerProcess, inodes: set[int]) -> dict[int, set[int]]:
    """Which of the server's processes hold which of ``inodes``."""
    parent = _parent(server)
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    held: dict[int, set[int]] = {}
    for pid in [parent, *map(int, children)]:
        for fd in _fds(pid):
            target = ""
            with contextlib.suppress(FileNotFoundError):  # closed meanwhile
                target = os.readlink(fd)
            if target.startswith("socket:["):
                inode = int(target[8:-1])
                if inode in inodes:
                    held.setdefault(pid, set()).add(inode)
    return held


def _fds(pid: int) -> list[Path]:
    try:
        return list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:  # a worker that ended meanwhile
        return []


@contextlib.contextmanager
def _connections(server: ServerProcess) -> Iterator[None]:
    """``CONNECTIONS`` connections opened together, each answered once, held open inside."""
    opened = [socket.create_connection((HOST, server.port), timeout=10) for _ in range(CONNECTIONS)]
    try:
        for sock in opened:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        for sock in opened:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200"), "a connection was not answered"
        yield
    finally:
        for sock in opened:
            sock.close()
