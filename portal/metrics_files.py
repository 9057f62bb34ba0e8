"""The files of prometheus_client's multiprocess mode: each process (a gunicorn worker, a Celery
pool process) writes its counts to `<type>_<pid>.db` in PROMETHEUS_MULTIPROC_DIR, and the process
answering /metrics adds them all up.

A process that ended leaves its files behind, and gunicorn replaces its workers every couple of
thousand requests (`max_requests`): left alone the directory would grow by a few files each time
and every scrape would read them all. So when a process ends (gunicorn's `child_exit` hook, a
Celery pool process's shutdown), its counts are added into one `<type>_archive.db` per type and
its files removed: the totals never go down, and the directory holds one file per live process.
An exclusive lock keeps a scrape from reading between the two steps (counting a process twice or
not at all).

No Django here: gunicorn's configuration imports it in the master process."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

# Types whose values add up across processes (gauges are per process: never archived).
ADDITIVE = ("counter", "histogram", "summary")
LOCK_NAME = ".lock"


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@contextlib.contextmanager
def _locked(path: str, mode: int) -> Iterator[None]:
    with open(os.path.join(path, LOCK_NAME), "a+b") as lock:
        fcntl.flock(lock, mode)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _LockedCollector(Collector):
    """prometheus_client's multiprocess collector, reading while no process is being archived."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.inner = MultiProcessCollector(None, path=path)

    def collect(self) -> Iterator[Any]:
        with _locked(self.path, fcntl.LOCK_SH):
            return iter(list(self.inner.collect()))


def tolerant_multiprocess_collector(path: str) -> Collector:
    return _LockedCollector(path)


def prepare(path: str | Path) -> None:
    """An empty directory for a new set of processes (counts of an earlier run removed)."""
    os.makedirs(path, exist_ok=True)
    for name in glob.glob(os.path.join(path, "*.db")):
        os.remove(name)


def retire_process(pid: int, path: str | None = None) -> None:
    """Fold the counts of the ended process `pid` into the archive files and remove its files."""
    path = path or multiprocess_dir()
    if not path or not os.path.isdir(path):
        return
    mark_process_dead(pid, path)  # its live gauges, if any library made one
    with _locked(path, fcntl.LOCK_EX):
        for kind in ADDITIVE:
            own = os.path.join(path, f"{kind}_{pid}.db")
            if not os.path.exists(own):
                continue
            archive = os.path.join(path, f"{kind}_archive.db")
            totals: dict[str, float] = defaultdict(float)
            for name in (archive, own):
                if os.path.exists(name):
                    for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(name):
                        totals[key] += value
            partial = os.path.join(path, f"{kind}_archive.partial")
            with contextlib.suppress(FileNotFoundError):
                os.remove(partial)
            merged = MmapedDict(partial)
            try:
                for key, value in totals.items():
                    merged.write_value(key, value, 0.0)
            finally:
                merged.close()
            os.replace(partial, archive)
            os.remove(own)
