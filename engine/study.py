"""One checkpoint, end to end: traverse -> effects -> DCI -> report, into one directory; its summary row; the demo.

This is the unit of work of ``demo``, of the beta-VAE comparison and of a sweep. Every step resumes or reuses
what a previous run left in the directory (the store resumes, an existing DCI JSON is kept).
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from engine.dci_run import DCIConfig
from engine.grid import GridConfig
from engine.paths import prepare_output_dir
from engine.pipeline import TrainResult, ensure_checkpoint, run_dci
from engine.report_run import run_report
from engine.traverse_run import TraverseConfig, TraverseResult, run_traverse
from models.errors import LatentnavError
from models.training import TrainConfig
from store.traversal_store import TraversalStore


@dataclass(frozen=True)
class StudyResult:
    """Where one checkpoint's outputs are, and its summary row."""

    directory: Path
    report: Path
    traverse: TraverseResult
    summary: dict


def run_checkpoint_study(checkpoint: str | Path, dataset: str, out: str | Path, *, factors: tuple[str, ...] = ("label",),
                         probe: str = "xgboost", split: str = "test", inputs: tuple[int, ...] | None = None,
                         limit: int | None = None, grid: GridConfig = GridConfig(), device: str = "auto",
                         data_dir=None, download: bool = False, progress: bool = True) -> StudyResult:
    """Traverse, measure, score and report one checkpoint into ``out``.

    Writes ``run.zarr``, ``dci_{factors}.json`` (+ ``.png`` Hinton diagram) for each factor mode, ``report/``.
    """
    out = prepare_output_dir(out)
    store = out / "run.zarr"
    config = TraverseConfig(grid=grid, inputs=inputs, limit=limit)
    traverse = run_traverse(checkpoint, dataset, store, config, split=split, device=device, progress=progress,
                            data_dir=data_dir, download=download)
    dci_paths = []
    for mode in factors:
        path = out / f"dci_{mode}.json"
        if not _dci_matches(path, traverse_sha(store)):
            run_dci(checkpoint, dataset, DCIConfig(probe=probe, factors=mode), split=split, json_out=path,
                    plot_out=path.with_suffix(".png"), overwrite=True, data_dir=data_dir, download=download)
        dci_paths.append(path)
    report = run_report(store, out / "report", dci_json=dci_paths)
    data = json.loads(report.json.read_text())
    return StudyResult(out, report.json, traverse, summary_row(data, name=out.name, traverse=traverse))


def traverse_sha(store: Path) -> str:
    """sha256 of the checkpoint that wrote the store."""
    return TraversalStore.open(store).group.attrs["identity"]["model"]["sha256"]


def _dci_matches(path: Path, sha256: str) -> bool:
    """An earlier DCI file is reused only when it was computed for the same checkpoint."""
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text())["source"]["model"]["sha256"] == sha256
    except (ValueError, KeyError, TypeError):
        return False


def summary_row(report: dict, name: str, traverse: TraverseResult | None = None) -> dict:
    """The comparison row of one report.json: model, data, reconstruction, D, C, I, consistency, roles, speed."""
    training = report.get("training") or {}
    config = training.get("config", {})
    test = training.get("test", {})
    dcis = report.get("dci") or []
    paper = next((d for d in dcis if d["config"]["factors"] != "label"), dcis[0] if dcis else {})
    article = next((d["article"] for d in dcis if d.get("article")), None) or {}
    info = paper.get("informativeness", {})
    shares = [d["role_shares"] for d in report["dimensions"]]
    row = {
        "name": name, "model": report["model"], "kind": config.get("model"),
        "beta": config.get("beta") if config.get("model") == "vae" else None,
        "dataset": report["dataset"], "latent_dim": len(report["dims"]),
        "recon_bce": test.get("recon_bce"), "recon_mse": test.get("recon_mse"), "test_accuracy": test.get("accuracy"),
        "dci_factors": paper.get("config", {}).get("factors"), "disentanglement": paper.get("disentanglement"),
        "completeness": paper.get("completeness"), "informativeness_train": info.get("train"),
        "informativeness_test": info.get("test"), "article_informativeness": article.get("informativeness"),
        "article_disentanglement": article.get("disentanglement"), "article_completeness": article.get("completeness"),
        "mean_consistency": report["mean_consistency"],
        "no_effect_share": sum(s["no effect"] for s in shares) / len(shares),
        "identity_share": sum(s["identity"] for s in shares) / len(shares),
    }
    if traverse is not None:
        row["images_per_s"] = round(traverse.images_per_second) if traverse.images_computed else None
    return row


def load_report(path: str | Path) -> dict:
    """A report.json (or a directory holding one, directly or under report/)."""
    path = Path(path)
    for candidate in (path, path / "report.json", path / "report" / "report.json"):
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text())
            except ValueError as exc:
                raise LatentnavError(f"{candidate} is not valid JSON ({exc})") from None
    raise LatentnavError(f"no report.json at {path}; make one with `latentnav report --store RUN.zarr --out DIR`")


@dataclass(frozen=True)
class DemoResult:
    """What the demo made."""

    directory: Path
    training: TrainResult
    study: StudyResult
    seconds: float


def run_demo(out: str | Path, *, dataset: str = "digits", data_dir=None, download: bool = False,
             progress: bool = True) -> DemoResult:
    """The article end to end on ``dataset``: train (or reuse) the seed autoencoder, traverse every test input with
    the article's settings, effects and roles, DCI (the article's scores and the paper's with one-hot classes),
    the report and the article's figures, all in ``out``."""
    start = time.perf_counter()
    out = prepare_output_dir(out)
    training = ensure_checkpoint(out / "model.pth", TrainConfig(dataset=dataset), data_dir=data_dir,
                                 download=download, progress=progress)
    study = run_checkpoint_study(training.checkpoint, dataset, out, factors=("label", "onehot"), data_dir=data_dir,
                                 download=download, progress=progress)
    return DemoResult(out, training, study, time.perf_counter() - start)
