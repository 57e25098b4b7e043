"""The train job: train a model on a dataset and save its checkpoint with the sidecar (or reuse one)."""

import time
from dataclasses import dataclass
from pathlib import Path

from latentnav.data.datasets import load_dataset
from latentnav.devices import describe_device, resolve_device
from latentnav.jobs.outputs import prepare_output_file
from latentnav.models.checkpoint import load_checkpoint, save_checkpoint
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
    torch_device = resolve_device(device)
    train = load_dataset(config.dataset, "train", data_dir=data_dir, download=download)
    test = load_dataset(config.dataset, "test", data_dir=data_dir, download=download)
    start = time.perf_counter()
    model = train_model(config, train, torch_device, progress=progress)
    seconds = time.perf_counter() - start
    metrics = {"test": evaluate(model, test), "train": evaluate(model, train), "seconds": round(seconds, 3),
               "device": describe_device(torch_device), "config": config.to_dict()}
    sidecar = save_checkpoint(model, out, kind=config.model, dataset=config.dataset, training=metrics)
    return TrainResult(out, sidecar, metrics, seconds, describe_device(torch_device))


def ensure_checkpoint(out: str | Path, config: TrainConfig, **kwargs) -> TrainResult:
    """Reuse checkpoint ``out`` when it exists (its sidecar's metrics), else train it."""
    out = Path(out)
    if out.is_file():
        loaded = load_checkpoint(out)
        training = loaded.metadata.get("training", {})
        return TrainResult(out, out.with_suffix(".json"), training, 0.0, training.get("device", "?"), reused=True)
    return run_train(config, out, **kwargs)

