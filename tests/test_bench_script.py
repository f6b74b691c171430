"""Where ``make bench`` puts what it measures (scripts/bench.py, issue 15): each server's CPUs,
its load's and its database's, with and without ``--shared-cpus``, whose tables say two workers
had twice the machine one had. The pinning is tried on a tree of processes of the test's own
standing in for PostgreSQL's (pinning the suite's PostgreSQL would slow the other tests)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

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
