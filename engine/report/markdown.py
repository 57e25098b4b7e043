"""The report of a traversal store: what each dimension does, in the article's words, with measured numbers.

:func:`report_data` (arrays in, JSON-ready dict out) and :func:`report_markdown` (dict in, markdown out) are pure;
:func:`run_report` reads the store, draws the figures and writes ``report.md``, ``report.json`` and the PNGs.
"""

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from latentnav.effects.roles import ROLE_REGISTRY, ROLES, RoleThresholds, assign_roles, summarize_dimensions
from latentnav.errors import ParameterError

ARTICLE_WORDS = {role.name: role.words for role in ROLE_REGISTRY}


def report_data(effects: dict, input_index: np.ndarray, labels: np.ndarray, dims: list[int], values: np.ndarray,
                compare_inputs: list[int], thresholds: RoleThresholds = RoleThresholds()) -> dict:
    """Roles, per-dimension summaries and the side-by-side comparison, JSON-ready.

    ``effects`` as :func:`store.effects_store.read_effects` returns; ``input_index`` (n,) dataset indices;
    ``labels`` (n,); ``dims`` the D traversed dimensions; ``values`` (L, S); ``compare_inputs`` dataset indices.
    """
    roles, transitions = assign_roles(effects, thresholds)
    summaries = summarize_dimensions(roles, transitions, effects["pixel_change"], dims)
    ids = [int(i) for i in input_index]
    dimensions = []
    for j, summary in enumerate(summaries):
        entry = asdict(summary)
        entry["roles"] = {str(i): ROLES[r] for i, r in zip(ids, roles[:, j])}
        entry["transitions"] = {str(i): t for i, t in zip(ids, transitions[:, j]) if t}
        dimensions.append(entry)
    where = {i: p for p, i in enumerate(ids)}
    comparison = []
    for j, dim in enumerate(dims):
        row = {"dim": int(dim)}
        for i in compare_inputs:
            p = where[i]
            row[str(i)] = {"role": ROLES[roles[p, j]], "transition": transitions[p, j],
                           "max_change": float(effects["pixel_change"][p, j].max())}
        comparison.append(row)
    return {
        "n_inputs": len(ids), "dims": [int(d) for d in dims],
        "values": {"low": float(values.min()), "high": float(values.max()), "steps": int(values.shape[1])},
        "thresholds": asdict(thresholds), "dimensions": dimensions,
        "comparison": {"inputs": list(compare_inputs), "rows": comparison},
        "mean_consistency": float(np.mean([s.consistency for s in summaries])),
        "labels": {str(i): int(c) for i, c in zip(ids, labels)},
    }


def first_last_classes(effects: dict, min_confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Confident class at the first and the last step of every traversal, (n, D) each (-1 if not confident)."""
    classes, probs = effects["classes"], effects["class_prob"]
    first = np.where(probs[..., 0] >= min_confidence, classes[..., 0], -1)
    last = np.where(probs[..., -1] >= min_confidence, classes[..., -1], -1)
    return first.astype(np.int64), last.astype(np.int64)


def _role_text(role: str, trans: str) -> str:
    return f"identity: {trans.replace('→', ' → ')}" if role == "identity" and trans else ARTICLE_WORDS[role]


def report_markdown(data: dict, meta: dict, figures: dict, dcis: list[dict], metrics: dict | None = None) -> str:
    """The report as markdown; ``figures`` maps a key to a file name relative to the report; one DCI section per DCI,
    and a metrics section for a ``latentnav metrics`` record."""
    lines = [f"# latentnav report: {meta['dataset']} {meta['split']}, {meta['model']}", ""]
    lines += [
        f"{data['n_inputs']:,} inputs traversed along {len(data['dims'])} latent dimensions, each set to "
        f"{data['values']['steps']} values from {data['values']['low']:.2f} to {data['values']['high']:.2f} "
        f"({meta['grid']}). Every traversal was measured (pixel change against the reconstruction, the model's "
        f"own class of the re-encoded image, stroke thickness and slant) and given a role; the consistency of a "
        f"dimension is the share of inputs for which it plays its most common role (mean over dimensions: "
        f"{data['mean_consistency']:.2f}).", "",
        "## What each dimension does", "",
        "| dimension | role (most inputs) | consistency | role entropy (bits) | class changes: most common (share of inputs) | mean largest change |",
        "|---|---|---|---|---|---|",
    ]
    for d in data["dimensions"]:
        share = d["role_shares"]["identity"]
        trans = f"{d['modal_transition'].replace('→', ' → ')} ({share:.0%})" if share > 0 else "–"
        lines.append(f"| {d['dim'] + 1} (z[{d['dim']}]) | {ARTICLE_WORDS[d['modal_role']]} | {d['consistency']:.2f} | "
                     f"{d['entropy_bits']:.2f} | {trans} | {d['mean_max_change']:.3f} |")
    lines += ["", "Dimensions are numbered from 1 as in the article (code index in brackets). Thresholds: "
              + ", ".join(f"{k} = {v}" for k, v in data["thresholds"].items()) + " (see README, \"Roles\").", ""]
    inputs = data["comparison"]["inputs"]
    if inputs:
        lines += [f"## Inputs {' and '.join(map(str, inputs))} side by side", "",
                  "The same dimension can do different things for different inputs: that is the entanglement the "
                  "article points at.", "",
                  "| dimension | " + " | ".join(f"input {i} (class {data['labels'][str(i)]})" for i in inputs) + " | same role |",
                  "|---|" + "---|" * len(inputs) + "---|"]
        for row in data["comparison"]["rows"]:
            cells = [_role_text(row[str(i)]["role"], row[str(i)]["transition"]) for i in inputs]
            same = "yes" if len({row[str(i)]["role"] for i in inputs}) == 1 else "no"
            lines.append(f"| {row['dim'] + 1} | " + " | ".join(cells) + f" | {same} |")
        lines.append("")
        for i in inputs:
            lines += [f"### Input {i}", "", f"![traversal grid of input {i}]({figures[f'grid_{i}']})", "",
                      f"![dimension strip of input {i}]({figures[f'strip_{i}']})", ""]
    lines += ["## Across all inputs", "", "How strongly each dimension changes each input (brighter = more):", "",
              f"![effect heatmap]({figures['heatmap']})", "", "Which role each dimension plays, per share of inputs:", "",
              f"![role shares]({figures['roles']})", "",
              "Where the traversal takes the class, per dimension (first step → last step):", "",
              f"![class transitions]({figures['transitions']})", ""]
    if dcis:
        lines += ["## DCI", ""]
    for dci in dcis:
        lines += dci_markdown(dci, figures.get(f"hinton_{dci['config']['factors']}"))
    if metrics:
        lines += metrics_markdown(metrics)
    return "\n".join(lines)


def metrics_markdown(metrics: dict) -> list[str]:
    """The section of a ``latentnav metrics --json`` record: one row per value."""
    source = metrics.get("source", {})
    lines = ["## Disentanglement metrics", "",
             f"On {source.get('dataset', '?')} {source.get('split', '')} (n_train {metrics.get('n_train')}, "
             f"n_test {metrics.get('n_test')}, seed {source.get('seed')}), as disentanglement_lib defines them.", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value:.4f} |" for name, value in metrics["metrics"].items()]
    return lines + [""]


def dci_markdown(dci: dict, hinton: str | None) -> list[str]:
    """One DCI section from a ``latentnav dci --json`` file."""
    lines = [f"### Factors: {dci['config']['factors']}", ""]
    art = dci.get("article")
    if art:
        lines += ["DCI Metrics (the article's simplified scores, on the training data):", "",
                  f"- Informativeness (accuracy): {art['informativeness']:.4f}",
                  f"- Disentanglement: {art['disentanglement']:.4f}", f"- Completeness: {art['completeness']:.4f}", ""]
    info = dci["informativeness"]
    held = "n/a" if info["test"] is None else f"{info['test']:.4f}"
    lines += [f"Paper scores (Eastwood & Williams 2018), factors `{dci['config']['factors']}`, probe "
              f"`{dci['config']['probe']}`: D = {dci['disentanglement']:.4f}, C = {dci['completeness']:.4f}, "
              f"I = {info['train']:.4f} (train), {held} (held-out).", ""]
    if hinton:
        lines += [f"![Hinton diagram of R]({hinton})", ""]
    return lines


def load_dci_json(path: str | Path) -> dict:
    """A DCI JSON written by ``latentnav dci --json``; a clear error for anything else."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ParameterError("dci_json", f"{path} cannot be read as JSON ({exc}); write it with `latentnav dci --json`") from None
    if not isinstance(data, dict) or "R" not in data or "informativeness" not in data:
        raise ParameterError("dci_json", f"{path} is not a latentnav DCI file (no R); write it with `latentnav dci --json`")
    return data
