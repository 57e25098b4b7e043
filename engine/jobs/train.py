"""The train job: train a model on a dataset and save its checkpoint with the sidecar (or reuse one)."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from latentnav.data.datasets import load_dataset
from latentnav.devices import describe_device, resolve_device
from latentnav.jobs.outputs import check_sidecar, prepare_output_file
from latentnav.models.checkpoint import load_checkpoint, save_checkpoint, sidecar_path
from latentnav.models.training import TrainConfig, evaluate, train_model


@dataclass(frozen=True)
class TrainResult:
    """What a training run wrote and measured."""

    checkpoint: Path
    sidecar: Path
    metrics: dict
    seconds: float
    device: str
    reused: bool = False


def run_train(config: TrainConfig, out: str | Path, *, device: str = "auto", data_dir=None, download: bool = False,
              overwrite: bool = False, progress: bool = True) -> TrainResult:
    """Train ``config`` and save checkpoint ``out`` with its sidecar; test metrics go into both result and sidecar."""
    out = prepare_output_file(out, overwrite=overwrite)
    check_sidecar(out, sidecar_path(out), overwrite=overwrite, owned=_our_sidecar(sidecar_path(out)))
    torch_device = resolve_device(device)
    selection = {"data_dir": data_dir, "limit": config.limit, "sample": config.sample, "seed": config.seed}
    train = load_dataset(config.dataset, "train", download=download, **selection)
    test = load_dataset(config.dataset, "test", download=download, **selection)
    start = time.perf_counter()
    model = train_model(config, train, torch_device, progress=progress)
    seconds = time.perf_counter() - start
    metrics = {"test": evaluate(model, test), "train": evaluate(model, train), "seconds": round(seconds, 3),
               "device": describe_device(torch_device), "config": config.to_dict()}
    sidecar = save_checkpoint(model, out, kind=config.model, dataset=config.dataset, training=metrics)
    return TrainResult(out, sidecar, metrics, seconds, describe_device(torch_device))


def _our_sidecar(path: Path) -> bool:
    """Whether ``path`` is a sidecar latentnav wrote (it may then be replaced along with its checkpoint)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "latentnav_checkpoint" in data


def ensure_checkpoint(out: str | Path, config: TrainConfig, **kwargs) -> TrainResult:
    """Reuse checkpoint ``out`` when it exists (its sidecar's metrics), else train it."""
    out = Path(out)
    if out.is_file():
        loaded = load_checkpoint(out)
        training = loaded.metadata.get("training", {})
        return TrainResult(out, out.with_suffix(".json"), training, 0.0, training.get("device", "?"), reused=True)
    return run_train(config, out, **kwargs)

