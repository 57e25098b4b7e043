"""One checkpoint, end to end: traverse -> effects -> DCI -> report, into one directory; its summary row; the demo.

This is the unit of work of ``demo``, of the beta-VAE comparison and of a sweep. Every step resumes or reuses
what a previous run left in the directory (the store resumes, an existing DCI JSON is kept).
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from latentnav.jobs.dci import run_dci
from latentnav.jobs.metrics import run_metrics
from latentnav.jobs.outputs import claim_outputs, prepare_output_dir
from latentnav.jobs.report import run_report
from latentnav.jobs.train import TrainResult, ensure_checkpoint
from latentnav.jobs.traverse import TraverseResult, run_traverse
from latentnav.metrics.dci_probe import DCIConfig
from latentnav.models.training import TrainConfig
from latentnav.report.compare import summary_row
from latentnav.store import open_store
from latentnav.traversal.config import TraverseConfig
from latentnav.traversal.grid import GridConfig


@dataclass(frozen=True)
class StudyResult:
    """Where one checkpoint's outputs are, and its summary row."""

    directory: Path
    report: Path
    traverse: TraverseResult
    summary: dict


def run_checkpoint_study(checkpoint: str | Path, dataset: str, out: str | Path, *, factors: tuple[str, ...] = ("label",),
                         probe: str = "xgboost", split: str = "test", inputs: tuple[int, ...] | None = None,
                         limit: int | None = None, sample: int | None = None, seed: int = 0,
                         grid: GridConfig = GridConfig(), device: str = "auto", metrics: tuple[str, ...] = (),
                         data_dir=None, download: bool = False, progress: bool = True) -> StudyResult:
    """Traverse, measure, score and report one checkpoint into ``out``.

    Writes ``run.zarr``, ``dci_{factors}.json`` (+ ``.png`` Hinton diagram) for each factor mode, ``metrics.json``
    when ``metrics`` are asked for, and ``report/``. ``inputs``, ``limit`` (the first N) or ``sample`` (a
    ``seed``-ed random subset) choose the traversed inputs of ``split``; DCI and the metrics use the whole split.
    """
    out = prepare_output_dir(out)
    own = [f"dci_{mode}{suffix}" for mode in factors for suffix in (".json", ".png")]
    claim_outputs(out, own + (["metrics.json"] if metrics else []))  # a file of the user's there is never replaced
    store = out / "run.zarr"
    config = TraverseConfig(grid=grid, inputs=inputs, limit=limit)
    traverse = run_traverse(checkpoint, dataset, store, config, split=split, device=device, progress=progress,
                            data_dir=data_dir, download=download, sample=sample, seed=seed)
    dci_paths = []
    for mode in factors:
        path = out / f"dci_{mode}.json"
        if not _made_by(path, traverse_sha(store)):
            run_dci(checkpoint, dataset, DCIConfig(probe=probe, factors=mode), split=split, json_out=path,
                    plot_out=path.with_suffix(".png"), overwrite=True, data_dir=data_dir, download=download)
        dci_paths.append(path)
    metrics_path = out / "metrics.json" if metrics else None
    if metrics and not _made_by(metrics_path, traverse_sha(store), metrics=list(metrics)):
        run_metrics(checkpoint, dataset, metrics, split=split, probe=probe, json_out=metrics_path, overwrite=True,
                    device=device, data_dir=data_dir, download=download)
    report = run_report(store, out / "report", dci_json=dci_paths, metrics_json=metrics_path)
    data = json.loads(report.json.read_text())
    return StudyResult(out, report.json, traverse, summary_row(data, name=out.name, traverse=traverse))


def traverse_sha(store: Path) -> str:
    """sha256 of the checkpoint that wrote the store."""
    return open_store(store).attrs["identity"]["model"]["sha256"]


def _made_by(path: Path, sha256: str, metrics: list[str] | None = None) -> bool:
    """An earlier DCI or metrics file is reused only when it was computed for the same checkpoint (and metrics)."""
    if not path.is_file():
        return False
    try:
        data = json.loads(path.read_text())
        same = data["source"]["model"]["sha256"] == sha256
        return same and (metrics is None or list(data["seconds"]) == metrics)
    except (ValueError, KeyError, TypeError):
        return False


DEMO_GRIDS = {"main": GridConfig(mode="sigma"), "fixed": GridConfig()}  # sigma: mean +- 3 std per dimension


@dataclass(frozen=True)
class DemoResult:
    """What the demo made: the main study (sigma range, with DCI) and the article's fixed range (``fixed/``)."""

    directory: Path
    training: TrainResult
    study: StudyResult
    seconds: float
    fixed: StudyResult | None = None

    @property
    def range_warnings(self) -> tuple:
        """The range check of the article's fixed range (empty when -3..3 moves every dimension)."""
        return self.fixed.traverse.warnings if self.fixed else ()


def run_demo(out: str | Path, *, dataset: str = "digits", data_dir=None, download: bool = False,
             progress: bool = True) -> DemoResult:
    """The article end to end on ``dataset``: train (or reuse) the seed autoencoder, traverse every test input,
    effects and roles, DCI (the article's scores and the paper's with one-hot classes), the report and the article's
    figures, all in ``out``.

    The main study (``out/run.zarr``, ``out/report``, with DCI) uses the ``sigma`` range (each dimension's code mean
    +- 3 std), which moves every dimension whatever the scale of its codes; the article's fixed range -3 .. 3 is
    traversed and reported too, into ``out/fixed/`` (no DCI: it does not depend on the range), and its range check
    (:mod:`latentnav.traversal.range_check`) says whether it barely moves the codes (it does on ``digits``, whose
    codes have standard deviations of 6 to 14).
    """
    start = time.perf_counter()
    out = prepare_output_dir(out)
    training = ensure_checkpoint(out / "model.pth", TrainConfig(dataset=dataset), data_dir=data_dir,
                                 download=download, progress=progress)
    study = run_checkpoint_study(training.checkpoint, dataset, out, factors=("label", "onehot"), data_dir=data_dir,
                                 grid=DEMO_GRIDS["main"], download=download, progress=progress)
    fixed = run_checkpoint_study(training.checkpoint, dataset, out / "fixed", factors=(), data_dir=data_dir,
                                 grid=DEMO_GRIDS["fixed"], download=download, progress=progress)
    return DemoResult(out, training, study, time.perf_counter() - start, fixed)
