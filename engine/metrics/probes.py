"""Tree-ensemble probes: predict one factor from the latent codes, report importances and accuracies.

- ``sklearn``: ``GradientBoostingClassifier()`` with its defaults (parity with the article and
  disentanglement_lib); importances are its impurity-based ``feature_importances_``. Slow.
- ``xgboost``: gradient-boosted trees of ``XGBOOST_PARAMS`` (``tree_method="hist"``) on CUDA when a GPU is present,
  else the CPU; importance is ``total_gain`` normalised to sum 1 (closest to sklearn's impurity importance), every
  feature present (a feature never split on gets 0). Fitted by xgboost's ``Booster`` directly: the model
  ``XGBClassifier(**XGBOOST_PARAMS)`` fits, bit for bit, without its wrapper's overhead.

How ``XGBOOST_PARAMS`` were chosen (2-core CPU, xgboost 3.2, scikit-learn 1.9; ``compute_dci`` with seed 0):
sklearn's defaults are depth 3, learning rate 0.1, 100 trees, every threshold, no L2 term. xgboost at depth 3 with
no L2 term (``reg_lambda=0``) takes the same Newton leaf values; what still differs (gain weighted by the hessian,
thresholds from ``max_bin`` quantiles: fewer bins lower D and C) was tuned against sklearn on the demo's models:
digits with one-hot classes (288 training, 72 held-out inputs) and shapes with its 5 factors (415 + 104).
25 trees at learning rate 0.4 with 128 bins and ``min_child_weight=1`` (xgboost's default) give D and C within
0.01 of sklearn's on both (digits 0.574 / 0.570 against 0.574 / 0.560; shapes 0.199 / 0.134 against 0.196 / 0.133),
held-out accuracy within 0.4 points, 28x (digits) and 30x (shapes) sklearn's speed on one thread; over seeds 0-7
the D and C gaps are 0.020 (digits) and 0.009 (shapes) root mean square, at most 0.041, about sklearn's own
seed-to-seed spread. On 10,000 inputs with 10 classes the accuracy equals sklearn's, 250x faster (one thread).
The former settings (100 trees, depth 4, learning rate 0.3, 64 bins, L2 term 1) were 0.05 / 0.07 low on digits
(0.03 / 0.01 on shapes) and 17x / 10x faster; sklearn's own (100 trees at 0.1, 256 bins) agree about as well as
these but are only 5x faster on so few inputs, where every tree costs xgboost ~0.1 ms of fixed work.

Labels are encoded to 0..K-1 first (xgboost rejects other labels). Probes are a registry (:data:`PROBES`): a
probe is a function ``fit(Z, y, device, seed, n_jobs) -> (model with .predict, importances (L,), device ran on)``;
adding one is one function and one entry here.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError

XGBOOST_PARAMS = {"n_estimators": 25, "max_depth": 3, "learning_rate": 0.4, "max_bin": 128, "reg_lambda": 0.0,
                  "min_child_weight": 1.0, "tree_method": "hist"}
"""``XGBClassifier`` keywords of the xgboost probe (``n_estimators`` is the number of boosting rounds); see the
module docstring for how they were measured."""


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


def xgboost_has_cuda() -> bool:
    """True when the installed xgboost was built with CUDA (``xgboost-cpu`` and some wheels are not)."""
    import xgboost

    return bool(xgboost.build_info().get("USE_CUDA"))


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
        xgboost threads (default all cores). The thread count can change xgboost's sums in the last bits;
        ``compute_dci`` fixes it (``latentnav.metrics.probe_pool.PROBE_THREADS``).
    """
    if probe not in PROBES:
        raise ParameterError("probe", f"is unknown; choose {' or '.join(PROBES)}", value=probe)
    Z_train = np.asarray(Z_train, dtype=np.float32)
    y_enc, y_test_enc, classes = encode_labels(np.asarray(y_train), None if y_test is None else np.asarray(y_test))
    if len(classes) < 2:
        raise ParameterError("n_train", "leaves a factor with a single value in the training data; a probe needs "
                                        "two distinct values: use more training inputs (or other factors)")
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


class _XGBoostModel:
    """A trained xgboost ``Booster`` whose ``predict`` returns class indices 0..K-1, as ``XGBClassifier`` does."""

    def __init__(self, booster, n_classes: int):
        self.booster, self.n_classes = booster, n_classes

    def predict(self, Z) -> np.ndarray:
        p = self.booster.inplace_predict(np.asarray(Z, dtype=np.float32))
        return (p > 0.5).astype(np.int64) if self.n_classes == 2 else np.argmax(p, axis=1)


def _fit_xgboost(Z, y, device, seed, n_jobs):
    # xgboost.train's boosting rounds on a DMatrix, without its callbacks: the model
    # XGBClassifier(**XGBOOST_PARAMS) fits, bit for bit, without ~2.3 ms of wrapper work per fit (a
    # QuantileDMatrix, parameter checks, callbacks, a cache reset), which on a few hundred inputs is a third of it.
    import xgboost as xgb

    # xgboost given device="cuda" without a GPU (or as a CPU-only build) warns and runs on the CPU: say what ran
    use_cuda = device in ("cuda", "auto") and cuda_available() and xgboost_has_cuda()
    n_classes = int(y.max()) + 1
    params = {k: v for k, v in XGBOOST_PARAMS.items() if k != "n_estimators"}
    params.update(device="cuda" if use_cuda else "cpu", seed=seed)
    params.update({"objective": "binary:logistic"} if n_classes == 2 else {"objective": "multi:softprob",
                                                                          "num_class": n_classes})
    if n_jobs is not None:
        params["nthread"] = n_jobs
    data = xgb.DMatrix(Z, label=y, nthread=-1 if n_jobs is None else n_jobs)
    booster = xgb.Booster(params, [data])
    for iteration in range(XGBOOST_PARAMS["n_estimators"]):
        booster.update(data, iteration)
    scores = booster.get_score(importance_type="total_gain")
    importances = np.zeros(Z.shape[1])
    for name, value in scores.items():
        importances[int(name[1:])] = value  # features are named f0 .. f{L-1}
    total = importances.sum()
    if total > 0:
        importances /= total
    ran_on = "cuda" if use_cuda else "cpu"
    return _XGBoostModel(booster, n_classes), importances, ran_on


# name -> fit(Z (n, L) float32, y (n,) in 0..K-1, device, seed, n_jobs) -> (model, importances (L,), device ran on)
PROBES: dict[str, Callable] = {"xgboost": _fit_xgboost, "sklearn": _fit_sklearn}
