"""The benchmark's control (``make bench BENCH_ARGS="… --paired --control"``): a server that
answers each request with the bytes it asks for (``/?bytes=N``) and does nothing else, served by
``veille bench control`` with the workers, sockets and pinning of ``veille serve``.

Why: a kept page costs a worker tens of microseconds, of the order of what the kernel spends
carrying its request and its answer between wrk, the worker and the database. How many more
such pages two workers serve than one is then partly the machine's figure; this server's, on
the page's bytes, is the machine's alone (bench/README.md).
"""

from __future__ import annotations

import argparse
from functools import lru_cache
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from veille.cli import workers

HOST = "127.0.0.1"
APP = "veille.cli.control:app"  # the import string uvicorn's workers load
MAX_BYTES = 16 * 1024 * 1024


def cmd_bench_control(args: argparse.Namespace) -> int:
    """Serves the control until stopped, as ``veille serve`` would serve Veille."""
    import uvicorn

    workers.warn_unpinned(args.workers, args.pin_workers)
    served = {"host": HOST, "port": args.port, "log_level": "warning", "access_log": False}
    if args.workers == 1:
        uvicorn.run(APP, factory=True, **served)
    else:
        workers.serve_workers(APP, args.workers, args.pin_workers, **served)
    return 0


def app() -> _Control:
    """One worker's app (a factory, for uvicorn): pinned first, as Veille's workers are."""
    workers.pin_this_worker()
    return _Control()


class _Control:
    """Any request: the N bytes of HTML its ``bytes`` parameter asks for (none without one), or
    400 with the reason (the bench waits for it on ``/healthz``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to start
            return
        asked = parse_qs(scope["query_string"].decode("latin-1")).get("bytes", ["0"])[-1]
        status, body = (200, _body(int(asked))) if _size(asked) else (400, b"bytes: 0 to 16 MiB\n")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8" if status == 200 else b"text/plain"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _size(asked: str) -> bool:
    # Its length first: ``int`` refuses more than 4,300 digits.
    return asked.isdecimal() and len(asked) <= 8 and int(asked) <= MAX_BYTES


@lru_cache(maxsize=128)
def _body(size: int) -> bytes:
    return b"x" * size
