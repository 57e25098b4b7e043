"""Input checks shared by the disentanglement metrics (samples first: codes (N, L), factors (N, K)).

Every check raises :class:`~latentnav.errors.ParameterError` naming the parameter and saying how to fix it.
"""

import numbers

import numpy as np

from latentnav.errors import ParameterError


def check_n_bins(n_bins, name: str = "n_bins") -> int:
    """``n_bins`` as an int >= 2."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral):
        raise ParameterError(name, f"must be an integer >= 2, got {type(n_bins).__name__}", value=n_bins)
    if n_bins < 2:
        raise ParameterError(name, f"must be >= 2, got {n_bins}; 20 is disentanglement_lib's setting")
    return int(n_bins)


def check_count(value, name: str, minimum: int = 1) -> int:
    """A count parameter (``batch_size``, ``n_train``, ...) as an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(name, f"must be an integer >= {minimum}, got {type(value).__name__}", value=value)
    if value < minimum:
        raise ParameterError(name, f"must be >= {minimum}, got {value}")
    return int(value)


def check_matrix(arr, name: str, *, what: str, min_columns: int = 1) -> np.ndarray:
    """``arr`` as a finite numeric 2-D array (samples, ``what``) with >= 2 rows and >= ``min_columns`` columns.

    The dtype is kept (float32 codes are discretised in float32, as numpy does in disentanglement_lib);
    booleans become int64.
    """
    arr = np.asarray(arr)
    if arr.ndim != 2:
        raise ParameterError(
            name, f"must be 2-D (samples, {what}), got shape {arr.shape}; pass one column as {name}[:, None]"
        )
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ParameterError(name, f"must be a numeric array, got dtype {arr.dtype}")
    if arr.shape[0] < 2:
        raise ParameterError(name, f"needs at least 2 samples (rows), got {arr.shape[0]}; pass more samples")
    if arr.shape[1] < min_columns:
        raise ParameterError(name, f"needs at least {min_columns} {what} (columns) for this metric, got {arr.shape[1]}")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        row, col = np.argwhere(~np.isfinite(arr))[0]
        raise ParameterError(
            name, f"must be finite, but row {row}, column {col} is {arr[row, col]}; drop or impute those samples first"
        )
    return arr


def check_codes_factors(codes, factors, *, codes_name="codes", factors_name="factors", min_codes=1, min_factors=1):
    """``(codes, factors)`` checked by :func:`check_matrix`, with the same number of samples."""
    codes = check_matrix(codes, codes_name, what="code dimensions", min_columns=min_codes)
    factors = check_matrix(factors, factors_name, what="factors", min_columns=min_factors)
    if codes.shape[0] != factors.shape[0]:
        raise ParameterError(
            factors_name,
            f"has {factors.shape[0]} samples (rows) but {codes_name} has {codes.shape[0]}; "
            "pass the factors of exactly the encoded samples, in the same order",
        )
    return codes, factors


def check_varying(factors: np.ndarray, name: str = "factors") -> None:
    """Raise when a factor column takes a single value (a metric that needs two values per factor)."""
    constant = np.flatnonzero((factors == factors[:1]).all(axis=0))
    if constant.size:
        j = int(constant[0])
        raise ParameterError(
            name,
            f"column {j} takes the single value {factors[0, j].item()!r}; this metric needs at least two values per "
            "factor: drop that column or sample more points",
        )


def same_columns(train: np.ndarray, test: np.ndarray, train_name: str, test_name: str) -> None:
    """Raise when the train and test matrices have different numbers of columns."""
    if train.shape[1] != test.shape[1]:
        raise ParameterError(
            test_name,
            f"has {test.shape[1]} columns but {train_name} has {train.shape[1]}; train and test data must come "
            "from the same encoder and factors",
        )
