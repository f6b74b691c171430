"""Where ``make bench`` puts what it measures (scripts/bench.py, issue 15): each server's CPUs,
its load's and its database's, with and without ``--shared-cpus``, whose tables say two workers
had twice the machine one had. The pinning itself is measured by hand (bench/README.md): it
would move the suite's own PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import sys
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


def parse(bench: ModuleType, monkeypatch: pytest.MonkeyPatch, *options: str) -> object:
    monkeypatch.setattr(sys, "argv", ["bench.py", *options])
    return bench._parse()


def placed(bench: ModuleType, args: object) -> list[tuple[int, str, str, str, bool]]:
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


def test_cpu_lists_read_as_taskset_reads_them(bench: ModuleType) -> None:
    assert bench._cpu_set("0") == {0}
    assert bench._cpu_set("0-2,5") == {0, 1, 2, 5}


def test_a_process_is_found_by_its_parent_and_its_name(bench: ModuleType) -> None:
    """What tells PostgreSQL's postmaster from another machine's number: read from ``/proc``."""
    assert bench._parent(os.getpid()) == os.getppid()
    assert bench._command(os.getpid()) == Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    gone = max(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()) + 100_000
    assert (bench._parent(gone), bench._command(gone)) == (0, "")
