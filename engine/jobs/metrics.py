"""The metrics job: encode a dataset with a checkpoint's model, split it, compute the chosen metrics, write JSON.

Points are the dataset split's inputs, split (stratified by factor combination, seeded) into ``n_train`` and
``n_test`` (defaults: 20 % held out, at most 10,000 / 5,000, as disentanglement_lib's defaults). FactorVAE and
BetaVAE sample their own observations from the dataset's full factor grid: ``n_train`` / ``n_test`` training and
evaluation points (default 10,000 / 5,000, disentanglement_lib's).
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from latentnav.data.datasets import load_dataset
from latentnav.devices import resolve_device
from latentnav.errors import ParameterError
from latentnav.files import atomic_write_text
from latentnav.jobs.outputs import prepare_output_file
from latentnav.metrics.factors import factor_matrix, split_train_test, strata
from latentnav.metrics.suite import MetricInputs, available_metrics, check_metric_names, compute_metrics
from latentnav.models.checkpoint import load_checkpoint
from latentnav.traversal.encoding import encode_inputs

MAX_TRAIN, MAX_TEST = 10_000, 5_000


@dataclass(frozen=True)
class MetricsResult:
    """The metrics of one checkpoint on one dataset split."""

    values: dict
    n_train: int
    n_test: int
    seconds: dict
    source: dict
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"latentnav_metrics": 1, "metrics": self.values, "n_train": self.n_train, "n_test": self.n_test,
                "seconds": self.seconds, "source": self.source, "warnings": self.warnings}


def run_metrics(checkpoint: str | Path, dataset: str, names=None, *, split: str = "test",
                n_train: int | None = None, n_test: int | None = None, seed: int = 0, probe: str = "xgboost",
                json_out: str | Path | None = None, overwrite: bool = False, device: str = "auto", data_dir=None,
                download: bool = False, model_class: str | None = None,
                model_kwargs: dict | None = None, workers: int = 1, limit: int | None = None,
                sample: int | None = None) -> MetricsResult:
    """Compute the metrics ``names`` (default: every one the dataset supports) of ``checkpoint``'s latent space.

    ``limit`` (the first N of the split) or ``sample`` (a subset drawn with ``seed``) selects the inputs.
    """
    json_path = prepare_output_file(json_out, overwrite=overwrite, param="json_out") if json_out else None
    data = load_dataset(dataset, split, data_dir=data_dir, download=download, limit=limit, sample=sample, seed=seed)
    model = load_checkpoint(checkpoint, model_class=model_class, model_kwargs=model_kwargs,
                            input_shape=data.image_shape)
    factors, factor_names, warnings = factor_matrix(data, "all" if data.factors is not None else "label")
    has_grid = data.grid is not None
    if names is None:
        names = available_metrics(has_factors=True, has_grid=has_grid, n_factors=factors.shape[1])
    names = check_metric_names(names, has_factors=True, has_grid=has_grid, dataset=dataset)
    torch_device = resolve_device(device)
    model.model.to(torch_device)
    codes = encode_inputs(model, data.inputs, torch_device)
    sampled = (n_train or MAX_TRAIN, n_test or MAX_TEST)  # FactorVAE / BetaVAE draw their own points from the grid
    n_test = min(MAX_TEST, int(round(0.2 * len(codes)))) if n_test is None else n_test
    n_train = min(MAX_TRAIN, len(codes) - n_test) if n_train is None else n_train
    if n_train < 2 or n_test < 2:
        raise ParameterError("n_train", f"and {{n_test}} must each be >= 2, got {n_train} and {n_test}")
    train, test = split_train_test(factors[:, 0] if factors.shape[1] == 1 else strata(factors), n_train, n_test, seed)

    def encode(observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(observations, dtype=np.float32)).to(torch_device)
            return model.encode(x.reshape(len(x), -1)).cpu().numpy()

    inputs = MetricInputs(codes_train=codes[train], codes_test=codes[test], factors_train=factors[train],
                          factors_test=factors[test], factor_names=factor_names, encode=encode, grid=data.grid,
                          seed=seed, probe=probe, workers=workers, n_sampled_train=sampled[0],
                          n_sampled_eval=sampled[1])
    values, seconds = {}, {}
    for name in names:
        start = time.perf_counter()
        values.update(compute_metrics([name], inputs))
        seconds[name] = round(time.perf_counter() - start, 3)
    source = {"model": model.describe(), "dataset": dataset, "split": split, "n_inputs": len(data), "seed": seed,
              "probe": probe, "factors": factor_names}
    result = MetricsResult(values=values, n_train=len(train), n_test=len(test), seconds=seconds, source=source,
                           warnings=warnings)
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def load_metrics_json(path: str | Path) -> dict:
    """A metrics JSON written by ``latentnav metrics --json``; a clear error for anything else."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ParameterError("metrics_json", f"{path} cannot be read as JSON ({exc}); write it with "
                                             f"`latentnav metrics --json`") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ParameterError("metrics_json", f"{path} is not a latentnav metrics file; write it with "
                                             f"`latentnav metrics --json`")
    return data
