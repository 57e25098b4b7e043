"""Probe speed and parity: xgboost vs sklearn's GradientBoostingClassifier on a trained model's latents.

Targets (2-core CPU, real runs): the xgboost probe >= 20x faster than sklearn's, both on one probe of 10,000 x 16
latents with 10 classes (held-out accuracy within 1 point of sklearn's; held-out = digits' test split, never seen
by model or probe) and on the demo's DCI (digits' test split, one-hot classes, seed 0: D and C within 0.03 of
sklearn's, held-out accuracy within 2 points). How the settings were chosen: ``latentnav.metrics.probes``.
"""

import time

import numpy as np
import torch

from benchmarks.conftest import best_time, tiled_digits
from latentnav.metrics.dci_probe import DCIConfig, compute_dci
from latentnav.metrics.factors import factor_matrix
from latentnav.metrics.probes import XGBOOST_PARAMS, fit_probe
from latentnav import load_checkpoint, load_dataset

SPEED_TARGET = 20.0


def test_xgboost_vs_sklearn_probe(benchmark, trained_ckpt, real_run):
    model = load_checkpoint(trained_ckpt)
    train = tiled_digits(10_000 if real_run else 600, seed=1)
    test = load_dataset("digits", "test")
    with torch.no_grad():
        Z_train = model.encode(torch.from_numpy(train.inputs)).numpy()
        Z_test = model.encode(torch.from_numpy(test.inputs)).numpy()
    sk = {}

    def run_sklearn():
        sk["result"] = fit_probe(Z_train, train.labels, Z_test, test.labels, probe="sklearn")

    sklearn_seconds = best_time(run_sklearn, 1)
    xgb = benchmark.pedantic(fit_probe, args=(Z_train, train.labels, Z_test, test.labels),
                             kwargs={"probe": "xgboost", "device": "cpu"}, rounds=3 if real_run else 1, iterations=1)
    xgb_seconds = benchmark.stats.stats.min if benchmark.stats else xgb.seconds
    speedup = sklearn_seconds / xgb_seconds
    gap = abs(xgb.test_accuracy - sk["result"].test_accuracy)
    benchmark.extra_info.update({
        "ratio_name": "probe sklearn / xgboost time", "ratio": round(speedup, 2), "target": SPEED_TARGET,
        "sklearn_seconds": round(sklearn_seconds, 3), "xgboost_seconds": round(xgb_seconds, 3),
        "sklearn_test_accuracy": sk["result"].test_accuracy, "xgboost_test_accuracy": xgb.test_accuracy,
        "accuracy_gap": round(gap, 4), "accuracy_gap_limit": 0.01, "xgboost_params": XGBOOST_PARAMS,
    })
    print(f"\nprobe: sklearn {sklearn_seconds:.2f} s, xgboost {xgb_seconds:.3f} s ({speedup:.1f}x, target "
          f"{SPEED_TARGET:.0f}x); held-out accuracy sklearn {sk['result'].test_accuracy:.4f}, "
          f"xgboost {xgb.test_accuracy:.4f}")
    if real_run:
        assert speedup >= SPEED_TARGET
        assert gap <= 0.01
    assert np.isclose(xgb.importances.sum(), 1.0)


def test_xgboost_dci_agrees_with_reference(benchmark, tmp_path, real_run):
    """The demo's DCI (digits' test split, one-hot classes, seed 0) with both probes: D, C, accuracy and time."""
    from latentnav.jobs.train import run_train
    from latentnav.models.training import TrainConfig

    path = tmp_path / "demo.pth"
    run_train(TrainConfig() if real_run else TrainConfig(epochs=3), path, device="cpu", progress=False)
    model = load_checkpoint(path)
    data = load_dataset("digits", "test")
    with torch.no_grad():
        Z = model.encode(torch.from_numpy(data.inputs)).numpy()
    factors, names, _ = factor_matrix(data, "onehot")
    sk = {}

    def run_sklearn():
        sk["result"] = compute_dci(Z, factors, names, DCIConfig(probe="sklearn", factors="onehot", seed=0))

    sklearn_seconds = best_time(run_sklearn, 2 if real_run else 1)
    config = DCIConfig(probe="xgboost", factors="onehot", seed=0, device="cpu")
    start = time.perf_counter()
    xgb = benchmark.pedantic(compute_dci, args=(Z, factors, names, config), rounds=7 if real_run else 1, iterations=1)
    xgb_seconds = benchmark.stats.stats.min if benchmark.stats else time.perf_counter() - start
    ref = sk["result"]
    speedup = sklearn_seconds / xgb_seconds
    d_gap, c_gap = abs(xgb.disentanglement - ref.disentanglement), abs(xgb.completeness - ref.completeness)
    accuracy_gap = abs(xgb.informativeness - ref.informativeness)
    benchmark.extra_info.update({
        "ratio_name": "DCI sklearn / xgboost time (digits, one-hot)", "ratio": round(speedup, 2),
        "target": SPEED_TARGET, "sklearn_seconds": round(sklearn_seconds, 3), "xgboost_seconds": round(xgb_seconds, 4),
        "sklearn_dci": [ref.disentanglement, ref.completeness, ref.informativeness],
        "xgboost_dci": [xgb.disentanglement, xgb.completeness, xgb.informativeness],
        "d_gap": round(d_gap, 4), "c_gap": round(c_gap, 4), "dc_gap": round(max(d_gap, c_gap), 4), "dc_gap_limit": 0.03,
        "accuracy_gap": round(accuracy_gap, 4), "accuracy_gap_limit": 0.02, "xgboost_params": XGBOOST_PARAMS,
    })
    print(f"\nDCI digits one-hot: sklearn D {ref.disentanglement:.4f} C {ref.completeness:.4f} "
          f"I {ref.informativeness:.4f} {sklearn_seconds:.2f} s; xgboost D {xgb.disentanglement:.4f} "
          f"C {xgb.completeness:.4f} I {xgb.informativeness:.4f} {xgb_seconds:.3f} s ({speedup:.1f}x)")
    if real_run:
        assert speedup >= SPEED_TARGET
        assert d_gap <= 0.03 and c_gap <= 0.03
        assert accuracy_gap <= 0.02
    assert xgb.R.shape == (Z.shape[1], 10) and np.isfinite([xgb.disentanglement, xgb.completeness]).all()
