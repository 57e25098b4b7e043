"""Modularity and explicitness (Ridgeway & Zemel, "Learning Deep Disentangled Embeddings With the F-Statistic
Loss", NeurIPS 2018), as disentanglement_lib's ``evaluation/metrics/modularity_explicitness.py``.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from latentnav.errors import ParameterError
from latentnav.metrics.discrete import digitize_columns, mutual_information_matrix
from latentnav.metrics.legacy_logistic import ovr_logistic_regression
from latentnav.metrics.metric_inputs import check_codes_factors, check_n_bins, check_varying, same_columns


@dataclass(frozen=True)
class ModularityExplicitness:
    """Scores of :func:`modularity_explicitness`.

    Attributes
    ----------
    modularity : float
        Mean over codes of the per-code modularity, in [0, 1].
    explicitness_train, explicitness_test : float
        Mean over factors of the macro ROC-AUC of a logistic regression from all codes, on the training and on
        the held-out data.
    """

    modularity: float
    explicitness_train: float
    explicitness_test: float


def modularity_from_mi(mutual_information) -> float:
    """Modularity of a code x factor mutual information matrix ``m`` (L, K), K >= 2.

    Per code ``i`` with ``theta_i = max_k m_ik``: ``delta_i = sum_{k != argmax} m_ik^2 / (theta_i^2 (K - 1))``,
    modularity ``1 - delta_i``, or 0 when the code carries no information (``theta_i = 0``); the mean over codes.
    This is disentanglement_lib's ``modularity()`` (Ridgeway & Zemel 2018, https://arxiv.org/abs/1802.05312).

    Parameters
    ----------
    mutual_information : array_like (L, K)
        Nonnegative mutual information of every code with every factor.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> modularity_from_mi(np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]]))  # two ideal codes, one empty
    0.6666666666666666
    """
    squared = np.square(np.asarray(mutual_information, dtype=np.float64))
    top = squared.max(axis=1)
    informed = top > 0
    score = np.zeros(squared.shape[0])
    score[informed] = 1.0 - (squared[informed].sum(axis=1) - top[informed]) / (top[informed] * (squared.shape[1] - 1))
    return float(np.mean(score))


def modularity_explicitness(codes, factors, codes_test, factors_test, *, n_bins: int = 20) -> ModularityExplicitness:
    """Modularity (from the training data) and explicitness (train and test) of a representation.

    - Modularity: :func:`modularity_from_mi` of the discrete mutual information (nats) between the
      histogram-discretised training codes (``n_bins`` bins) and the training factors.
    - Explicitness of factor ``k``: codes standardised with the training mean and standard deviation (ddof 0,
      a constant code is only centred, like ``sklearn.preprocessing.StandardScaler``), a one-vs-rest
      logistic regression (:func:`~latentnav.metrics.legacy_logistic.ovr_logistic_regression`) fitted on all
      training codes, then ``roc_auc_score`` of the one-hot factor (one column per class, as
      ``MultiLabelBinarizer``) against ``predict_proba``, macro-averaged over classes; the mean over factors.

    Parameters
    ----------
    codes : array_like (N, L)
        Training codes, samples first.
    factors : array_like (N, K)
        Discrete training factors, K >= 2, each taking >= 2 values.
    codes_test : array_like (M, L)
        Held-out codes.
    factors_test : array_like (M, K)
        Held-out factors; each factor must take exactly the values it takes in training (the ROC-AUC needs
        every class on both sides; disentanglement_lib fails otherwise too).
    n_bins : int, default 20
        Histogram bins per code dimension for the mutual information.

    Returns
    -------
    ModularityExplicitness

    Raises
    ------
    ParameterError
        For mismatched shapes, fewer than 2 samples or factors, non-finite values, a constant factor, test
        factor values that differ from the training ones, or ``n_bins < 2``.

    Examples
    --------
    >>> factors = np.array([[a, b] for a in range(3) for b in range(4)] * 10)
    >>> scores = modularity_explicitness(factors.astype(float), factors, factors.astype(float), factors)
    >>> round(scores.modularity, 6)  # each code informs one factor only
    1.0
    """
    codes, factors = check_codes_factors(codes, factors, min_factors=2)
    codes_test, factors_test = check_codes_factors(
        codes_test, factors_test, codes_name="codes_test", factors_name="factors_test"
    )
    same_columns(codes, codes_test, "codes", "codes_test")
    same_columns(factors, factors_test, "factors", "factors_test")
    n_bins = check_n_bins(n_bins)
    check_varying(factors)
    modularity = modularity_from_mi(mutual_information_matrix(digitize_columns(codes, n_bins), factors))

    codes = codes.astype(np.float64)
    mean, scale = codes.mean(axis=0), codes.std(axis=0)
    scale[scale == 0] = 1.0
    x_train, x_test = (codes - mean) / scale, (codes_test.astype(np.float64) - mean) / scale
    aucs = np.array(
        [_explicitness(x_train, factors[:, k], x_test, factors_test[:, k], k) for k in range(factors.shape[1])]
    )
    return ModularityExplicitness(modularity, float(aucs[:, 0].mean()), float(aucs[:, 1].mean()))


def _explicitness(x_train, y_train, x_test, y_test, k: int) -> tuple[float, float]:
    """Macro ROC-AUC of the one-vs-rest logistic regression for factor ``k`` on train and test data."""
    classes = np.unique(y_train)
    test_classes = np.unique(y_test)
    if not np.array_equal(classes, test_classes):
        raise ParameterError(
            "factors_test",
            f"column {k} takes the values {test_classes.tolist()} but the training factors take "
            f"{classes.tolist()}; explicitness needs the same values in both: use more test samples",
        )
    classifier = ovr_logistic_regression().fit(x_train, y_train)
    return (
        float(roc_auc_score(y_train[:, None] == classes, classifier.predict_proba(x_train), average="macro")),
        float(roc_auc_score(y_test[:, None] == classes, classifier.predict_proba(x_test), average="macro")),
    )
