"""Tree-ensemble probes: predict one factor from the latent codes, report importances and accuracies.

- ``sklearn``: ``GradientBoostingClassifier()`` with its defaults (parity with the article and
  disentanglement_lib); importances are its impurity-based ``feature_importances_``. Slow.
- ``xgboost``: ``XGBClassifier(tree_method="hist")`` on CUDA when a GPU is present, else the CPU; importance is
  ``total_gain`` normalised to sum 1 (closest to sklearn's impurity importance), every feature present
  (a feature never split on gets 0). Settings (``XGBOOST_PARAMS``) were tuned so that held-out accuracy is
  within a point of sklearn's on a trained model's latents (benchmarks/test_probe_speed.py).

Labels are encoded to 0..K-1 first (xgboost rejects other labels). Probes are a registry (:data:`PROBES`): a
probe is a function ``fit(Z, y, device, seed, n_jobs) -> (model with .predict, importances (L,), device ran on)``;
adding one is one function and one entry here.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError

XGBOOST_PARAMS = {"n_estimators": 100, "max_depth": 4, "learning_rate": 0.3, "tree_method": "hist", "max_bin": 64}


@dataclass(frozen=True)
class ProbeResult:
    """One fitted probe.

    Attributes
    ----------
    importances : ndarray (L,)
        Nonnegative, summing to 1 (or all 0 when the probe never split).
    train_accuracy : float
    test_accuracy : float or None
        None without test data.
    probe : str
    device : str
        Where the fit actually ran (``cuda`` or ``cpu``).
    seconds : float
    """

    importances: np.ndarray
    train_accuracy: float
    test_accuracy: float | None
    probe: str
    device: str
    seconds: float


def encode_labels(y_train: np.ndarray, y_test: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Map labels to 0..K-1 by the classes seen in training; return (train, test, classes).

    Test labels of a class absent from training are mapped to -1 (counted as wrong).
    """
    classes = np.unique(y_train)
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    train = np.searchsorted(classes, y_train).astype(np.int64)
    test = None if y_test is None else np.array([lookup.get(v, -1) for v in y_test.tolist()], dtype=np.int64)
    return train, test, classes


def cuda_available() -> bool:
    """True when a CUDA GPU is visible (asked through torch, which the project has anyway)."""
    import torch

    return torch.cuda.is_available()


def fit_probe(Z_train, y_train, Z_test=None, y_test=None, probe: str = "xgboost", device: str = "auto",
              seed: int = 0, n_jobs: int | None = None) -> ProbeResult:
    """Fit a probe from codes to one factor.

    Parameters
    ----------
    Z_train : array_like (n_train, L)
    y_train : array_like (n_train,)
        At least two distinct values.
    Z_test : array_like (n_test, L), optional
    y_test : array_like (n_test,), optional
    probe : {"xgboost", "sklearn"}
    device : {"auto", "cpu", "cuda"}
        xgboost only; ``auto`` takes CUDA when present.
    seed : int
    n_jobs : int, optional
        xgboost threads (default all cores).
    """
    if probe not in PROBES:
        raise ParameterError("probe", f"is unknown; choose {' or '.join(PROBES)}", value=probe)
    Z_train = np.asarray(Z_train, dtype=np.float32)
    y_enc, y_test_enc, classes = encode_labels(np.asarray(y_train), None if y_test is None else np.asarray(y_test))
    if len(classes) < 2:
        raise ValueError("a probe needs at least two distinct factor values in the training data")
    start = time.perf_counter()
    model, importances, ran_on = PROBES[probe](Z_train, y_enc, device, seed, n_jobs)
    seconds = time.perf_counter() - start
    train_acc = float(np.mean(model.predict(Z_train) == y_enc))
    test_acc = None
    if Z_test is not None and len(Z_test):
        test_acc = float(np.mean(model.predict(np.asarray(Z_test, dtype=np.float32)) == y_test_enc))
    return ProbeResult(importances, train_acc, test_acc, probe, ran_on, seconds)


def _fit_sklearn(Z, y, device, seed, n_jobs):
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(random_state=seed).fit(Z, y)
    return model, np.asarray(model.feature_importances_, dtype=np.float64), "cpu"


def _fit_xgboost(Z, y, device, seed, n_jobs):
    from xgboost import XGBClassifier

    use_cuda = device == "cuda" or (device == "auto" and cuda_available())
    model = XGBClassifier(**XGBOOST_PARAMS, device="cuda" if use_cuda else "cpu", random_state=seed, n_jobs=n_jobs)
    model.fit(Z, y)
    scores = model.get_booster().get_score(importance_type="total_gain")
    importances = np.zeros(Z.shape[1])
    for name, value in scores.items():
        importances[int(name[1:])] = value  # features are named f0 .. f{L-1}
    total = importances.sum()
    if total > 0:
        importances /= total
    ran_on = "cuda" if use_cuda else "cpu"
    return model, importances, ran_on


# name -> fit(Z (n, L) float32, y (n,) in 0..K-1, device, seed, n_jobs) -> (model, importances (L,), device ran on)
PROBES: dict[str, Callable] = {"xgboost": _fit_xgboost, "sklearn": _fit_sklearn}
