"""Fixtures of the benchmark suite: a trained model, input sets, and the size of each measurement.

With ``--benchmark-disable`` (CI) every benchmark runs once on small sizes so that it cannot rot; run
``pytest benchmarks`` without it for the real figures (ratios measured in one run, see README).
"""

import os

os.environ.setdefault("TQDM_DISABLE", "1")  # before anything imports tqdm (torch does)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from latentnav.data.datasets import Dataset, load_dataset  # noqa: E402


@pytest.fixture(scope="session")
def real_run(request) -> bool:
    """True when timings count (benchmarks enabled), False in CI's --benchmark-disable smoke run."""
    return not request.config.getoption("benchmark_disable")


@pytest.fixture(scope="session")
def trained_ckpt(tmp_path_factory):
    """Path of an AutoencoderClassifier trained on digits (seed architecture, ~97 % test accuracy)."""
    from latentnav.jobs.train import run_train
    from latentnav.models.training import TrainConfig

    path = tmp_path_factory.mktemp("bench") / "ae.pth"
    run_train(TrainConfig(epochs=30), path, device="cpu", progress=False)
    return path


def tiled_digits(n: int, seed: int = 0, block: int = 1024) -> Dataset:
    """``n`` inputs: digits' training images repeated, with small noise so no two are equal.

    Built ``block`` rows at a time, so that making it costs no more memory than the result (n, 784) float32 (the
    memory benchmark measures peak RSS); the noise is the same as drawn at once.
    """
    base = load_dataset("digits", "train")
    idx = np.arange(n) % len(base)
    rng = np.random.default_rng(seed)
    inputs = np.empty((n, base.inputs.shape[1]), np.float32)
    for start in range(0, n, block):
        rows = idx[start:start + block]
        noise = rng.uniform(0, 0.02, size=(len(rows), inputs.shape[1])).astype(np.float32)
        np.clip(base.inputs[rows] + noise, 0, 1, out=inputs[start:start + len(rows)])
    return Dataset("digits-tiled", "train", inputs, base.labels[idx])


def best_time(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls of ``fn`` (the least disturbed by a noisy machine)."""
    import time

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(os.cpu_count() or 1)
    yield
