"""Side-by-side comparison of several runs (report.json files): markdown, JSON, CSV and a bar chart on disk."""

import csv
import io
import json
from pathlib import Path

from latentnav.errors import LatentnavError
from latentnav.files import atomic_write_text, save_figure
from latentnav.jobs.outputs import claim_outputs, prepare_output_dir
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


def write_comparison(rows: list[dict], out: Path, stem: str = "compare", failures: list[dict] | None = None, *,
                     overwrite: bool = False) -> Path:
    """Write ``{stem}.md``, ``.json``, ``.csv`` and ``.png`` for ``rows`` into the folder ``out``; return the markdown.

    Files of those names that latentnav did not write (see :func:`claim_outputs`) are replaced only with ``overwrite``.
    """
    if not rows and not failures:
        raise LatentnavError("nothing to compare: no finished runs")
    claim_outputs(out, [f"{stem}.{ext}" for ext in ("json", "csv", "png", "md")], overwrite=overwrite)
    atomic_write_text(out / f"{stem}.json", json.dumps(rows, indent=2) + "\n")
    if rows:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        table = io.StringIO(newline="")
        writer = csv.DictWriter(table, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(out / f"{stem}.csv", table.getvalue())
        save_figure(compare_figure(rows), out / f"{stem}.png", dpi=100)
    atomic_write_text(out / f"{stem}.md", compare_markdown(rows, failures, figure=f"{stem}.png"))
    return out / f"{stem}.md"


def load_rows(path: Path) -> list[dict]:
    """Comparison rows of one argument: a sweep (folder with ``sweep.json``, or that file) or one report."""
    sweep = path / "sweep.json" if path.is_dir() else path
    if sweep.name == "sweep.json" and sweep.is_file():
        try:
            return checked_rows(json.loads(sweep.read_text()), sweep)
        except ValueError as exc:
            if isinstance(exc, LatentnavError):
                raise
            raise LatentnavError(f"{sweep} is not valid JSON ({exc})") from None
    report = load_report(path)
    if not isinstance(report, dict) or not isinstance(report.get("dimensions"), list) or not report["dimensions"]:
        raise LatentnavError(f"{path}: its report.json is not a latentnav report (no dimensions); make one with "
                             f"`latentnav report --store RUN.zarr --out DIR`")
    try:
        row = summary_row(report, name=_name(path))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, ZeroDivisionError) as exc:
        raise LatentnavError(f"{path}: its report.json is not a complete latentnav report ({type(exc).__name__}: "
                             f"{exc}); re-make it with `latentnav report`") from None
    return checked_rows([row], path)


def checked_rows(rows, source) -> list[dict]:
    """``rows`` when they are comparison rows (dicts with a name and numbers in the numeric columns), else an error."""
    from latentnav.report.compare import columns_of

    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in rows):
        raise LatentnavError(f"{source} is not a list of comparison rows, each with a name; make it with "
                             f"`latentnav sweep` or `latentnav report`")
    for row in rows:
        for key, _, fmt in columns_of([row]):
            value = row.get(key)
            if fmt != "{}" and value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise LatentnavError(f"{source}: {key} of run {row['name']!r} is {value!r}, not a number")
    return rows


def run_compare(reports: list[str | Path], out: str | Path, *, overwrite: bool = False) -> Path:
    """Read every report (or sweep), write ``compare.md``, ``.json``, ``.csv`` and ``.png`` to ``out``."""
    rows = [row for path in reports for row in load_rows(Path(path))]
    return write_comparison(rows, prepare_output_dir(out), overwrite=overwrite)


def _name(path: Path) -> str:
    if path.name == "report.json":
        path = path.parent
    return path.parent.name if path.name == "report" else path.name
