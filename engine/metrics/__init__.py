"""Disentanglement metrics: DCI from probes (probe registry, numba kernels) and its scores."""

from latentnav.metrics.dci_probe import DCIConfig, DCIResult, dci
from latentnav.metrics.importance import DCIScores, article_scores, dci_scores

__all__ = ["DCIConfig", "DCIResult", "DCIScores", "article_scores", "dci", "dci_scores"]
