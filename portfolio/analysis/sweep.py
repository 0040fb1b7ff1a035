"""Sweeps of independent solves (ranking; later frontiers and scenarios) on one Executor.

By default the work goes to a local process pool with one worker per core; with
`--scheduler tcp://HOST:PORT` it goes to a Dask distributed cluster through the client's
`concurrent.futures` executor, so nothing else changes when a sweep outgrows one machine.
A sweep with a single item, or a machine with a single core, runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
    wait,
)
from contextlib import contextmanager
from typing import Any, TypeVar

from portfolio.errors import SchedulerUnavailable, UsageError

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")
DASK_HINT = "install the Dask extra: pip install 'portfolio[dask]'"


def cores() -> int:
    """Cores this process may run on (the affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@contextmanager
def executor(scheduler: str | None = None, workers: int | None = None,
             tasks: int | None = None) -> Iterator[Executor | None]:
    """The executor for a sweep: Dask if a scheduler is given, else a local process pool.

    Yields None (run in this process) where a pool cannot help: one worker or one task.
    Pool workers are started with `spawn`, so none inherits the solver's threads.
    """
    if scheduler:
        with _dask(scheduler) as dask:
            yield dask
        return
    count = workers or cores()
    if tasks is not None:
        count = min(count, tasks)
    if count <= 1:
        yield None
        return
    pool = _Pool(count)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Pool(ProcessPoolExecutor):
    """The local pool: `spawn`ed worker processes, and how many (`learning` reads it)."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        self.workers = workers


@contextmanager
def _dask(scheduler: str) -> Iterator[Executor]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(f"--scheduler needs Dask distributed; {DASK_HINT}") from None
    try:
        client = Client(scheduler, timeout="5s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnavailable(f"cannot reach the Dask scheduler at {scheduler}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else exc}") from None
    try:
        yield client.get_executor()  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]


def run(pool: Executor | None, function: Callable[[T], R], items: Sequence[T],
        progress: Callable[[], Any] | None = None) -> list[R]:
    """function(item) for every item, in item order; `progress` is called as each ends."""
    if pool is None:
        out = []
        for item in items:
            out.append(function(item))
            if progress:
                progress()
        return out
    futures: dict[Future[R], int] = {pool.submit(function, item): n
                                     for n, item in enumerate(items)}
    results: dict[int, R] = {}
    try:
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if progress:
                progress()
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [results[n] for n in range(len(items))]


def together(jobs: dict[str, Callable[[], Any]]) -> tuple[dict[str, Any], dict[str, float]]:
    """Run each job in a thread of its own; their results, and when each ended (seconds).

    The jobs are sweeps on one shared executor: side by side they keep its workers busy
    where one after another each would wait, a core idle, for its slowest solve. A job's
    error is raised here once all have ended.
    """
    began = time.perf_counter()
    ended: dict[str, float] = {}

    def timed(name: str, job: Callable[[], Any]) -> Any:
        try:
            return job()
        finally:
            ended[name] = time.perf_counter() - began

    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as threads:
        futures = {name: threads.submit(timed, name, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}, ended


def learning(pool: Executor | None, function: Callable[[T, tuple[S, ...]], R],
             items: Sequence[T], learned: Callable[[R], Sequence[S]],
             progress: Callable[[], Any] | None = None) -> list[R]:
    """function(item, known) for every item, in item order, passing on what was learned.

    `known` is everything `learned` from the results that came back before the item was
    sent. A local pool gets two items per worker at a time, so that each item is sent
    with what the earlier ones found; any other executor gets every item at once.
    """
    known: list[S] = []
    if pool is None:
        out = []
        for item in items:
            out.append(function(item, tuple(known)))
            known += learned(out[-1])
            if progress:
                progress()
        return out
    ahead = 2 * pool.workers if isinstance(pool, _Pool) else len(items)
    queue = iter(enumerate(items))
    pending: dict[Future[R], int] = {}
    results: dict[int, R] = {}

    def send() -> None:
        for n, item in queue:
            pending[pool.submit(function, item, tuple(known))] = n
            return

    try:
        for _ in range(ahead):
            send()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                results[pending.pop(future)] = future.result()
                known += learned(future.result())
                if progress:
                    progress()
                send()
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    return [results[n] for n in range(len(items))]
