"""Factor roles of a traversal store: which ground-truth factor each dimension moves (report.json's ``factor``).

:func:`report_factor_roles` finds what the store was made from (the dataset it records, reloaded with
:func:`latentnav.load_dataset`, and the checkpoint it records, whose sha256 must match the store's model) and calls
:func:`store_factor_roles`, which

1. fits one ridge probe per ground-truth factor from the model's codes of (up to ``fit_rows``, a seeded sample of)
   the dataset's images to the factor class indices (:func:`latentnav.effects.factor_roles.fit_factor_probe`);
2. re-encodes every traversed image of the store, chunk by chunk, and predicts its factor values;
3. per input and dimension takes the factor whose prediction changes most along the steps (its range divided by
   the factor's spread, ``max - min`` of its class indices: ``n_classes - 1``) and whether monotonically, and per
   dimension the modal factor, its share and its monotonic share (definitions in
   :mod:`latentnav.effects.factor_roles`).

A dataset without factors (``digits``, ``mnist``) gives None: the digit roles are the report. When the factor
roles cannot be computed (the dataset or the checkpoint cannot be loaded again, another model, rows that no longer
match) the result is ``{"note": why}`` and the report says so instead.
"""

import numpy as np
import torch

from latentnav.data.datasets import Dataset, load_dataset
from latentnav.devices import compute_threads, resolve_device, thread_count
from latentnav.effects.factor_roles import (DEFAULT_MIN_MOVE, DEFAULT_TIE_TOL, fit_factor_probe, predict_factors,
                                            summarize_moves, traversal_moves)
from latentnav.errors import LatentnavError
from latentnav.models.checkpoint import load_checkpoint
from latentnav.models.loaded import LoadedModel
from latentnav.store import RunStore

FIT_ROWS = 5000  # dataset images the probes are fitted on (a seeded sample of larger datasets)
FIT_SEED = 0
ENCODE_BATCH = 2048
RIDGE_PER_ROW = 1e-3  # ridge alpha = 0.001 n: shrinks the weights by ~0.1 %, only steadies near-collinear codes
FACTORLESS = ("digits", "mnist")  # datasets known to have no ground-truth factors: not even loaded
PROBE_KIND = "ridge regression (alpha 0.001 n) from standardised codes to factor class indices"


def dataset_rows(data: Dataset, input_values: np.ndarray) -> np.ndarray | None:
    """Row of ``data`` of each store ``input`` value (n,): ``data.index`` (file index of each row) when the dataset
    has one, else the row number itself; None when some value is not a row of ``data``."""
    index = getattr(data, "index", None)
    index = np.arange(len(data)) if index is None else np.asarray(index, dtype=np.int64)
    values = np.asarray(input_values, dtype=np.int64)
    order = np.argsort(index, kind="stable")  # the file index is increasing already; any order works
    at = np.minimum(np.searchsorted(index[order], values), len(index) - 1) if len(index) else np.zeros(0, np.int64)
    if len(index) == 0 or not np.array_equal(index[order][at], values):
        return None
    return order[at].astype(np.int64)


@torch.no_grad()
def encode_images(model: LoadedModel, images: np.ndarray, device: torch.device, batch: int = ENCODE_BATCH) -> np.ndarray:
    """Codes (m, L) float64 of images (m, ...) (uint8 0..255 or float in [0, 1]), encoded ``batch`` at a time."""
    flat = images.reshape(len(images), -1)
    scale = 1.0 / 255.0 if flat.dtype == np.uint8 else 1.0
    parts = [model.encode(torch.from_numpy(flat[i:i + batch].astype(np.float32) * np.float32(scale)).to(device))
             .double().cpu().numpy() for i in range(0, len(flat), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, model.latent_dim))


def store_factor_roles(store: RunStore, model: LoadedModel, data: Dataset, *, device: torch.device = torch.device("cpu"),
                       fit_rows: int = FIT_ROWS, seed: int = FIT_SEED, min_move: float = DEFAULT_MIN_MOVE,
                       tie_tol: float = DEFAULT_TIE_TOL) -> dict:
    """Which factor each traversed dimension of ``store`` moves, JSON-ready.

    ``model`` is the model that made the store, ``data`` a dataset with ``factors`` (n, K) whose rows hold the
    store's inputs (see :func:`dataset_rows`).

    Returns
    -------
    dict
        ``factor_names``, ``probe`` (``kind``, ``n_fit``, per-factor ``r2`` on the fit data), ``min_move``,
        ``tie_tol``, ``dims``: one ``{"dim", "name", "share", "monotonic_share", "mean_range"}`` per traversed
        dimension (``name`` None where no input moves any factor), and ``note`` (None, or why there is no result:
        then ``dims`` is empty).
    """
    names = list(data.factor_names or [f"factor{k}" for k in range(data.factors.shape[1])])
    factors = np.asarray(data.factors)
    spread = (factors.max(axis=0) - factors.min(axis=0)).astype(np.float64)
    keep = np.nonzero(spread > 0)[0]  # a constant factor cannot be moved
    result = {"factor_names": [names[k] for k in keep], "probe": None, "min_move": min_move, "tie_tol": tie_tol,
              "dims": [], "note": None}
    rows = dataset_rows(data, store.read("input"))
    if rows is None:
        return {**result, "note": f"the stored inputs are not all rows of {data.name} {data.split} any more"}
    if not np.array_equal(np.asarray(data.labels)[rows], store.read("labels")):
        return {**result, "note": f"the labels of {data.name} {data.split} differ from the stored ones (the file changed?)"}
    if len(keep) == 0:
        return {**result, "note": f"every factor of {data.name} is constant"}
    fit = np.arange(len(data))
    if len(fit) > fit_rows:
        fit = np.sort(np.random.default_rng(seed).choice(len(data), fit_rows, replace=False))
    images = data.images(fit) if hasattr(data, "images") else np.asarray(data.inputs[fit])  # file sets: only these
    codes = encode_images(model, images, device)
    probe = fit_factor_probe(codes, factors[fit][:, keep], alpha=RIDGE_PER_ROW * len(fit))
    result["probe"] = {"kind": PROBE_KIND, "n_fit": int(len(fit)),
                       "r2": {names[k]: float(r) for k, r in zip(keep, probe.r2)}}
    tops, monos, ranges = [], [], []
    for k in range(store.n_chunks):
        start, stop = store.chunk_bounds(k)
        images = store.read("images", start, stop)  # (n, D, S, C, H, W)
        pred = predict_factors(probe, encode_images(model, images.reshape(-1, *images.shape[3:]), device))
        top, mono, rng = traversal_moves(pred.reshape(*images.shape[:3], len(keep)), spread[keep],
                                         min_move=min_move, tie_tol=tie_tol)
        tops.append(top), monos.append(mono), ranges.append(rng)
    moves = summarize_moves(np.concatenate(tops), np.concatenate(monos), np.concatenate(ranges))
    for j, dim in enumerate(store.dims):
        f = int(moves.factor[j])
        result["dims"].append({"dim": int(dim), "name": names[keep[f]] if f >= 0 else None,
                               "share": float(moves.share[j]), "monotonic_share": float(moves.monotonic_share[j]),
                               "mean_range": float(moves.mean_range[j])})
    return result


def report_factor_roles(store: RunStore, *, checkpoint: str | None = None, model_class: str | None = None,
                        model_kwargs: dict | None = None, device: str = "cpu", data_dir: str | None = None) -> dict | None:
    """:func:`store_factor_roles` with the dataset and the checkpoint the store records.

    The dataset is loaded again as the store records it (name, split, ``data_dir``) but whole, without the
    ``limit``/``sample`` of the traversal, so that the probes are fitted on (a sample of) the whole split.

    None for a dataset without ground-truth factors; ``{"note": why}`` when the dataset or the model cannot be
    loaded again (nothing here is an error: the rest of the report stands without factor roles).
    """
    attrs = store.attrs
    identity = attrs.get("identity", {})
    recorded = identity.get("dataset", {})
    data_dir = data_dir or attrs.get("data_dir") or recorded.get("data_dir")
    if recorded.get("name") in FACTORLESS:
        return None
    try:
        data = load_dataset(recorded.get("name", "?"), recorded.get("split", "test"), data_dir=data_dir)
    except (LatentnavError, OSError) as exc:
        return {"note": f"the dataset {recorded.get('name')!r} cannot be loaded again ({exc})"}
    if data.factors is None:
        return None
    path = checkpoint or attrs.get("checkpoint")
    kind = attrs.get("model_kind", "")
    if ":" in kind and model_class is None:
        return {"note": f"the store was written by the model class {kind!r}; pass it (--model-class, with "
                        f"--checkpoint if the file moved) to name factors"}
    try:
        if path is None:
            raise LatentnavError("the store does not record its checkpoint")
        model = load_checkpoint(path, model_class=model_class, model_kwargs=model_kwargs)
    except (LatentnavError, OSError) as exc:
        return {"note": f"the checkpoint cannot be loaded again ({exc})"}
    if model.sha256 != identity.get("model", {}).get("sha256"):
        return {"note": f"checkpoint {path} is not the model that wrote the store (sha256 differs)"}
    torch_device = resolve_device(device)
    model.model.to(torch_device)
    with thread_count(compute_threads(torch_device)):
        return store_factor_roles(store, model, data, device=torch_device)
