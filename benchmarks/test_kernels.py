"""The numba DCI kernel vs a loop of the numpy version over B = 1,000 matrices: >= 20x (numba warmed up)."""

import numpy as np

from benchmarks.conftest import best_time
from latentnav.metrics.importance import dci_scores
from latentnav.metrics.kernels import dci_scores_batch


def test_dci_batch_kernel_vs_numpy_loop(benchmark, real_run):
    rng = np.random.default_rng(0)
    stack = rng.random((1000, 16, 10)) * (rng.random((1000, 16, 10)) > 0.4)
    dci_scores_batch(stack[:2])  # compile (or load the cache) before timing
    loop = best_time(lambda: [dci_scores(R) for R in stack], 3 if real_run else 1)
    D, C, _, _ = benchmark.pedantic(dci_scores_batch, args=(stack,), rounds=20 if real_run else 1, iterations=1)
    kernel = benchmark.stats.stats.min if benchmark.stats else best_time(lambda: dci_scores_batch(stack), 1)
    ratio = loop / kernel
    benchmark.extra_info.update({"ratio_name": "DCI numpy loop / numba batch", "ratio": round(ratio, 1), "target": 20.0})
    print(f"\ndci_scores_batch: {ratio:.1f}x the numpy loop (target 20x)")
    assert abs(D[5] - dci_scores(stack[5]).disentanglement) < 1e-12
    if real_run:
        assert ratio >= 20.0
