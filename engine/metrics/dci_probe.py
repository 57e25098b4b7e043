"""DCI from probes: codes -> one probe per factor -> importance matrix R -> DCI scores (``latentnav.dci``).

Factor modes of the CLI (:mod:`latentnav.metrics.factors`): ``label`` (the class as one factor: the article's I,
D = sum p^2, C = max p, plus the paper's scores under the K = 1 convention), ``onehot`` (the class as K binary
factors, so the paper's D and C mean something for a classifier's latent space), ``all`` (the dataset's
ground-truth factors, e.g. ``shapes``); ``given`` for factors handed to :func:`dci` directly.

The probes (one per factor, and one per factor and resample for ``bootstrap``) are independent and seeded, so
``workers > 1`` fits them in that many processes with results identical bit for bit to ``workers = 1``; xgboost
always runs on :data:`PROBE_THREADS` threads per fit so that the thread count cannot change its sums.
"""

import numbers
from dataclasses import asdict, dataclass, field

import numpy as np

from latentnav.errors import ParameterError
from latentnav.metrics.factors import FACTOR_MODES, drop_constant_factors, split_train_test, strata
from latentnav.metrics.importance import DCIScores, article_scores, check_importance_matrix, dci_scores
from latentnav.metrics.kernels import dci_scores_batch
from latentnav.metrics.probe_pool import PROBE_THREADS, resample_states, run_fits
from latentnav.metrics.probes import PROBES, cuda_available

__all__ = ["DCIConfig", "DCIResult", "PROBE_THREADS", "compute_dci", "dci"]

@dataclass(frozen=True)
class DCIConfig:
    """Settings of a DCI run; validated on construction. ``n_test = 0`` fits and scores on the same data.

    ``workers`` processes fit the probes (1: in this process). More give the same result bit for bit. They are
    forked from a fork server (spawned where there is none), so a script that asks for them needs the
    ``if __name__ == "__main__":`` guard; the first pool of a process costs about an import of latentnav (1-2 s),
    later ones little. Measured on 2 cores, sklearn on ``shapes`` (5 factors, 3.9 s in one process): 3.6 s with
    2 workers the first time, 2.4 s afterwards.
    """

    probe: str = "xgboost"
    factors: str = "label"
    n_train: int | None = None
    n_test: int | None = None
    bootstrap: int = 0
    seed: int = 0
    device: str = "auto"
    workers: int = 1

    def __post_init__(self):
        if self.probe not in PROBES:
            raise ParameterError("probe", f"is unknown; choose {' or '.join(PROBES)}", value=self.probe)
        if self.factors not in (*FACTOR_MODES, "given"):
            raise ParameterError("factors", "is unknown; choose label, onehot or all", value=self.factors)
        if self.n_train is not None and self.n_train < 2:
            raise ParameterError("n_train", f"must be >= 2, got {self.n_train}")
        if self.n_test is not None and self.n_test < 0:
            raise ParameterError("n_test", f"must be >= 0, got {self.n_test}")
        if self.bootstrap < 0:
            raise ParameterError("bootstrap", f"must be >= 0, got {self.bootstrap}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ParameterError("device", "is unknown; choose auto, cpu or cuda", value=self.device)
        if isinstance(self.workers, bool) or not isinstance(self.workers, numbers.Integral) or self.workers < 1:
            raise ParameterError("workers", f"must be an integer >= 1, got {self.workers!r}")


@dataclass(frozen=True)
class DCIResult:
    """Everything a DCI run measured (see :meth:`to_dict` for the JSON form)."""

    config: DCIConfig
    factor_names: list
    R: np.ndarray
    scores: DCIScores
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray | None
    article: dict | None
    n_train: int
    n_test: int
    probe_device: str
    probe_seconds: float
    bootstrap: dict | None = None
    warnings: list = field(default_factory=list)
    source: dict = field(default_factory=dict)

    @property
    def disentanglement(self) -> float:
        """D of the paper (Eastwood & Williams 2018)."""
        return self.scores.disentanglement

    @property
    def completeness(self) -> float:
        """C of the paper."""
        return self.scores.completeness

    @property
    def informativeness(self) -> float:
        """Mean held-out probe accuracy over the factors (training accuracy when there is no held-out part)."""
        return float((self.train_accuracy if self.test_accuracy is None else self.test_accuracy).mean())

    @property
    def importance(self) -> np.ndarray:
        """R (L codes, K factors)."""
        return self.R

    @property
    def per_code(self) -> np.ndarray:
        """D_i (L,)."""
        return self.scores.per_code

    @property
    def per_factor(self) -> np.ndarray:
        """C_j (K,)."""
        return self.scores.per_factor

    def to_dict(self) -> dict:
        test = None if self.test_accuracy is None else self.test_accuracy.tolist()
        sc = self.scores
        return {
            "config": asdict(self.config), "source": self.source, "n_train": self.n_train, "n_test": self.n_test,
            "factor_names": list(self.factor_names), "R": self.R.tolist(),
            "disentanglement": sc.disentanglement, "completeness": sc.completeness,
            "informativeness": {"train": float(self.train_accuracy.mean()),
                                "test": None if test is None else float(np.mean(test))},
            "per_code": {"disentanglement": sc.per_code.tolist(), "weight": sc.code_weights.tolist()},
            "per_factor": [
                {"name": n, "completeness": float(c), "weight": float(w), "train_accuracy": float(a),
                 "test_accuracy": None if test is None else test[j]}
                for j, (n, c, w, a) in enumerate(zip(self.factor_names, sc.per_factor, sc.factor_weights,
                                                     self.train_accuracy))
            ],
            "article": self.article, "probe_device": self.probe_device, "probe_seconds": round(self.probe_seconds, 3),
            "bootstrap": self.bootstrap, "warnings": self.warnings,
        }


def compute_dci(Z: np.ndarray, factors: np.ndarray, names: list[str], config: DCIConfig,
                warnings: list | None = None) -> DCIResult:
    """Fit one probe per factor column and score; ``Z`` (N, L), ``factors`` (N, K).

    With ``config.workers > 1`` the probes (and the bootstrap's refits) are fitted in that many processes; the
    result is identical bit for bit to the serial run.
    """
    train, test = split_train_test(factors[:, 0] if factors.shape[1] == 1 else strata(factors), config.n_train,
                                   config.n_test, config.seed)
    n_factors = factors.shape[1]
    data = {"Z": Z[train], "factors": factors[train], "Z_test": Z[test] if len(test) else None,
            "factors_test": factors[test] if len(test) else None, "probe": config.probe,
            "device": _probe_device(config), "seed": config.seed}
    resamples = resample_states(len(train), config.bootstrap, config.seed + 1)
    tasks = [(j, None) for j in range(n_factors)] + [(j, state) for state in resamples for j in range(n_factors)]
    done = run_fits(tasks, data, config.workers)
    fits, refits = done[:n_factors], done[n_factors:]
    R = check_importance_matrix(np.stack([f.importances for f in fits], axis=1))  # (L, K), rounding residue -> 0
    scores = dci_scores(R)
    train_acc = np.array([f.train_accuracy for f in fits])
    test_acc = np.array([f.test_accuracy for f in fits]) if len(test) else None
    article = None
    if n_factors == 1:  # one factor (the class label): the article's simplified scores too
        d, c = article_scores(R[:, 0])
        article = {"informativeness": fits[0].train_accuracy, "informativeness_test": fits[0].test_accuracy,
                   "disentanglement": d, "completeness": c}
    boot = _bootstrap(refits, Z.shape[1], n_factors, config) if config.bootstrap else None
    return DCIResult(
        config=config, factor_names=names, R=R, scores=scores, train_accuracy=train_acc,
        test_accuracy=test_acc, article=article, n_train=len(train), n_test=len(test),
        probe_device=fits[0].device, probe_seconds=sum(f.seconds for f in fits), bootstrap=boot,
        warnings=list(warnings or []),
    )


def _probe_device(config: DCIConfig) -> str:
    """The device every fit gets: ``auto`` decided once here (not in each worker, which would import torch)."""
    if config.device != "auto" or config.probe != "xgboost":
        return config.device
    return "cuda" if cuda_available() else "cpu"


def _bootstrap(refits: list, n_codes: int, n_factors: int, config: DCIConfig) -> dict:
    """95 % intervals of D and C over the refits on ``config.bootstrap`` resamples of the training data
    (``refits`` resample-major, one per factor; None, a factor constant in its resample, counts as importance 0)."""
    columns = [np.zeros(n_codes) if fit is None else fit.importances for fit in refits]
    stack = [np.stack(columns[b * n_factors:(b + 1) * n_factors], axis=1) for b in range(config.bootstrap)]
    D, C, _, _ = dci_scores_batch(np.stack(stack))
    return {
        "resamples": config.bootstrap,
        "disentanglement": {"mean": float(D.mean()), "ci95": [float(np.percentile(D, 2.5)), float(np.percentile(D, 97.5))]},
        "completeness": {"mean": float(C.mean()), "ci95": [float(np.percentile(C, 2.5)), float(np.percentile(C, 97.5))]},
    }


def dci(codes, factors, *, probe: str = "xgboost", n_test: int | None = None, seed: int = 0, device: str = "auto",
        factor_names=None, n_train: int | None = None, bootstrap: int = 0, workers: int = 1) -> DCIResult:
    """Disentanglement, Completeness and Informativeness (Eastwood & Williams, ICLR 2018) of codes w.r.t. factors.

    One tree-ensemble probe per factor predicts it from the codes; their importances form ``R`` (L, K), scored
    exactly as disentanglement_lib (``+1e-11``, base-K / base-L entropies, importance weights; see
    :func:`latentnav.dci_scores`). Constant factors are dropped with a warning (``result.warnings``).

    Parameters
    ----------
    codes : array_like of shape (N, L)
        Latent codes, samples first.
    factors : array_like of shape (N, K) or (N,)
        Discrete factor values (any integers or labels).
    probe : {"xgboost", "sklearn"}
        ``sklearn`` is ``GradientBoostingClassifier()`` (disentanglement_lib's numbers, slow); ``xgboost`` is fast
        and runs on CUDA when ``device`` allows.
    n_test : int, optional
        Held-out inputs (stratified); default 20 %. ``0`` fits and scores on the same data (the article's way).
    seed : int
    device : {"auto", "cpu", "cuda"}
    factor_names : sequence of str, optional
    n_train : int, optional
        Training inputs (default: all that are not held out).
    bootstrap : int
        Resamples for 95 % intervals of D and C (``result.bootstrap``).
    workers : int
        Processes that fit the probes (default 1: this one); the result is the same bit for bit. A script that
        asks for more needs the ``if __name__ == "__main__":`` guard.

    Returns
    -------
    DCIResult
        ``disentanglement``, ``completeness``, ``informativeness`` (held-out accuracy, or training accuracy with
        ``n_test=0``), ``importance`` (L, K), ``per_code`` (L,), ``per_factor`` (K,), accuracies per factor, and
        for a single factor the article's simplified scores (``article``); ``to_dict()`` is the CLI's JSON.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 4, size=(500, 2))
    >>> codes = np.column_stack([factors, rng.normal(size=500)])
    >>> result = dci(codes, factors, n_test=0)
    >>> round(result.disentanglement, 2) > 0.9, round(result.informativeness, 2)
    (True, 1.0)
    """
    Z = np.asarray(codes)
    y = np.asarray(factors)
    y = y[:, None] if y.ndim == 1 else y
    if Z.ndim != 2 or len(Z) < 2:
        raise ParameterError("codes", f"must be (N, L) with N >= 2, got shape {Z.shape}")
    if y.ndim != 2 or len(y) != len(Z):
        raise ParameterError("factors", f"must be (N, K) or (N,) with N = {len(Z)} rows like codes, got shape {y.shape}")
    if not np.issubdtype(Z.dtype, np.number) or not np.isfinite(Z).all():
        raise ParameterError("codes", "must be finite numbers")
    names = [f"factor {j}" for j in range(y.shape[1])] if factor_names is None else [str(n) for n in factor_names]
    if len(names) != y.shape[1]:
        raise ParameterError("factor_names", f"must name the {y.shape[1]} factors, got {len(names)} names")
    encoded = np.column_stack([np.unique(y[:, j], return_inverse=True)[1].ravel() for j in range(y.shape[1])])
    kept, kept_names, warnings = drop_constant_factors(encoded.astype(np.int64), names)
    config = DCIConfig(probe=probe, factors="given", n_train=n_train, n_test=n_test, bootstrap=bootstrap, seed=seed,
                       device=device, workers=workers)
    return compute_dci(Z.astype(np.float32), kept, kept_names, config, warnings=warnings)
