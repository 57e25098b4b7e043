"""A sweep of 8 checkpoints on the local Dask cluster vs one after another in one process (no target: reported).

On 2 cores the cluster has 2 single-threaded workers; each task imports torch, loads the data, trains nothing,
traverses, computes effects, fits the DCI probes and draws the report. The ratio is bounded by the 2 cores and by
the per-worker start-up (imports, numba compilation) that the single process pays once.
"""

import time

from latentnav.jobs.train import run_train
from latentnav.jobs.sweep import SweepOptions, run_sweep
from latentnav.models.training import TrainConfig


def test_sweep_local_cluster_vs_sequential(benchmark, tmp_path, real_run):
    n = 8 if real_run else 2
    folder = tmp_path / "ckpts"
    for seed in range(n):
        run_train(TrainConfig(epochs=3, seed=seed), folder / f"ae{seed}.pth", device="cpu", progress=False)
    options = SweepOptions(dataset="digits", factors=("label", "onehot"), limit=None if real_run else 16)
    start = time.perf_counter()
    run_sweep(str(folder / "*.pth"), tmp_path / "sequential", options, sequential=True)
    sequential = time.perf_counter() - start
    result = benchmark.pedantic(run_sweep, args=(str(folder / "*.pth"), tmp_path / "cluster", options),
                                kwargs={"workers": 2}, rounds=1, iterations=1)
    cluster = result.seconds
    assert len(result.rows) == n and not result.failures
    ratio = sequential / cluster
    benchmark.extra_info.update({"ratio_name": "sweep sequential / local cluster (2 workers)", "ratio": round(ratio, 2),
                                 "sequential_seconds": round(sequential, 2), "cluster_seconds": round(cluster, 2),
                                 "checkpoints": n})
    print(f"\nsweep of {n} checkpoints: sequential {sequential:.1f} s, local cluster {cluster:.1f} s ({ratio:.2f}x)")
