"""Where the partitions of an address-level pipeline run (docs/echelle-nationale.md).

A pipeline defines its work once, as a function applied to each partition (a département's
files) and a reduction of the partial results. An engine only maps that function:

- `Embedded` (the default, `--moteur local`): one partition after the other in this process
  (each one uses every core through Polars);
- `Dask` (`--moteur dask`): the same function on a Dask cluster — a `LocalCluster` on this
  machine's cores, or the scheduler at `--cluster tcp://HOST:PORT`, whose workers read the
  input files and write their partitions on storage they share with this machine.

Either way the caller receives the partial results in the partitions' order, or an
`EngineError` (a partition that cannot be computed, a lost worker that exhausts its retries):
nothing is half-done, the caller has written nothing yet. This module imports nothing of
Terrinum's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

Progress = Callable[[int, int], None]  # (partitions done, partitions in all)


class EngineError(Exception):
    """A distributed run that could not complete (the message says why, in French)."""


def peak_memory_mb() -> int:
    """This process's peak resident memory in MB (Linux VmHWM: reset at exec, unlike
    ru_maxrss, which a process started by a large parent inherits); -1 when unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return -1


class Embedded:
    name = "local"
    dashboard = None

    def map(self, fn: Callable[[Any], Any], items: Sequence, progress: Progress | None = None) -> list:
        out = []
        for i, item in enumerate(items, start=1):
            out.append(fn(item))
            if progress:
                progress(i, len(items))
        return out

    def close(self) -> None:
        pass


class Dask:
    """A Dask client: on the scheduler at `address`, else on a LocalCluster of `workers`
    single-threaded processes (default: one per core), each with its Polars limited to one
    thread so that workers do not compete for the same cores."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None, memory_limit: str | None = None):
        from distributed import Client, LocalCluster

        self.cluster = None
        if address:
            try:
                self.client = Client(address, timeout="20s")
            except OSError as exc:
                raise EngineError(f"ordonnanceur Dask injoignable à {address} ({exc})") from exc
        else:
            n = workers or os.cpu_count() or 1
            self.cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",
                memory_limit=memory_limit or "auto",
                env={"POLARS_MAX_THREADS": "1"},
            )
            self.client = Client(self.cluster)
        self.dashboard = self.client.dashboard_link

    def worker_peaks(self) -> list[int]:
        """Peak resident memory of each worker process, in MB."""
        return sorted(self.client.run(peak_memory_mb).values())

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def map(self, fn: Callable[[Any], Any], items: Sequence, progress: Progress | None = None) -> list:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        futures = self.client.map(fn, list(items), pure=False)
        done = 0
        try:
            for _ in as_completed(futures):
                done += 1
                if progress:
                    progress(done, len(futures))
            return self.client.gather(futures)
        except BaseException as exc:
            lost = isinstance(exc, OSError | TimeoutError)  # the scheduler gone (CommClosedError is an OSError)
            if not lost:
                self._settle(futures)
            if isinstance(exc, KilledWorker):
                raise EngineError(
                    f"un worker Dask a été perdu pendant le calcul d'une partition, trop de fois pour la relancer ({exc}) : rien n'est chargé"
                ) from None
            if lost:
                raise EngineError(f"liaison perdue avec l'ordonnanceur Dask ({exc.__class__.__name__} : {exc}) : rien n'est chargé") from None
            raise

    def _settle(self, futures) -> None:
        """After a failure: the partitions not started are cancelled, those running are
        waited for (a task cannot be interrupted), so that nothing writes after we return."""
        from distributed import wait

        busy = {key for keys in self.client.processing().values() for key in keys}
        self.client.cancel([f for f in futures if f.key not in busy and not f.done()])
        wait([f for f in futures if f.key in busy])

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def engine(name: str = "local", address: str | None = None, workers: int | None = None):
    """The engine called `name` (local or dask)."""
    if name == "local":
        if address:
            raise EngineError("--cluster ne s'emploie qu'avec --moteur dask")
        return Embedded()
    if name == "dask":
        return Dask(address, workers)
    raise EngineError(f"moteur « {name} » inconnu (local ou dask)")
