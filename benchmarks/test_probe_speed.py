"""Probe speed and parity: xgboost vs sklearn's GradientBoostingClassifier on a trained model's latents.

Targets (2-core CPU, one run): xgboost >= 40x faster on 10,000 x 16 latents with 10 classes, held-out
accuracy within 1 point of sklearn's. Held-out = digits' test split (never seen by model or probe).
"""

import numpy as np
import torch

from benchmarks.conftest import best_time, tiled_digits
from latentnav.metrics.probes import XGBOOST_PARAMS, fit_probe
from latentnav import load_checkpoint, load_dataset


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
        "ratio_name": "probe sklearn / xgboost time", "ratio": round(speedup, 2), "target": 40.0,
        "sklearn_seconds": round(sklearn_seconds, 3), "xgboost_seconds": round(xgb_seconds, 3),
        "sklearn_test_accuracy": sk["result"].test_accuracy, "xgboost_test_accuracy": xgb.test_accuracy,
        "accuracy_gap": round(gap, 4), "accuracy_gap_limit": 0.01, "xgboost_params": XGBOOST_PARAMS,
    })
    print(f"\nprobe: sklearn {sklearn_seconds:.2f} s, xgboost {xgb_seconds:.3f} s ({speedup:.1f}x, target 40x); "
          f"held-out accuracy sklearn {sk['result'].test_accuracy:.4f}, xgboost {xgb.test_accuracy:.4f}")
    if real_run:
        assert speedup >= 40.0
        assert gap <= 0.01
    assert np.isclose(xgb.importances.sum(), 1.0)
