"""Side-by-side comparison of several runs (report.json files): markdown, JSON, CSV and a bar chart on disk."""

import csv
import json
from pathlib import Path

from latentnav.errors import LatentnavError
from latentnav.jobs.outputs import prepare_output_dir
from latentnav.report.compare import compare_figure, compare_markdown, summary_row


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


def write_comparison(rows: list[dict], out: Path, stem: str = "compare", failures: list[dict] | None = None) -> Path:
    """Write ``{stem}.md``, ``.json``, ``.csv`` and ``.png`` for ``rows`` into the folder ``out``; return the markdown."""
    if not rows and not failures:
        raise LatentnavError("nothing to compare: no finished runs")
    (out / f"{stem}.json").write_text(json.dumps(rows, indent=2) + "\n")
    if rows:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with open(out / f"{stem}.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        fig = compare_figure(rows)
        fig.savefig(out / f"{stem}.png", dpi=100)
    (out / f"{stem}.md").write_text(compare_markdown(rows, failures, figure=f"{stem}.png"))
    return out / f"{stem}.md"


def load_rows(path: Path) -> list[dict]:
    """Comparison rows of one argument: a sweep (folder with ``sweep.json``, or that file) or one report."""
    sweep = path / "sweep.json" if path.is_dir() else path
    if sweep.name == "sweep.json" and sweep.is_file():
        return json.loads(sweep.read_text())
    return [summary_row(load_report(path), name=_name(path))]


def run_compare(reports: list[str | Path], out: str | Path) -> Path:
    """Read every report (or sweep), write ``compare.md``, ``.json``, ``.csv`` and ``.png`` to ``out``."""
    rows = [row for path in reports for row in load_rows(Path(path))]
    return write_comparison(rows, prepare_output_dir(out))


def _name(path: Path) -> str:
    if path.name == "report.json":
        path = path.parent
    return path.parent.name if path.name == "report" else path.name
