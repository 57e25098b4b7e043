"""Orchestration: the jobs behind the CLI subcommands (train, traverse, dci, report, demo).

Each job combines the pure engine modules with models/ and store/, and returns a frozen result
that the CLI prints. Nothing here parses arguments or prints (progress bars aside).
"""

import time
from dataclasses import dataclass
from pathlib import Path

from engine.devices import describe_device, resolve_device
from engine.paths import prepare_output_file
from models.checkpoint import LoadedModel, load_checkpoint, save_checkpoint
from models.datasets import load_dataset
from models.training import TrainConfig, evaluate, train_model


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


def model_summary(loaded: LoadedModel) -> str:
    """Multi-line summary: architecture, parameter count, sizes and the module tree."""
    n_params = sum(p.numel() for p in loaded.model.parameters())
    return (
        f"{type(loaded.model).__name__} ({loaded.kind}): input {loaded.input_dim}, latent {loaded.latent_dim}, "
        f"classes {loaded.num_classes}, {n_params:,} parameters\n{loaded.model}"
    )
