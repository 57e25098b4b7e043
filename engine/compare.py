"""Side-by-side comparison of several runs (report.json files): markdown, JSON, CSV and a bar chart."""

import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from engine.paths import prepare_output_dir  # noqa: E402
from engine.study import load_report, summary_row  # noqa: E402
from models.errors import LatentnavError  # noqa: E402

COLUMNS = [
    ("name", "run", "{}"), ("kind", "model", "{}"), ("beta", "beta", "{:g}"), ("dataset", "data", "{}"),
    ("dci_factors", "DCI factors", "{}"), ("disentanglement", "D", "{:.3f}"), ("completeness", "C", "{:.3f}"),
    ("informativeness_test", "I (held-out)", "{:.3f}"), ("test_accuracy", "head acc.", "{:.3f}"),
    ("recon_bce", "recon. BCE", "{:.4f}"), ("mean_consistency", "role consistency", "{:.2f}"),
    ("no_effect_share", "no-effect share", "{:.2f}"), ("identity_share", "identity share", "{:.2f}"),
]


def _cell(value, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def compare_markdown(rows: list[dict], failures: list[dict] | None = None, figure: str = "compare.png") -> str:
    """The comparison table (one row per run), grouped by dataset, then any runs that failed."""
    lines = ["# latentnav comparison", "",
             "D, C: paper DCI (Eastwood & Williams 2018) over the DCI factors; I: held-out probe accuracy; role "
             "consistency: mean share of inputs for which a dimension plays its most common role.", "",
             "| " + " | ".join(title for _, title, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in sorted(rows, key=lambda r: (str(r["dataset"]), str(r["name"]))):
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in COLUMNS) + " |")
    lines += ["", f"![D, C and I per run]({figure})", ""]
    if failures:
        lines += ["## Failed runs", ""] + [f"- `{f['name']}`: {f['error']}" for f in failures] + [""]
    return "\n".join(lines)


def compare_figure(rows: list[dict]) -> plt.Figure:
    """Grouped bars of D, C, I (held-out) and role consistency per run."""
    keys = [("disentanglement", "D"), ("completeness", "C"), ("informativeness_test", "I held-out"),
            ("mean_consistency", "consistency")]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 3.5))
    width = 0.8 / len(keys)
    for k, (key, label) in enumerate(keys):
        values = [r.get(key) if r.get(key) is not None else np.nan for r in rows]
        ax.bar(np.arange(len(rows)) + k * width, values, width, label=label)
    ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2)
    ax.set_xticklabels([r["name"] for r in rows], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, ncol=4, loc="upper left")
    fig.tight_layout()
    return fig


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
        plt.close(fig)
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
