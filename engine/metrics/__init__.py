"""Disentanglement metrics (``latentnav.metrics``), samples first: codes (N, L), factors (N, K).

DCI from probes (probe registry, numba kernels), and the family papers report beside it, each as
disentanglement_lib defines it: MIG, SAP, Modularity/Explicitness, IRS, the unsupervised scores, FactorVAE and
BetaVAE (these two sample observations from a :class:`FactorGrid`). :data:`~latentnav.metrics.suite.METRICS` is the
registry ``latentnav metrics`` runs.
"""

from latentnav.metrics.dci_probe import DCIConfig, DCIResult, dci
from latentnav.metrics.discrete import entropies, histogram_discretize, mutual_information_matrix
from latentnav.metrics.importance import DCIScores, article_scores, dci_scores
from latentnav.metrics.irs_score import irs
from latentnav.metrics.mig_score import mig
from latentnav.metrics.modularity import ModularityExplicitness, modularity_explicitness
from latentnav.metrics.sampled import BetaVAEScore, FactorGrid, FactorVAEScore, beta_vae_score, factor_vae_score
from latentnav.metrics.sap_score import sap
from latentnav.metrics.unsupervised_scores import UnsupervisedScores, unsupervised

__all__ = [
    "BetaVAEScore", "DCIConfig", "DCIResult", "DCIScores", "FactorGrid", "FactorVAEScore", "ModularityExplicitness",
    "UnsupervisedScores", "article_scores", "beta_vae_score", "dci", "dci_scores", "entropies", "factor_vae_score",
    "histogram_discretize", "irs", "mig", "modularity_explicitness", "mutual_information_matrix", "sap",
    "unsupervised",
]
