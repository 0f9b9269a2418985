"""Where a sweep's runs execute: this process, local cores, or a Dask cluster.

Every executor has one contract: entered as a context manager, ``map(fn, chunks,
*args)`` yields ``fn(chunk, *args)`` for each chunk as it completes, and
``chunk_size(n)`` says how many runs to put in one task. Results never travel
through the executor (each run writes its own file), so which executor ran a sweep
does not change its dataset.

Chosen on the command line with ``executor=local|serial|dask`` and
``executor.<field>=value`` (the fields of :class:`ExecutorParams`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sim.params import FROZEN, from_mapping
from sim.validation import ConfigError, check_choice, check_int, check_positive

__all__ = ["ExecutorParams", "split_executor", "open_executor", "stop_requested",
           "SerialExecutor", "LocalExecutor", "DaskExecutor"]

KINDS = ("local", "serial", "dask")


@dataclasses.dataclass(**FROZEN)
class ExecutorParams:
    """How to execute a sweep's runs.

    Attributes
    ----------
    kind : {"local", "serial", "dask"}
        ``local``: a pool of processes on this machine; ``serial``: one after another in
        this process; ``dask``: a Dask distributed cluster.
    workers : int
        Processes (local) or workers of a Dask cluster started here; 0 = one per core.
    chunk : int
        Runs per task; 0 = automatic (about 16 tasks per worker, at most 32 runs each).
    address : str, optional
        Dask scheduler address (``tcp://HOST:8786``); none and no ``scheduler_file``
        starts a local Dask cluster.
    scheduler_file : str, optional
        Dask scheduler file (as written by ``dask scheduler --scheduler-file``).
    timeout : float
        Seconds to wait for a Dask scheduler before giving up.
    """

    kind: str = "local"
    workers: int = 0
    chunk: int = 0
    address: str | None = None
    scheduler_file: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        check_int("workers", self.workers, low=0)
        check_int("chunk", self.chunk, low=0)
        check_positive("timeout", self.timeout)
        for name in ("address", "scheduler_file"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(name, value, "a non-empty string")
        if self.kind != "dask" and (self.address or self.scheduler_file):
            raise ConfigError("address", self.address or self.scheduler_file,
                              "only with executor=dask")


def split_executor(overrides: Sequence[str]) -> tuple[ExecutorParams, list[str]]:
    """Take ``executor=...`` and ``executor.<field>=...`` out of command-line overrides.

    Returns
    -------
    (ExecutorParams, list of str)
        The executor, and the remaining (scenario and Hydra) overrides.
    """
    data: dict[str, Any] = {}
    rest = []
    for o in overrides:
        key, sep, value = o.partition("=")
        key = key.lstrip("+")
        if key == "executor":
            data["kind"] = value
        elif key.startswith("executor."):
            field = key.removeprefix("executor.")
            data[field] = _value(value)
        else:
            rest.append(o)
            continue
        if not sep:
            raise ConfigError(key, o, "executor=KIND or executor.FIELD=VALUE")
    if "address" in data or "scheduler_file" in data:
        data.setdefault("kind", "dask")
    return from_mapping(ExecutorParams, data, "executor"), rest


def _value(text: str) -> Any:
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(value, (dict, list)) else value


def open_executor(params: ExecutorParams):
    """The executor ``params`` describes (enter it to start it)."""
    return {"serial": SerialExecutor, "local": LocalExecutor, "dask": DaskExecutor}[
        params.kind](params)


def _chunk_size(params: ExecutorParams, n_runs: int, workers: int) -> int:
    if params.chunk:
        return params.chunk
    return max(1, min(32, math.ceil(n_runs / (16 * max(workers, 1)))))


_STOP = None  # in a local worker: the pool's stop event


def _start_worker(stop) -> None:
    """A local worker leaves Ctrl-C to its parent and watches the pool's stop event."""
    global _STOP
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STOP = stop


def stop_requested() -> bool:
    """Whether the sweep this worker serves was interrupted (finish the run, start no more)."""
    return _STOP is not None and _STOP.is_set()


class SerialExecutor:
    """Runs chunks one after another in this process (debugging, tiny sweeps)."""

    def __init__(self, params: ExecutorParams | None = None) -> None:
        self.params = params or ExecutorParams(kind="serial")
        self.workers = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def chunk_size(self, n_runs: int) -> int:
        return _chunk_size(self.params, n_runs, 1)

    def map(self, fn: Callable, chunks: Sequence, *args) -> Iterator:
        for chunk in chunks:
            yield fn(chunk, *args)


class LocalExecutor:
    """A pool of worker processes on this machine.

    Workers are forked on Linux (they start at once, with everything the parent has
    imported) and spawned elsewhere. The start method is set on the pool, not globally
    (``import mesa`` sets the global one to ``spawn``, which would make every worker
    re-import the stack, about a second each).

    Ctrl-C reaches only the parent (workers ignore SIGINT): leaving the executor on an
    exception cancels the queued chunks and tells running ones to stop after the run
    in hand, so an interrupted sweep ends promptly with only whole results files.
    """

    def __init__(self, params: ExecutorParams | None = None) -> None:
        self.params = params or ExecutorParams()
        self.workers = self.params.workers or os.cpu_count() or 1
        self._pool = None

    def __enter__(self) -> LocalExecutor:
        import multiprocessing
        import sys
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        self._stop = context.Event()
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                         initializer=_start_worker, initargs=(self._stop,))
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:
            self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def chunk_size(self, n_runs: int) -> int:
        return _chunk_size(self.params, n_runs, self.workers)

    def map(self, fn: Callable, chunks: Sequence, *args) -> Iterator:
        from concurrent.futures import as_completed

        futures = [self._pool.submit(fn, chunk, *args) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


class DaskExecutor:
    """A Dask distributed cluster: an existing one (``address`` / ``scheduler_file``) or a
    local one started here.

    Workers write results to the sweep folder, so on a real cluster the folder must be
    on a filesystem every worker sees (as on any shared-filesystem HPC cluster).
    """

    def __init__(self, params: ExecutorParams) -> None:
        self.params = params
        self.workers = params.workers or os.cpu_count() or 1
        self._client = self._cluster = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("executor", "dask", "installed Dask: pip install "
                              "'valuesim[cluster]' (or uv run --extra cluster ...)") from None
        p = self.params
        if p.address or p.scheduler_file:
            try:
                self._client = Client(address=p.address, scheduler_file=p.scheduler_file,
                                      timeout=p.timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                field = "executor.address" if p.address else "executor.scheduler_file"
                raise ConfigError(field, p.address or p.scheduler_file,
                                  "a reachable Dask scheduler (start one with `dask scheduler`"
                                  f", or leave it out to run locally): {type(exc).__name__}"
                                  ) from None
            self.workers = max(1, sum(self._client.nthreads().values()))
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=":0")
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def chunk_size(self, n_runs: int) -> int:
        return _chunk_size(self.params, n_runs, self.workers)

    def map(self, fn: Callable, chunks: Sequence, *args) -> Iterator:
        from distributed import as_completed

        futures = [self._client.submit(fn, chunk, *args, pure=False) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()
