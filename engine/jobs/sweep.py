"""Sweeps: every checkpoint of a study traversed, measured, scored and reported as Dask tasks.

One task per checkpoint runs :func:`engine.study.run_checkpoint_study` into ``OUT/<checkpoint name>/``. A checkpoint
whose report already exists is skipped (its row is read back); one that fails is reported with its error and the
others go on. The summary (``sweep.json``, ``sweep.csv``, ``sweep.md``, ``sweep.png``) is what ``compare`` shows.
"""

import glob
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from latentnav.devices import thread_count
from latentnav.errors import ParameterError
from latentnav.files import atomic_write_text
from latentnav.jobs.compare import load_report, write_comparison
from latentnav.jobs.dask import dask_client
from latentnav.jobs.outputs import claim_outputs, prepare_output_dir
from latentnav.jobs.study import run_checkpoint_study
from latentnav.metrics.factors import FACTOR_MODES
from latentnav.metrics.suite import METRICS
from latentnav.report.compare import summary_row


@dataclass(frozen=True)
class SweepOptions:
    """What every checkpoint of the sweep gets."""

    dataset: str
    factors: tuple[str, ...] = ("label",)
    probe: str = "xgboost"
    split: str = "test"
    inputs: tuple[int, ...] | None = None
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    data_dir: str | None = None
    metrics: tuple[str, ...] = ()

    def __post_init__(self):
        chosen = [name for name in ("inputs", "limit", "sample") if getattr(self, name) is not None]
        if len(chosen) > 1:
            raise ParameterError(chosen[0], f"and {{{chosen[1]}}} exclude each other; give one")
        if self.sample is not None and self.sample < 1:
            raise ParameterError("sample", f"must be a whole number >= 1, got {self.sample}")
        bad = [f for f in self.factors if f not in FACTOR_MODES]
        if bad or not self.factors:
            raise ParameterError("factors", f"{','.join(bad) or '(empty)'} unknown; use label, onehot and/or all, "
                                            f"e.g. label,onehot")
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ParameterError("metrics", f"{','.join(unknown)} unknown; choose from {','.join(METRICS)}")


@dataclass(frozen=True)
class SweepResult:
    rows: list
    failures: list
    skipped: list
    seconds: float
    summary: Path
    extra: dict = field(default_factory=dict)


def find_checkpoints(pattern: str) -> list[Path]:
    """Checkpoint files matching a glob (``DIR/*.pth``); none is an error."""
    paths = sorted(Path(p) for p in glob.glob(pattern) if p.endswith(".pth"))
    if not paths:
        raise ParameterError("checkpoints", "matches no .pth file; quote the pattern, e.g. 'runs/*.pth'", value=pattern)
    names = [p.stem for p in paths]
    if len(set(names)) != len(names):
        raise ParameterError("checkpoints", "name two checkpoints with the same file name; the sweep names each run after its checkpoint")
    return paths


def study_task(checkpoint: str, out: str, options: SweepOptions) -> dict:
    """Dask task: one checkpoint end to end; returns its summary row, or ``{"name", "error"}``."""
    try:
        with thread_count(1):  # one task per core
            result = run_checkpoint_study(checkpoint, options.dataset, out, factors=options.factors,
                                          probe=options.probe, split=options.split, inputs=options.inputs,
                                          limit=options.limit, sample=options.sample, seed=options.seed,
                                          metrics=options.metrics, data_dir=options.data_dir, progress=False)
    except Exception as exc:  # reported in the summary; the other checkpoints go on
        return {"name": Path(out).name, "checkpoint": checkpoint, "error": f"{type(exc).__name__}: {exc}"}
    return {**result.summary, "checkpoint": checkpoint}


def finished(directory: Path) -> bool:
    """A checkpoint's run is finished when its report exists."""
    return (directory / "report" / "report.json").is_file()


def run_sweep(pattern: str, out: str | Path, options: SweepOptions, *, scheduler: str = "local",
              workers: int | None = None, sequential: bool = False, overwrite: bool = False) -> SweepResult:
    """Run every checkpoint matching ``pattern`` (skipping finished ones); write the sweep summary to ``out``.

    ``sequential`` runs the tasks one after another in this process (the benchmark's baseline).
    """
    checkpoints = find_checkpoints(pattern)
    out = prepare_output_dir(out)
    summary_files = [f"sweep.{ext}" for ext in ("json", "csv", "png", "md")] + ["sweep_failures.json"]
    claim_outputs(out, summary_files, overwrite=overwrite)  # before any work: a user's file there is refused
    start = time.perf_counter()
    rows, skipped, todo = [], [], []
    for ckpt in checkpoints:
        directory = out / ckpt.stem
        if finished(directory):
            rows.append({**summary_row(load_report(directory), name=ckpt.stem), "checkpoint": str(ckpt)})
            skipped.append(ckpt.stem)
        else:
            todo.append((str(ckpt), str(directory)))
    if todo and sequential:
        rows += [study_task(c, d, options) for c, d in todo]
    elif todo:
        with dask_client(scheduler, workers) as client:
            rows += client.gather([client.submit(study_task, c, d, options, pure=False) for c, d in todo])
    failures = [r for r in rows if "error" in r]
    good = [r for r in rows if "error" not in r]
    summary = write_comparison(good, out, stem="sweep", failures=failures, overwrite=overwrite)
    atomic_write_text(out / "sweep_failures.json", json.dumps(failures, indent=2) + "\n")
    return SweepResult(good, failures, skipped, time.perf_counter() - start, summary)
