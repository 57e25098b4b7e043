"""Histogram discretisation and batched discrete mutual information, as disentanglement_lib's ``utils.py``.

- :func:`histogram_discretize`: per column ``np.digitize(x, np.histogram(x, n_bins)[1][:-1])``
  (``utils._histogram_discretize``), i.e. ``n_bins`` equal-width bins between the column's min and max,
  labelled 1..n_bins.
- :func:`mutual_information_matrix`: ``M[i, j] = I(a_i; b_j)`` in nats for every column pair, equal (to ~1e-14)
  to ``sklearn.metrics.mutual_info_score(b[:, j], a[:, i])`` (``utils.discrete_mutual_info``) but computed in
  one batched ``np.bincount`` pass over all pairs instead of L x K contingency tables.
- :func:`entropies`: ``H(a_i)`` in nats (``utils.discrete_entropy``, i.e. ``mutual_info_score(y, y)``).

With counts ``n_uv`` of the pair (a_i = u, b_j = v) over N samples and ``S(c) = sum c log c``,
``I = log N - (S(n_u.) + S(n_.v) - S(n_uv)) / N``, set to 0 when either variable is constant (sklearn's rule)
and clipped at 0 (rounding can give -1e-16).
"""

import numpy as np

from latentnav.errors import ParameterError
from latentnav.metrics.metric_inputs import check_matrix, check_n_bins

_BUDGET = 1 << 22  # entries of one batched index array (32 MiB of int64) and of its count vector


def histogram_discretize(codes, n_bins: int = 20) -> np.ndarray:
    """Discretise every code dimension into ``n_bins`` equal-width histogram bins.

    Parameters
    ----------
    codes : array_like (N, L)
        Finite codes, samples first. Float32 input is binned with float32 edges, as numpy does.
    n_bins : int, default 20
        Number of bins (>= 2), disentanglement_lib's ``discretizer.num_bins``.

    Returns
    -------
    ndarray (N, L) int64
        Bin labels 1..n_bins: ``np.digitize(x, edges[:-1])`` with ``edges = np.histogram(x, n_bins)[1]`` per
        column (the column minimum is in bin 1, the maximum in bin n_bins; a constant column falls in one
        bin, the middle one of numpy's range c - 0.5 .. c + 0.5).

    Examples
    --------
    >>> histogram_discretize(np.array([[0.0], [0.4], [0.5], [1.0]]), n_bins=2)[:, 0].tolist()
    [1, 1, 2, 2]
    """
    return digitize_columns(check_matrix(codes, "codes", what="code dimensions"), check_n_bins(n_bins))


def digitize_columns(x: np.ndarray, n_bins: int) -> np.ndarray:
    """:func:`histogram_discretize` of an already checked (N, M) array (no input checks)."""
    out = np.empty(x.shape, dtype=np.int64)
    for j in range(x.shape[1]):
        column = x[:, j]
        out[:, j] = np.digitize(column, np.histogram_bin_edges(column, n_bins)[:-1])
    return out


def _labels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(labels (N, M) int64 in 0..size-1, size (M,), constant (M,))`` for the discrete columns of ``x``.

    Integer columns with a small range are shifted by their minimum (empty labels in between are harmless);
    other columns are relabelled through ``np.unique``.
    """
    n, m = x.shape
    labels = np.empty((n, m), dtype=np.int64)
    sizes = np.empty(m, dtype=np.int64)
    lo, hi = x.min(axis=0), x.max(axis=0)
    constant = lo == hi
    integer = np.issubdtype(x.dtype, np.integer)
    for j in range(m):
        span = int(hi[j]) - int(lo[j]) + 1 if integer else 0
        if integer and span <= max(4 * n, 1024):
            labels[:, j] = (x[:, j] - lo[j]).astype(np.int64)
            sizes[j] = span
        else:
            uniques, inverse = np.unique(x[:, j], return_inverse=True)
            labels[:, j] = inverse.reshape(-1)
            sizes[j] = uniques.size
    return labels, sizes, constant


def _xlogx_sums(counts: np.ndarray, segment: np.ndarray, n_segments: int) -> np.ndarray:
    """``sum c log c`` of ``counts`` per segment id (``segment`` has one id per count)."""
    c = counts.astype(np.float64)
    return np.bincount(segment, weights=c * np.log(np.maximum(c, 1.0)), minlength=n_segments)


def _marginal_sums(labels: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``S(column counts)`` for every column, in one bincount."""
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    counts = np.bincount((labels + offsets).ravel(), minlength=int(sizes.sum()))
    return _xlogx_sums(counts, np.repeat(np.arange(sizes.size), sizes), sizes.size)


def _row_blocks(row_cells: np.ndarray, entries_per_row: int):
    """Groups of consecutive rows (those whose tables fit the budget) whose index array and counts fit it."""
    group, cells = [], 0
    for i in np.flatnonzero(row_cells <= _BUDGET).tolist():
        if group and ((len(group) + 1) * entries_per_row > _BUDGET or cells + row_cells[i] > _BUDGET):
            yield np.array(group)
            group, cells = [], 0
        group.append(i)
        cells += int(row_cells[i])
    if group:
        yield np.array(group)


def _pair_sum(x: np.ndarray, y: np.ndarray, ny: int, size: int) -> float:
    """``S(joint counts)`` of one pair of label rows (the fallback for tables past the budget)."""
    key = x * ny + y
    counts = np.bincount(key, minlength=size) if size <= _BUDGET else np.unique(key, return_counts=True)[1]
    c = counts[counts > 0].astype(np.float64)
    return float(np.sum(c * np.log(c)))


def _joint_sums(la: np.ndarray, na: np.ndarray, lb: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """``S(joint counts)`` (La, Lb) of every column pair, in batched bincounts over blocks of pairs.

    Each block of rows i (of a) and columns j (of b) gets one index array (i, j, sample) of contingency cells,
    every pair's table at its own offset, and one ``np.bincount``; blocks keep the index array and the count
    vector within ``_BUDGET`` entries.
    """
    n = la.shape[0]
    at, bt = np.ascontiguousarray(la.T), np.ascontiguousarray(lb.T)  # (La, N), (Lb, N): samples innermost
    sizes = na[:, None] * nb[None, :]
    out = np.empty(sizes.shape)
    width = int(np.clip(_BUDGET // n, 1, nb.size))
    for j0 in range(0, nb.size, width):
        cols = np.arange(j0, min(j0 + width, nb.size))
        row_cells = sizes[:, cols].sum(axis=1)
        for rows in _row_blocks(row_cells, n * cols.size):
            block = sizes[np.ix_(rows, cols)]
            offsets = np.cumsum(block.ravel()) - block.ravel()
            index = at[rows][:, None, :] * nb[cols][None, :, None]
            index += bt[cols][None, :, :]
            index += offsets.reshape(block.shape)[:, :, None]
            counts = np.bincount(index.ravel(), minlength=int(block.sum()))
            sums = _xlogx_sums(counts, np.repeat(np.arange(block.size), block.ravel()), block.size)
            out[np.ix_(rows, cols)] = sums.reshape(block.shape)
        for i in np.flatnonzero(row_cells > _BUDGET):
            for j in cols:
                out[i, j] = _pair_sum(at[i], bt[j], int(nb[j]), int(sizes[i, j]))
    return out


def _as_discrete(x, name: str) -> np.ndarray:
    return check_matrix(x, name, what="discrete variables")


def mutual_information_matrix(a, b=None) -> np.ndarray:
    """Discrete mutual information (nats) of every column of ``a`` with every column of ``b``, batched.

    Parameters
    ----------
    a : array_like (N, La)
        Discrete labels (integers, or any values compared for equality), samples first; e.g. the output of
        :func:`histogram_discretize`.
    b : array_like (N, Lb), optional
        Discrete labels of the same N samples; ``a`` itself when omitted.

    Returns
    -------
    ndarray (La, Lb)
        ``M[i, j] = sum_uv p_uv log(p_uv / (p_u p_v))`` with empirical frequencies, i.e.
        ``sklearn.metrics.mutual_info_score(a[:, i], b[:, j])`` (0 when either column is constant, never < 0).

    Examples
    --------
    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> np.round(mutual_information_matrix(x), 4).tolist()  # log 2 on the diagonal, independent off it
    [[0.6931, 0.0], [0.0, 0.6931]]
    """
    a = _as_discrete(a, "a")
    la, na, const_a = _labels(a)
    if b is None:
        lb, nb, const_b = la, na, const_a
        sums_a = sums_b = _marginal_sums(la, na)
    else:
        b = _as_discrete(b, "b")
        if b.shape[0] != a.shape[0]:
            raise _mismatch(a, b)
        lb, nb, const_b = _labels(b)
        sums_a, sums_b = _marginal_sums(la, na), _marginal_sums(lb, nb)
    n = a.shape[0]
    joint = _joint_sums(la, na, lb, nb)
    mi = np.log(n) - (sums_a[:, None] + sums_b[None, :] - joint) / n
    mi[const_a, :] = 0.0
    mi[:, const_b] = 0.0
    return np.maximum(mi, 0.0)


def entropies(a) -> np.ndarray:
    """Discrete entropy (nats) of every column of ``a``.

    Parameters
    ----------
    a : array_like (N, L)
        Discrete labels, samples first (e.g. ground-truth factors).

    Returns
    -------
    ndarray (L,)
        ``H(a_i) = -sum_u p_u log p_u``, equal to ``sklearn.metrics.mutual_info_score(a[:, i], a[:, i])``
        (disentanglement_lib's ``discrete_entropy``); 0 for a constant column.

    Examples
    --------
    >>> np.round(entropies(np.array([[0, 5], [1, 5], [2, 5], [3, 5]])), 4).tolist()
    [1.3863, 0.0]
    """
    a = _as_discrete(a, "a")
    labels, sizes, constant = _labels(a)
    n = a.shape[0]
    h = np.log(n) - _marginal_sums(labels, sizes) / n
    h[constant] = 0.0
    return np.maximum(h, 0.0)


def _mismatch(a: np.ndarray, b: np.ndarray) -> ParameterError:
    return ParameterError(
        "b", f"has {b.shape[0]} samples (rows) but a has {a.shape[0]}; pass labels of the same samples, in order"
    )
