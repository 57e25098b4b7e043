"""Comparing runs: the summary row of one report, and the comparison table and chart of many rows (pure)."""

import numpy as np
from matplotlib.figure import Figure

COLUMNS = [
    ("name", "run", "{}"), ("kind", "model", "{}"), ("beta", "beta", "{:g}"), ("dataset", "data", "{}"),
    ("dci_factors", "DCI factors", "{}"), ("disentanglement", "D", "{:.3f}"), ("completeness", "C", "{:.3f}"),
    ("informativeness_test", "I (held-out)", "{:.3f}"), ("test_accuracy", "head acc.", "{:.3f}"),
    ("recon_bce", "recon. BCE", "{:.4f}"), ("mean_consistency", "role consistency", "{:.2f}"),
    ("no_effect_share", "no-effect share", "{:.2f}"), ("identity_share", "identity share", "{:.2f}"),
]


def _cell(value, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


METRIC_PREFIX = "metric:"  # summary-row keys of the values of ``latentnav metrics``


def columns_of(rows: list[dict]) -> list[tuple[str, str, str]]:
    """The fixed columns, then one per metric value any row has (``metric:mig`` -> column "mig")."""
    metric_keys = dict.fromkeys(k for row in rows for k in row if k.startswith(METRIC_PREFIX))
    return COLUMNS + [(key, key[len(METRIC_PREFIX):], "{:.3f}") for key in metric_keys]


def compare_markdown(rows: list[dict], failures: list[dict] | None = None, figure: str = "compare.png") -> str:
    """The comparison table (one row per run), grouped by dataset, then any runs that failed."""
    lines = ["# latentnav comparison", "",
             "D, C: paper DCI (Eastwood & Williams 2018) over the DCI factors; I: held-out probe accuracy; role "
             "consistency: mean share of inputs for which a dimension plays its most common role.", "",
             "| " + " | ".join(title for _, title, _ in columns_of(rows)) + " |", "|" + "---|" * len(columns_of(rows))]
    for row in sorted(rows, key=lambda r: (str(r["dataset"]), str(r["name"]))):
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for key, _, fmt in columns_of(rows)) + " |")
    lines += ["", f"![D, C and I per run]({figure})", ""]
    if failures:
        lines += ["## Failed runs", ""] + [f"- `{f['name']}`: {f['error']}" for f in failures] + [""]
    return "\n".join(lines)


def compare_figure(rows: list[dict]) -> Figure:
    """Grouped bars of D, C, I (held-out) and role consistency per run."""
    keys = [("disentanglement", "D"), ("completeness", "C"), ("informativeness_test", "I held-out"),
            ("mean_consistency", "consistency")]
    fig = Figure(figsize=(max(6, 1.3 * len(rows)), 3.5))
    ax = fig.subplots()
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



def summary_row(report: dict, name: str, traverse=None) -> dict:
    """The comparison row of one report.json: model, data, reconstruction, D, C, I, consistency, roles, speed.

    ``traverse`` (a traverse result with ``images_computed`` and ``images_per_second``) adds the speed.
    """
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
    row.update({METRIC_PREFIX + k: v for k, v in ((report.get("metrics") or {}).get("metrics") or {}).items()})
    if traverse is not None:
        row["images_per_s"] = round(traverse.images_per_second) if traverse.images_computed else None
    return row
