"""The DCI job: latents of a dataset -> one probe per factor -> importance matrix R -> DCI scores.

Factor modes: ``label`` (the class as one factor: the article's I, D = sum p^2, C = max p, plus the paper's
scores under the K = 1 convention), ``onehot`` (the class as K binary factors, so the paper's D and C mean
something for a classifier's latent space), ``all`` (the dataset's ground-truth factors, e.g. ``shapes``).
"""

from dataclasses import asdict, dataclass, field

import numpy as np

from engine.dci import DCIScores, article_scores, dci_scores
from engine.kernels import dci_scores_batch
from engine.probes import PROBES, fit_probe
from models.datasets import Dataset
from models.errors import LatentnavError

FACTOR_MODES = ("label", "onehot", "all")


@dataclass(frozen=True)
class DCIConfig:
    """Settings of a DCI run; validated on construction. ``n_test = 0`` fits and scores on the same data."""

    probe: str = "xgboost"
    factors: str = "label"
    n_train: int | None = None
    n_test: int | None = None
    bootstrap: int = 0
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        if self.probe not in PROBES:
            raise LatentnavError(f"--probe {self.probe!r} is unknown; choose xgboost or sklearn")
        if self.factors not in FACTOR_MODES:
            raise LatentnavError(f"--factors {self.factors!r} is unknown; choose label, onehot or all")
        if self.n_train is not None and self.n_train < 2:
            raise LatentnavError(f"--n-train must be >= 2, got {self.n_train}")
        if self.n_test is not None and self.n_test < 0:
            raise LatentnavError(f"--n-test must be >= 0, got {self.n_test}")
        if self.bootstrap < 0:
            raise LatentnavError(f"--bootstrap must be >= 0, got {self.bootstrap}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise LatentnavError(f"--device {self.device!r} is unknown; choose auto, cpu or cuda")


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


def factor_matrix(data: Dataset, mode: str) -> tuple[np.ndarray, list[str], list[str]]:
    """Factors (N, K) int64 and their names for ``mode``; constant factors are dropped with a warning.

    Returns ``(factors, names, warnings)``.
    """
    if mode == "label":
        factors, names = data.labels[:, None], ["label"]
    elif mode == "onehot":
        classes = np.unique(data.labels)
        factors, names = (data.labels[:, None] == classes[None, :]).astype(np.int64), [f"class {c}" for c in classes]
    else:
        if data.factors is None:
            raise LatentnavError(f"{data.name} has no ground-truth factors; use --factors label or onehot (or --dataset shapes)")
        factors, names = data.factors, list(data.factor_names)
    constant = [j for j in range(factors.shape[1]) if len(np.unique(factors[:, j])) < 2]
    warnings = [f"factor {names[j]!r} is constant in these inputs and was dropped" for j in constant]
    keep = [j for j in range(factors.shape[1]) if j not in constant]
    if not keep:
        raise LatentnavError("every factor is constant in these inputs; use more inputs")
    return factors[:, keep], [names[j] for j in keep], warnings


def split_train_test(strata: np.ndarray, n_train: int | None, n_test: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test indices over ``strata`` (N,), so that every class is in train.

    Defaults: ``n_test`` 20 % of N, ``n_train`` the rest. ``n_test = 0`` returns all (or ``n_train``) inputs for
    training and none for testing (the article fits and scores on the same data).
    """
    from sklearn.model_selection import train_test_split

    n = len(strata)
    n_test = int(round(0.2 * n)) if n_test is None else n_test
    n_train = n - n_test if n_train is None else n_train
    if n_train + n_test > n:
        raise LatentnavError(f"--n-train {n_train} + --n-test {n_test} exceed the {n} inputs available")
    everything = np.arange(n)
    if n_test == 0:
        rng = np.random.default_rng(seed)
        return np.sort(rng.permutation(n)[:n_train]) if n_train < n else everything, everything[:0]
    try:
        train, test = train_test_split(everything, train_size=n_train, test_size=n_test, stratify=strata,
                                       random_state=seed)
    except ValueError:  # a class too rare to stratify: fall back to a plain split
        train, test = train_test_split(everything, train_size=n_train, test_size=n_test, random_state=seed)
    return np.sort(train), np.sort(test)


def compute_dci(Z: np.ndarray, factors: np.ndarray, names: list[str], config: DCIConfig,
                warnings: list | None = None) -> DCIResult:
    """Fit one probe per factor column and score; ``Z`` (N, L), ``factors`` (N, K)."""
    train, test = split_train_test(factors[:, 0] if factors.shape[1] == 1 else _strata(factors), config.n_train,
                                   config.n_test, config.seed)
    fits = [fit_probe(Z[train], factors[train, j], Z[test] if len(test) else None, factors[test, j] if len(test) else None,
                      probe=config.probe, device=config.device, seed=config.seed) for j in range(factors.shape[1])]
    R = np.stack([f.importances for f in fits], axis=1)  # (L, K)
    scores = dci_scores(R)
    train_acc = np.array([f.train_accuracy for f in fits])
    test_acc = np.array([f.test_accuracy for f in fits]) if len(test) else None
    article = None
    if config.factors == "label":
        d, c = article_scores(fits[0].importances)
        article = {"informativeness": fits[0].train_accuracy, "informativeness_test": fits[0].test_accuracy,
                   "disentanglement": d, "completeness": c}
    boot = _bootstrap(Z[train], factors[train], config) if config.bootstrap else None
    return DCIResult(
        config=config, factor_names=names, R=R, scores=scores, train_accuracy=train_acc,
        test_accuracy=test_acc, article=article, n_train=len(train), n_test=len(test),
        probe_device=fits[0].device, probe_seconds=sum(f.seconds for f in fits), bootstrap=boot,
        warnings=list(warnings or []),
    )


def _strata(factors: np.ndarray) -> np.ndarray:
    """One stratum id per row: the combination of all factor values."""
    return np.unique(factors, axis=0, return_inverse=True)[1].ravel()


def _bootstrap(Z: np.ndarray, factors: np.ndarray, config: DCIConfig) -> dict:
    """Refit the probes on ``config.bootstrap`` resamples of the training data; 95 % intervals of D and C."""
    rng = np.random.default_rng(config.seed + 1)
    stack = []
    for _ in range(config.bootstrap):
        idx = rng.integers(0, len(Z), size=len(Z))
        columns = []
        for j in range(factors.shape[1]):
            y = factors[idx, j]
            if len(np.unique(y)) < 2:
                columns.append(np.zeros(Z.shape[1]))
                continue
            columns.append(fit_probe(Z[idx], y, probe=config.probe, device=config.device, seed=config.seed).importances)
        stack.append(np.stack(columns, axis=1))
    D, C, _, _ = dci_scores_batch(np.stack(stack))
    return {
        "resamples": config.bootstrap,
        "disentanglement": {"mean": float(D.mean()), "ci95": [float(np.percentile(D, 2.5)), float(np.percentile(D, 97.5))]},
        "completeness": {"mean": float(C.mean()), "ci95": [float(np.percentile(C, 2.5)), float(np.percentile(C, 97.5))]},
    }
