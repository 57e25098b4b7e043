"""Drawing from a finished store: the article's figures (:func:`run_figures`) and the report (:func:`run_report`)."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentnav.report.figures import ARTICLE_GRID_TITLE, grid_figure, hinton_figure, strip_figure, traversal_gif
from latentnav.jobs.outputs import claim_outputs, prepare_output_dir
from latentnav.report.markdown import first_last_classes, load_dci_json, report_data, report_markdown
from latentnav.report.charts import effect_heatmap, role_shares_figure, transition_matrices
from latentnav.devices import resolve_device
from latentnav.effects.roles import ROLES, RoleThresholds
from latentnav.errors import LatentnavError, ParameterError
from latentnav.files import atomic_write_text, save_figure
from latentnav.jobs.factor_source import report_factor_roles
from latentnav.jobs.metrics import load_metrics_json
from latentnav.models.checkpoint import sidecar_path
from latentnav.store import open_store

ARTICLE_STRIP_DIM = 7  # the article's figure 1 traverses index 7 ("Dimension 8")
ARTICLE_INPUTS = (12, 19)


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
                title: str = ARTICLE_GRID_TITLE, overwrite: bool = False) -> FiguresResult:
    """Draw the article's figures for ``inputs`` (dataset indices; default the first two stored) from a store.

    Per input: ``strip_input{i}_dim{d+1}.png`` (one dimension; default the article's index 7, else the first
    traversed), ``grid_input{i}.png`` (every traversed dimension) and ``traversal_input{i}.gif``.
    """
    store = open_store(store_path)
    done = store.done_flags()
    index = store.read("input")
    wanted = list(inputs) if inputs else [int(v) for v in index[:2]]
    positions = store_positions(index, wanted, str(store_path))
    dims = store.dims
    if dim is None:
        dim = ARTICLE_STRIP_DIM if ARTICLE_STRIP_DIM in dims else dims[0]
    if dim not in dims:
        raise ParameterError("dim", f"was not traversed in {store_path} (dims {dims}); pick one of those", value=dim)
    unfinished = [i for i, pos in zip(wanted, positions) if not done[pos // store.chunk_size]]
    if unfinished:
        raise LatentnavError(f"inputs {unfinished} are in unfinished chunks of {store_path}; re-run traverse to finish them")
    out = prepare_output_dir(out)
    claim_outputs(out, figure_names(wanted, dim), overwrite=overwrite)  # a user's file of the same name: refused
    values = store.read("value")  # (D, S)
    files = []
    for input_id, pos in zip(wanted, positions):
        images = store.read("images", pos, pos + 1)[0]  # (D, S, C, H, W)
        fig = strip_figure(images[dims.index(dim)], values[dims.index(dim)], dim)
        files.append(_save(fig, out / f"strip_input{input_id}_dim{dim + 1}.png"))
        fig = grid_figure(images, values, dims, title)
        files.append(_save(fig, out / f"grid_input{input_id}.png"))
        files.append(traversal_gif(images, out / f"traversal_input{input_id}.gif"))
    return FiguresResult(files)


def figure_names(inputs: list[int], dim: int) -> list[str]:
    """The files :func:`run_figures` writes for ``inputs`` with the strip of ``dim``."""
    return [name for i in inputs for name in (f"strip_input{i}_dim{dim + 1}.png", f"grid_input{i}.png",
                                              f"traversal_input{i}.gif")]


def _save(fig, path: Path) -> Path:
    return save_figure(fig, path, dpi=100)


@dataclass(frozen=True)
class ReportResult:
    """Where the report went."""

    markdown: Path
    json: Path
    figures: list



def run_report(store_path: str | Path, out: str | Path, *, dci_json: list[str | Path] | str | Path | None = None,
               metrics_json: str | Path | None = None, inputs: list[int] | None = None,
               thresholds: RoleThresholds = RoleThresholds(), factors: bool = True, checkpoint: str | None = None,
               model_class: str | None = None, model_kwargs: dict | None = None, data_dir: str | None = None,
               device: str = "cpu", overwrite: bool = False) -> ReportResult:
    """Write ``report.md``, ``report.json`` and figures for a finished store with effects.

    ``dci_json`` (files of ``latentnav dci --json``) add DCI sections, ``metrics_json`` (``latentnav metrics
    --json``) a metrics section. For a dataset with ground-truth factors (and ``factors`` True) each dimension gets
    the factor it moves (:mod:`latentnav.jobs.factor_source`), from the dataset and checkpoint the store records
    (``checkpoint`` where it moved, ``model_class``/``model_kwargs`` for a user's model, ``data_dir`` where the
    dataset file moved), on ``device``.
    """
    resolve_device(device)  # an unknown device, or cuda without a GPU, is refused before any work
    store = open_store(store_path)
    if not store.done_flags().all():
        raise LatentnavError(f"store {store_path} is unfinished; re-run the traverse command to complete it")
    if store.effects_pending() or not store.has_effects():
        raise LatentnavError(f"store {store_path} lacks effects; run `latentnav effects --store {store_path}` first")
    dci_paths = [dci_json] if isinstance(dci_json, (str, Path)) else list(dci_json or [])
    dcis = [load_dci_json(path) for path in dci_paths]
    metrics = load_metrics_json(metrics_json) if metrics_json else None
    index = store.read("input")
    if inputs is None:
        inputs = [i for i in ARTICLE_INPUTS if i in set(index.tolist())] or [int(v) for v in index[:2]]
    store_positions(index, inputs, str(store_path))
    out = prepare_output_dir(out)
    claim_outputs(out, ["report.json", "report.md"], overwrite=overwrite)  # listed in out's manifest
    charts = ["heatmap.png", "roles.png", "transitions.png", *(f"hinton_{d['config']['factors']}.png" for d in dcis)]
    strip_dim = ARTICLE_STRIP_DIM if ARTICLE_STRIP_DIM in store.dims else store.dims[0]
    prepare_output_dir(out / "figures")
    claim_outputs(out / "figures", figure_names(list(inputs), strip_dim) + charts, overwrite=overwrite)
    effects = store.read_effects()
    labels = store.read("labels")
    factor_roles = report_factor_roles(store, checkpoint=checkpoint, model_class=model_class,
                                       model_kwargs=model_kwargs, data_dir=data_dir, device=device) if factors else None
    data = report_data(effects, index, labels, store.dims, store.read("value"), list(inputs), thresholds,
                       factor_roles)
    made = run_figures(store_path, out / "figures", inputs=list(inputs), overwrite=overwrite).files
    figures = {}
    for i in inputs:
        figures[f"grid_{i}"] = f"figures/grid_input{i}.png"
        figures[f"strip_{i}"] = next(f"figures/{p.name}" for p in made if p.name.startswith(f"strip_input{i}_"))
    max_change = effects["pixel_change"].max(axis=-1)
    first, last = first_last_classes(effects, thresholds.min_confidence)
    shares = np.array([[d["role_shares"][r] for r in ROLES] for d in data["dimensions"]])
    n_classes = int(max(labels.max(), effects["classes"].max(), 1)) + 1
    drawings = {
        "heatmap": effect_heatmap(max_change, labels, store.dims),
        "roles": role_shares_figure(shares, store.dims),
        "transitions": transition_matrices(first, last, store.dims, n_classes),
    }
    for dci in dcis:
        drawings[f"hinton_{dci['config']['factors']}"] = hinton_figure(
            np.array(dci["R"]), dci["factor_names"], title=f"DCI importance R ({dci['config']['factors']} factors)")
    claim_outputs(out / "figures", [f"{key}.png" for key in drawings], overwrite=overwrite)
    for key, fig in drawings.items():
        figures[key] = f"figures/{key}.png"
        _save(fig, out / figures[key])
    attrs = store.attrs
    identity = attrs["identity"]
    grid = identity["grid"]
    meta = {"store": str(store_path), "dataset": identity["dataset"]["name"], "split": identity["dataset"]["split"],
            "model": f"{identity['model']['kind']} (sha256 {identity['model']['sha256'][:12]})",
            "grid": f"{grid['mode']} mode" + (", relative" if grid["relative"] else ", values set"),
            "checkpoint": attrs.get("checkpoint"), "training": _training_metrics(attrs.get("checkpoint")),
            "range": attrs.get("range_check")}  # the traversal range's coverage of the codes (traversal.range_check)
    atomic_write_text(out / "report.json", json.dumps({**meta, **data, "figures": figures, "dci": dcis,
                                                       "metrics": metrics}, indent=2) + "\n")
    atomic_write_text(out / "report.md", report_markdown(data, meta, figures, dcis, metrics))
    return ReportResult(out / "report.md", out / "report.json", sorted(figures.values()))


def _training_metrics(path: str | None) -> dict | None:
    """The training record of checkpoint ``path`` (from its sidecar), when it is still there."""
    if not path or not sidecar_path(path).is_file():
        return None
    try:
        return json.loads(sidecar_path(path).read_text()).get("training")
    except ValueError:
        return None
