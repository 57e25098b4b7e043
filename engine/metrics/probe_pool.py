"""Fitting a DCI run's probes: in this process or in a pool of worker processes, identical bit for bit.

A task is ``(j, None)`` (factor ``j`` on the training data) or ``(j, state)`` (factor ``j`` on the bootstrap
resample that the generator ``state`` draws). The data travel to each worker once, at its start.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from latentnav.metrics.probes import fit_probe

PROBE_THREADS = 1
"""xgboost threads per probe fit in a DCI run. Fixed, because xgboost's hist sums in another order on another
thread count (one ``shapes`` factor's importances moved by 2e-8 between 1 and 2 threads), so results would depend
on the machine and on ``workers``. One thread is also what fits of a few hundred inputs run fastest on, and it
cannot oversubscribe: on 2 cores with another busy process, 2-thread fits were measured up to 50x slower.
Parallelism comes from ``workers`` instead."""


def resample_states(n: int, count: int, seed: int) -> list[dict]:
    """The bootstrap generator's state before each of its ``count`` resamples of ``n`` rows: drawn here in one
    order, so that every fit, here or in a worker, sees the same rows (a task carries a state, not rows)."""
    rng = np.random.default_rng(seed)
    states = []
    for _ in range(count):
        states.append(rng.bit_generator.state)
        rng.integers(0, n, size=n)
    return states


def _resample_rows(state: dict, n: int) -> np.ndarray:
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    return rng.integers(0, n, size=n)


def _fit_task(data: dict, task: tuple):
    """One probe: ``task = (j, None)`` fits factor ``j`` on the training data (scored on the test data too),
    ``(j, state)`` on the resample of it that ``state`` draws; None where that holds one value of the factor."""
    j, state = task
    kwargs = {"probe": data["probe"], "device": data["device"], "seed": data["seed"], "n_jobs": PROBE_THREADS}
    if state is None:
        test = data["Z_test"] is not None
        return fit_probe(data["Z"], data["factors"][:, j], data["Z_test"] if test else None,
                         data["factors_test"][:, j] if test else None, **kwargs)
    rows = _resample_rows(state, len(data["Z"]))
    y = data["factors"][rows, j]
    if len(np.unique(y)) < 2:
        return None
    return fit_probe(data["Z"][rows], y, **kwargs)


_WORKER_DATA: dict = {}  # a worker process's copy of the data, sent once by _start_worker


def _start_worker(data: dict) -> None:
    _WORKER_DATA.update(data)


def _worker_fit(task: tuple):
    return _fit_task(_WORKER_DATA, task)


def run_fits(tasks: list, data: dict, workers: int) -> list:
    """``_fit_task`` of every task, in order: here, or in ``workers`` processes that get the data once."""
    if workers <= 1 or len(tasks) <= 1:
        return [_fit_task(data, task) for task in tasks]
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=_pool_context(),
                             initializer=_start_worker, initargs=(data,)) as pool:
        return list(pool.map(_worker_fit, tasks))


def _pool_context():
    """A fork server that imported this module and the probes' libraries once (Linux, macOS): its workers start
    as forks of it, in milliseconds once it runs, instead of fresh interpreters importing everything again (~1.5 s
    each, every time). Spawn where there is none. Never a plain fork: the child of a process that ran OpenMP
    (xgboost, torch) can hang."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "xgboost", "sklearn.ensemble"])  # no effect once it runs
    return context
