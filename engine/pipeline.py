"""Orchestration: the jobs behind the CLI subcommands (train, traverse, dci, report, demo).

Each job combines the pure engine modules with models/ and store/, and returns a frozen result
that the CLI prints. Nothing here parses arguments or prints (progress bars aside).
"""

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.devices import describe_device, resolve_device
from engine.dci_run import DCIConfig, DCIResult, compute_dci, factor_matrix
from engine.encoding import encode_inputs
from engine.figures import ARTICLE_GRID_TITLE, grid_figure, hinton_figure, strip_figure, traversal_gif
from engine.paths import prepare_output_dir, prepare_output_file
from engine.report import first_last_classes, load_dci_json, report_data, report_markdown
from engine.report_figures import effect_heatmap, role_shares_figure, transition_matrices
from engine.roles import ROLES, RoleThresholds
from models.checkpoint import LoadedModel, load_checkpoint, save_checkpoint
from models.datasets import load_dataset
from models.errors import LatentnavError
from models.training import TrainConfig, evaluate, train_model
from store.effects_store import effects_pending, has_effects, read_effects
from store.traversal_store import TraversalStore

ARTICLE_STRIP_DIM = 7  # the article's figure 1 traverses index 7 ("Dimension 8")


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


@dataclass(frozen=True)
class FiguresResult:
    """Files written by :func:`run_figures`."""

    files: list


def store_positions(input_index: np.ndarray, wanted: list[int], location: str) -> list[int]:
    """Positions in a store of dataset inputs ``wanted``; an input the store lacks is an error."""
    where = {int(v): i for i, v in enumerate(input_index)}
    missing = [i for i in wanted if i not in where]
    if missing:
        have = ", ".join(str(int(v)) for v in input_index[:8]) + (" ..." if len(input_index) > 8 else "")
        raise LatentnavError(f"store {location} has no traversal of inputs {missing} (it has {have}); "
                             f"traverse them with --inputs or --limit")
    return [where[i] for i in wanted]


def run_figures(store_path: str | Path, out: str | Path, inputs: list[int] | None = None, dim: int | None = None,
                title: str = ARTICLE_GRID_TITLE) -> FiguresResult:
    """Draw the article's figures for ``inputs`` (dataset indices; default the first two stored) from a store.

    Per input: ``strip_input{i}_dim{d+1}.png`` (one dimension; default the article's index 7, else the first
    traversed), ``grid_input{i}.png`` (every traversed dimension) and ``traversal_input{i}.gif``.
    """
    import matplotlib.pyplot as plt

    store = TraversalStore.open(store_path)
    out = prepare_output_dir(out)
    done = store.done_flags()
    index = store.group["input_index"][:]
    wanted = list(inputs) if inputs else [int(v) for v in index[:2]]
    positions = store_positions(index, wanted, str(store_path))
    dims = store.dims
    if dim is None:
        dim = ARTICLE_STRIP_DIM if ARTICLE_STRIP_DIM in dims else dims[0]
    if dim not in dims:
        raise LatentnavError(f"--dim {dim} was not traversed in {store_path} (dims {dims}); pick one of those")
    values = store.group["values"][:]
    files = []
    for input_id, pos in zip(wanted, positions):
        if not done[pos // store.chunk_size]:
            raise LatentnavError(f"input {input_id} is in an unfinished chunk of {store_path}; re-run traverse to finish it")
        images = store.group["images"][pos]  # (D, S, H, W)
        fig = strip_figure(images[dims.index(dim)], values[dim], dim)
        files.append(_save(fig, out / f"strip_input{input_id}_dim{dim + 1}.png"))
        fig = grid_figure(images, values, dims, title)
        files.append(_save(fig, out / f"grid_input{input_id}.png"))
        files.append(traversal_gif(images, out / f"traversal_input{input_id}.gif"))
        plt.close("all")
    return FiguresResult(files)


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    return path


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


@dataclass(frozen=True)
class ReportResult:
    """Where the report went."""

    markdown: Path
    json: Path
    figures: list


ARTICLE_INPUTS = (12, 19)


def run_report(store_path: str | Path, out: str | Path, *, dci_json: str | Path | None = None,
               inputs: list[int] | None = None, thresholds: RoleThresholds = RoleThresholds()) -> ReportResult:
    """Write ``report.md``, ``report.json`` and figures for a finished store with effects."""
    import json

    import matplotlib.pyplot as plt

    store = TraversalStore.open(store_path)
    if not store.done_flags().all():
        raise LatentnavError(f"store {store_path} is unfinished; re-run the traverse command to complete it")
    if effects_pending(store) or not has_effects(store):
        raise LatentnavError(f"store {store_path} lacks effects; run `latentnav effects --store {store_path}` first")
    dci = load_dci_json(dci_json) if dci_json else None
    out = prepare_output_dir(out)
    index = store.group["input_index"][:]
    if inputs is None:
        inputs = [i for i in ARTICLE_INPUTS if i in set(index.tolist())] or [int(v) for v in index[:2]]
    store_positions(index, inputs, str(store_path))
    effects = read_effects(store)
    values = store.group["values"][:]
    data = report_data(effects, index, store.group["labels"][:], store.dims, values, list(inputs), thresholds)
    made = run_figures(store_path, out / "figures", inputs=list(inputs)).files
    figures = {}
    for i in inputs:
        figures[f"grid_{i}"] = f"figures/grid_input{i}.png"
        figures[f"strip_{i}"] = next(f"figures/{p.name}" for p in made if p.name.startswith(f"strip_input{i}_"))
    max_change = effects["pixel_change"].max(axis=-1)
    first, last = first_last_classes(effects, thresholds.min_confidence)
    shares = np.array([[d["role_shares"][r] for r in ROLES] for d in data["dimensions"]])
    n_classes = int(max(store.group["labels"][:].max(), effects["classes"].max(), 1)) + 1
    drawings = {
        "heatmap": effect_heatmap(max_change, store.group["labels"][:], store.dims),
        "roles": role_shares_figure(shares, store.dims),
        "transitions": transition_matrices(first, last, store.dims, n_classes),
    }
    if dci is not None:
        drawings["hinton"] = hinton_figure(np.array(dci["R"]), dci["factor_names"])
    for key, fig in drawings.items():
        figures[key] = f"figures/{key}.png"
        _save(fig, out / figures[key])
        plt.close(fig)
    identity = store.group.attrs["identity"]
    grid = identity["grid"]
    meta = {"store": str(store_path), "dataset": identity["dataset"]["name"], "split": identity["dataset"]["split"],
            "model": f"{identity['model']['kind']} (sha256 {identity['model']['sha256'][:12]})",
            "grid": f"{grid['mode']} mode" + (", relative" if grid["relative"] else ", values set")}
    (out / "report.json").write_text(json.dumps({**meta, **data, "figures": figures, "dci": dci}, indent=2) + "\n")
    (out / "report.md").write_text(report_markdown(data, meta, figures, dci))
    return ReportResult(out / "report.md", out / "report.json", sorted(figures.values()))
