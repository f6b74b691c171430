"""``veille serve --workers N``: uvicorn's supervisor, each worker on a listening socket of its own.

uvicorn binds one socket and shares it with every worker. When connections arrive together, the
first worker to wake accepts every one that is waiting: ten connections opened at once went all
to one worker of two in a third of the tries (measured with ``ss``), and that worker served them
alone while the other slept; behind a proxy that opens its connections in a burst, the same.
On Linux each worker here binds its own socket to the address with ``SO_REUSEPORT``; the kernel
then spreads the connections over the workers' sockets (by a hash of each connection's
addresses). Elsewhere ``SO_REUSEPORT`` does not spread connections: the one shared socket stays.

The supervisor is uvicorn's own (it restarts a worker that dies, and replaces them all on
``SIGHUP``): it asks for the workers' sockets each time it starts one, and here each asking binds
a new one. The parent's copy of that socket is closed once the worker is started (the process
object drops its arguments at its start), so a dead worker's socket leaves the group with it and
no connection waits in a queue no one reads.
"""

from __future__ import annotations

import os
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

SPREADS = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")
PIN = "VEILLE_PIN_WORKERS"  # set by ``veille serve --pin-workers`` for its workers


class _OwnSockets(Multiprocess):
    """uvicorn's supervisor, a new ``SO_REUSEPORT`` socket for each worker it starts."""

    @property
    def sockets(self) -> list[socket.socket]:
        return [_worker_socket(self.config)]

    @sockets.setter
    def sockets(self, _shared: list[socket.socket]) -> None:
        """The socket given to the supervisor is not used: each worker gets its own."""


def _worker_socket(config: Config) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((config.host, config.port))
    sock.set_inheritable(True)
    return sock


def serve(config: Config) -> None:
    """Serves ``config`` (an import string, ``workers`` > 1) until stopped, as ``uvicorn.run``
    does. uvicorn binds the address first, as it would (its message, and its exit when the
    address is taken: a socket without ``SO_REUSEPORT`` fails where any other process listens,
    so a second Veille on the same port is refused instead of joining the group)."""
    checked = config.bind_socket()
    if not SPREADS:
        Multiprocess(config, sockets=[checked]).run()
        return
    checked.close()
    _OwnSockets(config, sockets=[]).run()


def warn_unpinned(count: int, pin: bool) -> None:
    """``--pin-workers`` with one worker says it does nothing."""
    if pin and count == 1:
        print("--pin-workers pins the workers of --workers 2 or more: ignored", file=sys.stderr)


def serve_workers(app: str, count: int, pin: bool, **served: Any) -> None:
    """``app`` (the import string of an app factory) served by ``count`` workers (2 or more),
    each on a CPU of its own with ``pin`` (the factory calls :func:`pin_this_worker`)."""
    if pin:
        os.environ[PIN] = "1"
    serve(Config(app, factory=True, workers=count, **served))


def pin_this_worker() -> None:
    """With ``--pin-workers`` (Linux): this worker on one CPU of those it may use, the one its
    sibling workers hold fewest of, so that a worker replaced takes the CPU of the one it
    replaces. Called on the worker's main thread before the app starts: the threads it starts
    then (the event loop's, the database's) are pinned with it; uvicorn's own heartbeat thread,
    started before, is not (it sleeps).

    Why: a worker's threads (the event loop, the threads that run routes) hand Python's lock to
    one another; on one CPU that costs little, across two it costs more (measured on two vCPUs
    when a thread of each worker wrote the kept pages' audited reads: two workers served a kept
    audited feed 2,758 times a second unpinned, 3,882 pinned). Workers starting together
    each take a different CPU without talking: the k-th of those not yet pinned, by process id,
    takes the k-th least held."""
    if os.environ.get(PIN) != "1" or not hasattr(os, "sched_setaffinity"):
        return
    allowed = sorted(os.sched_getaffinity(0))
    me = os.getpid()
    held: Counter[int] = Counter()
    unpinned = [me]
    for pid in _siblings():
        try:
            cpus = os.sched_getaffinity(pid)
        except OSError:  # gone meanwhile
            continue
        if len(cpus) == 1 and cpus <= set(allowed):
            held.update(cpus)
        else:
            unpinned.append(pid)
    least_held = sorted(allowed, key=lambda cpu: (held[cpu], cpu))
    cpu = least_held[sorted(unpinned).index(me) % len(least_held)]
    os.sched_setaffinity(0, {cpu})


def _siblings() -> list[int]:
    """The other workers of this worker's supervisor (uvicorn starts them with ``spawn_main``)."""
    parent, me, found = os.getppid(), os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal() or int(entry.name) == me:
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found
