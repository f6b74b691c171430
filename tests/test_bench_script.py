"""Where ``make bench`` puts what it measures (scripts/bench.py, issue 15): each server's CPUs,
its load's and its database's, with and without ``--shared-cpus``, whose tables say two workers
had twice the machine one had. The pinning is tried on a tree of processes of the test's own
standing in for PostgreSQL's (pinning the suite's PostgreSQL would slow the other tests).
``--control``: the server measured beside each page (``veille bench control``), run for real,
and the columns it adds to the table."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.ops.server import HOST, free_port, veille_command, wait_for

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def parse(bench: ModuleType, monkeypatch: pytest.MonkeyPatch, *options: str) -> argparse.Namespace:
    monkeypatch.setattr(sys, "argv", ["bench.py", *options])
    args: argparse.Namespace = bench._parse()
    return args


def placed(bench: ModuleType, args: argparse.Namespace) -> list[tuple[int, str, str, str, bool]]:
    return [(s.workers, s.cpus, s.client_cpus, s.database_cpus, s.pinned) for s in bench._servers(args)]


def test_paired_workers_leave_wrk_its_cpu_and_the_database_unpinned(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = parse(bench, monkeypatch, "--workers", "2", "--server-cpus", "0,1", "--paired", "--pin-workers")
    assert placed(bench, args) == [(1, "0", "1", "", False), (2, "0,1", "1", "", True)]


def test_shared_cpus_give_each_server_its_load_and_its_database(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = parse(bench, monkeypatch, "--workers", "2", "--server-cpus", "0-1", "--paired", "--shared-cpus")
    assert placed(bench, args) == [(1, "0", "0", "0", False), (2, "0-1", "0-1", "0-1", False)]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--shared-cpus", "--client-cpus", "1"), "give no --client-cpus"),
        (("--server-cpus", "0-x"), "not 0-x"),
        (("--server-cpus", "1-0"), "not 1-0"),
        (("--client-cpus", "4096"), "not 4096"),
        (("--workers", "2", "--server-cpus", "0,1", "--control"), "give --paired"),
    ],
)
def test_placements_it_cannot_make_are_refused_before_anything_starts(
    bench: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    said: str,
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(bench, monkeypatch, *options)
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err


def test_cpu_lists_read_as_taskset_lists(bench: ModuleType) -> None:
    assert bench._cpu_set("0") == {0}
    assert bench._cpu_set("0-2,5") == {0, 1, 2, 5}


@pytest.fixture
def tree() -> Iterator[tuple[int, int]]:
    """A process and the child it forked, of one command name, as a postmaster and a backend;
    the child says its number once it runs."""
    child = "import os, time\nif os.fork() == 0:\n    print(os.getpid(), flush=True)\ntime.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert parent.stdout
    backend = int(parent.stdout.readline())
    try:
        yield parent.pid, backend
    finally:
        os.kill(backend, 9)
        parent.kill()
        parent.wait()


def test_the_database_processes_are_pinned_then_put_on_every_cpu(
    bench: ModuleType, tree: tuple[int, int]
) -> None:
    postmaster, backend = tree
    database = bench._Database(backend, command=bench._command(backend))
    assert database.postmaster == postmaster
    database.pin("0")
    assert os.sched_getaffinity(postmaster) == os.sched_getaffinity(backend) == {0}
    database.restore()
    # Every CPU this process may use, and more if it was itself pinned (the kernel keeps a
    # process to its group's CPUs).
    assert os.sched_getaffinity(postmaster) == os.sched_getaffinity(backend) >= os.sched_getaffinity(0)


def test_a_database_not_on_this_machine_is_refused(bench: ModuleType, tree: tuple[int, int]) -> None:
    """A backend's number read from another machine or container names another process here,
    or none: refused before anything is pinned."""
    _, backend = tree
    with pytest.raises(SystemExit, match="must run on this machine"):
        bench._Database(backend)  # not PostgreSQL's name
    with subprocess.Popen(["sleep", "60"]) as sleeping:
        try:
            with pytest.raises(SystemExit, match="must run on this machine"):
                bench._Database(sleeping.pid, command="sleep")  # its parent is not a sleep
        finally:
            sleeping.kill()
    gone = max(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()) + 100_000
    with pytest.raises(SystemExit, match="must run on this machine"):
        bench._Database(gone, command="")


@pytest.fixture
def control() -> Iterator[tuple[str, int]]:
    """``veille bench control`` with two pinned workers: its address and its process."""
    port = free_port()
    command = [*veille_command(), "bench", "control", "--port", str(port), "--workers", "2", "--pin-workers"]
    server = subprocess.Popen(command, start_new_session=True)
    try:
        yield f"http://{HOST}:{port}", server.pid
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_the_control_answers_the_bytes_asked_and_nothing_else(control: tuple[str, int]) -> None:
    address, _ = control
    wait_for(lambda: _answers(address), timeout=60, what="the control's start")
    answer = httpx.get(f"{address}/?bytes=101585")
    assert answer.status_code == 200 and answer.content == b"x" * 101585
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    for asked in ("x", "-1", "1e3", str(16 * 1024 * 1024 + 1), "0" * 5000):
        refused = httpx.get(f"{address}/?bytes={asked}")
        assert refused.status_code == 400 and refused.text == "bytes: 0 to 16 MiB\n", asked


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pins two workers to two CPUs")
def test_the_controls_workers_are_pinned_as_veilles(control: tuple[str, int]) -> None:
    _, parent = control

    def pinned() -> list[set[int]]:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        spawned = [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        cpus = [os.sched_getaffinity(int(worker)) for worker in spawned]
        return cpus if len(cpus) == 2 and all(len(each) == 1 for each in cpus) else []

    first, second = wait_for(pinned, timeout=60, what="two workers, each pinned")
    assert first != second


def test_the_table_gives_the_controls_ratio_beside_each_page(bench: ModuleType) -> None:
    def result(label: str, rps: float, size: int = 0) -> object:
        return bench.Result("coordinator", label, "/x", 100, rps, 1.0, 2.0, 3.0, 0, size)

    workers = [result("/healthz", 2000), result("Action table", 16000, 101585), result("Write", 90)]
    one = [result("/healthz", 1000), result("Action table", 10000, 101585), result("Write", 45)]
    controlled = [[None, result("Action table", 20000), None], [None, result("Action table", 30000), None]]
    lines = bench._table(workers, one, controlled).splitlines()
    assert lines[0].endswith("| × one worker | bytes | control × one worker | errors |")
    assert lines[3].endswith("| 10000.0 | 1.60 | 101585 | 1.50 | 0 |")
    assert lines[2].endswith("| 1000.0 | 2.00 | — | — | 0 |")
    assert lines[4].endswith("| 45.0 | 2.00 | — | — | 0 |")


def test_the_control_is_asked_only_for_pages_with_bytes_measured_under_load(bench: ModuleType) -> None:
    """No control for a write, the PDF measured one download at a time, or a redirect: their row
    says none (and no server is asked: there is none here)."""
    args = argparse.Namespace(connections=10)
    nowhere = bench.Server(1, "0", 0, "0", control=True)
    for label, size in (
        ("Write: an action move", 0),
        (next(iter(bench.ALONE)), 31977),
        ("Activity figures", 0),
    ):
        page = bench.Result("partner", label, "/x", 100, 10.0, 1.0, 2.0, 3.0, 0, size)
        assert bench._control(args, nowhere, page) is None


def test_a_control_that_failed_gives_no_ratio(bench: ModuleType) -> None:
    def result(rps: float, errors: int = 0) -> object:
        return bench.Result("coordinator", "Action table", "/x", 100, rps, 1.0, 2.0, 3.0, errors, 101585)

    controlled = [[None, result(20000)], [None, result(30000, errors=3)]]
    row = bench._table([result(2000), result(16000)], [result(1000), result(10000)], controlled).splitlines()[
        3
    ]
    assert row.endswith("| 10000.0 | 1.60 | 101585 | — | 0 |")


def _answers(address: str) -> bool:
    try:
        return httpx.get(f"{address}/?bytes=0").status_code == 200
    except httpx.HTTPError:
        return False
