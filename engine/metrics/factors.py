"""The factors DCI probes predict: from a dataset (label, one-hot classes, ground truth), cleaned and split."""

import numpy as np

from latentnav.data.datasets import Dataset
from latentnav.errors import LatentnavError, ParameterError

FACTOR_MODES = ("label", "onehot", "all")


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
            raise ParameterError("factors", f"cannot be used: {data.name} has no ground-truth factors; use label or onehot "
                                            f"(or a dataset with factors such as shapes)", value=mode)
        factors, names = data.factors, list(data.factor_names)
    return drop_constant_factors(factors, names)


def drop_constant_factors(factors: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str], list[str]]:
    """Factors (N, K) without the columns that hold one value: ``(factors, names, warnings)``."""
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
    if n_test > n - 2:
        raise ParameterError("n_test", f"{n_test} leaves fewer than 2 of the {n} inputs available for training; "
                                       f"use at most {max(n - 2, 0)}")
    n_train = n - n_test if n_train is None else n_train
    if n_train + n_test > n:
        raise ParameterError("n_train", f"{n_train} + {{n_test}} {n_test} exceed the {n} inputs available")
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


def strata(factors: np.ndarray) -> np.ndarray:
    """One stratum id per row: the combination of all factor values."""
    return np.unique(factors, axis=0, return_inverse=True)[1].ravel()


