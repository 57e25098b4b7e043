"""The metric suite of ``latentnav metrics``: a registry from metric name to a function of the encoded points.

Every entry takes a :class:`MetricInputs` (codes and factors of a seeded train/test split, and for the sampling
metrics the model's encoder and a :class:`~latentnav.metrics.sampled.FactorGrid`) and returns a flat dict of
numbers named ``<metric>`` or ``<metric>_<field>``. Adding a metric is one function and one entry here.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from latentnav.errors import ParameterError
from latentnav.metrics.dci_probe import dci
from latentnav.metrics.irs_score import irs
from latentnav.metrics.mig_score import mig
from latentnav.metrics.modularity import modularity_explicitness
from latentnav.metrics.sampled import beta_vae_score, factor_vae_score
from latentnav.metrics.sap_score import sap
from latentnav.metrics.unsupervised_scores import unsupervised


@dataclass(frozen=True)
class MetricInputs:
    """What the metrics are computed from.

    Attributes
    ----------
    codes_train, codes_test : ndarray (n_train, L), (n_test, L)
    factors_train, factors_test : ndarray (n_train, K), (n_test, K) int64, or None without ground truth
    factor_names : list of str
    encode : callable or None
        Observations (n, ...) -> codes (n, L), for FactorVAE and BetaVAE.
    grid : FactorGrid or None
        The dataset's full factor grid, for FactorVAE and BetaVAE.
    seed : int
    probe : str
        DCI's probe.
    workers : int
        Processes that fit DCI's probes.
    n_sampled_train, n_sampled_eval : int
        Training and evaluation points of FactorVAE and BetaVAE.
    """

    codes_train: np.ndarray
    codes_test: np.ndarray
    factors_train: np.ndarray | None
    factors_test: np.ndarray | None
    factor_names: list
    encode: Callable | None = None
    grid: object | None = None
    seed: int = 0
    probe: str = "xgboost"
    workers: int = 1
    n_sampled_train: int = 10000
    n_sampled_eval: int = 5000


def _dci(m: MetricInputs) -> dict:
    codes = np.concatenate([m.codes_train, m.codes_test])
    factors = np.concatenate([m.factors_train, m.factors_test])
    result = dci(codes, factors, probe=m.probe, n_train=len(m.codes_train), n_test=len(m.codes_test), seed=m.seed,
                 factor_names=m.factor_names, workers=m.workers)
    return {"dci_disentanglement": result.disentanglement, "dci_completeness": result.completeness,
            "dci_informativeness": result.informativeness}


def _prefixed(prefix: str, record) -> dict:
    return {f"{prefix}_{key}": float(value) for key, value in asdict(record).items()}


# name -> (needs factors, needs the factor grid, function)
METRICS: dict[str, tuple[bool, bool, Callable[[MetricInputs], dict]]] = {
    "dci": (True, False, _dci),
    "mig": (True, False, lambda m: {"mig": mig(m.codes_train, m.factors_train)}),
    "sap": (True, False, lambda m: {"sap": sap(m.codes_train, m.factors_train, m.codes_test, m.factors_test)}),
    "modularity": (True, False, lambda m: _prefixed("modularity", modularity_explicitness(
        m.codes_train, m.factors_train, m.codes_test, m.factors_test))),
    "irs": (True, False, lambda m: {"irs": irs(m.codes_train, m.factors_train)}),
    "factorvae": (True, True, lambda m: _prefixed("factorvae", factor_vae_score(
        m.encode, m.grid, seed=m.seed, n_train=m.n_sampled_train, n_eval=m.n_sampled_eval))),
    "betavae": (True, True, lambda m: _prefixed("betavae", beta_vae_score(
        m.encode, m.grid, seed=m.seed, n_train=m.n_sampled_train, n_eval=m.n_sampled_eval))),
    "unsupervised": (False, False, lambda m: _prefixed("unsupervised", unsupervised(m.codes_train))),
}


def check_metric_names(names, *, has_factors: bool, has_grid: bool, dataset: str = "the dataset") -> tuple[str, ...]:
    """``names`` validated against the registry and what the dataset offers; raises ParameterError naming ``metrics``."""
    names = tuple(dict.fromkeys(names))
    unknown = [n for n in names if n not in METRICS]
    if unknown or not names:
        raise ParameterError("metrics", f"{','.join(unknown) or '(empty)'} unknown; choose from {','.join(METRICS)}")
    no_factors = [n for n in names if METRICS[n][0] and not has_factors]
    if no_factors:
        raise ParameterError("metrics", f"{','.join(no_factors)} need ground-truth factors and {dataset} has none; "
                                        f"use unsupervised, or a dataset with factors such as shapes")
    no_grid = [n for n in names if METRICS[n][1] and not has_grid]
    if no_grid:
        raise ParameterError("metrics", f"{','.join(no_grid)} sample observations with one factor held fixed and "
                                        f"{dataset} is not a full factor grid; use a grid dataset such as shapes")
    return names


def available_metrics(*, has_factors: bool, has_grid: bool, n_factors: int) -> tuple[str, ...]:
    """The metrics a dataset supports (the default of ``latentnav metrics``): modularity needs two factors."""
    return tuple(name for name, (factors, grid, _) in METRICS.items()
                 if (has_factors or not factors) and (has_grid or not grid) and (name != "modularity" or n_factors > 1))


def compute_metrics(names, inputs: MetricInputs) -> dict:
    """Every metric of ``names`` (checked with :func:`check_metric_names`): a flat dict of floats."""
    out = {}
    for name in names:
        out.update(METRICS[name][2](inputs))
    return out
