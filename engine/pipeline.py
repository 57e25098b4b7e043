"""Orchestration: the jobs behind the CLI subcommands (train, traverse, dci, report, demo).

Each job combines the pure engine modules with models/ and store/, and returns a frozen result
that the CLI prints. Nothing here parses arguments or prints (progress bars aside).
"""

import time
from dataclasses import dataclass, replace
from pathlib import Path

from engine.devices import describe_device, resolve_device
from engine.dci_run import DCIConfig, DCIResult, compute_dci, factor_matrix
from engine.encoding import encode_inputs
from engine.figures import hinton_figure
from engine.paths import prepare_output_file
from models.checkpoint import load_checkpoint, save_checkpoint
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


def run_dci(checkpoint: str | Path, dataset: str, config: DCIConfig = DCIConfig(), *, split: str = "test",
            json_out: str | Path | None = None, plot_out: str | Path | None = None, overwrite: bool = False,
            data_dir=None, download: bool = False, model_class: str | None = None) -> DCIResult:
    """DCI of the model's latents of ``dataset``/``split``; writes the JSON and the Hinton diagram when asked."""
    import json

    import matplotlib.pyplot as plt

    json_path = prepare_output_file(json_out, overwrite=overwrite, option="--json") if json_out else None
    plot_path = prepare_output_file(plot_out, overwrite=overwrite, option="--plot") if plot_out else None
    if config.device == "cuda":
        resolve_device("cuda")  # a clear error when no GPU is visible
    model = load_checkpoint(checkpoint, model_class=model_class)
    data = load_dataset(dataset, split, data_dir=data_dir, download=download)
    factors, names, warnings = factor_matrix(data, config.factors)
    Z = encode_inputs(model, data.inputs, resolve_device("auto" if config.device == "auto" else config.device))
    result = compute_dci(Z, factors, names, config, warnings=warnings)
    result = replace(result, source={"model": model.describe(), "dataset": dataset, "split": split, "n_inputs": len(data)})
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    if plot_path is not None:
        fig = hinton_figure(result.R, names, title=f"DCI importance R ({config.probe}, {config.factors})")
        fig.savefig(plot_path, dpi=100)
        plt.close(fig)
    return result
