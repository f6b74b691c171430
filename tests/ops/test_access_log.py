"""The access log of ``veille serve`` hides the secrets in three addresses: a link that sets a
password, a calendar feed's, a meeting's answer link (their route, method and status stay),
however the client spells the path (uvicorn logs it undecoded). One worker on SQLite, two on
PostgreSQL: each worker process configures its own logging."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import SECRET
from tests.ops.server import ServerProcess, server_env, wait_for

RESET = "Zq3kR8vX2mN5pL7wT1yB4cD6fH9jK0sA"
FEED = "7-2-0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"
SIGNATURE = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
# What the client asks -> how the line reads (each reaches its route, or Starlette's redirect).
ASKED = {
    f"/password/reset/{RESET}": "/password/reset/[hidden]",
    f"/password%2Freset/{RESET}": "/password/reset/[hidden]",
    f"/password/reset//{RESET}": "/password/reset/[hidden]",
    f"/calendar/{FEED}.ics": "/calendar/[hidden]",
    f"/calendar/{FEED}%2Eics": "/calendar/[hidden]",
    f"/calendar/{FEED}.ics/": "/calendar/[hidden]",
    f"/meetings/1/answer/2/{SIGNATURE}?answer=yes": "/meetings/1/answer/2/[hidden]?answer=yes",
    "/password/forgot": "/password/forgot",  # no secret in it: as asked
}


def test_the_access_log_hides_reset_links_calendar_addresses_and_answer_links(
    database_url: str, engine_name: str, tmp_path: Path
) -> None:
    env = server_env(database_url, secret_key=SECRET, data_dir=tmp_path / "files")
    workers = 2 if engine_name == "postgresql" else 1
    with ServerProcess(env, log_path=tmp_path / "serve.log", workers=workers) as server:
        for _ in range(workers * 2):  # connections spread over the workers
            with httpx.Client(base_url=server.url) as client:
                for asked in ASKED:
                    client.get(httpx.URL(server.url + asked))  # sent as spelled
        logged = wait_for(
            lambda: (
                (log := server.log_since_start()).count('"GET /password/forgot HTTP/1.1" 200') == workers * 2
                and log
            ),
            timeout=10,
            what="the access log's lines",
        )
    lines = [line for line in logged.splitlines() if '"GET ' in line and "/healthz" not in line]
    assert len(lines) == len(ASKED) * workers * 2, logged
    for shown in ASKED.values():
        assert f'"GET {shown} HTTP/1.1"' in logged, (shown, logged)
    for secret in (RESET, FEED, SIGNATURE):
        assert secret not in logged, logged
