"""The report of a traversal store: what each dimension does, in the article's words, with measured numbers.

:func:`report_data` (arrays in, JSON-ready dict out) and :func:`report_markdown` (dict in, markdown out) are pure;
:func:`run_report` reads the store, draws the figures and writes ``report.md``, ``report.json`` and the PNGs.
"""

import json
import math
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np

from latentnav.effects.roles import ROLE_REGISTRY, ROLES, RoleThresholds, assign_roles, summarize_dimensions
from latentnav.errors import ParameterError

ARTICLE_WORDS = {role.name: role.words for role in ROLE_REGISTRY}


def report_data(effects: dict, input_index: np.ndarray, labels: np.ndarray, dims: list[int], values: np.ndarray,
                compare_inputs: list[int], thresholds: RoleThresholds = RoleThresholds(),
                factor_roles: dict | None = None) -> dict:
    """Roles, per-dimension summaries and the side-by-side comparison, JSON-ready.

    ``effects`` as :func:`store.effects_store.read_effects` returns; ``input_index`` (n,) dataset indices;
    ``labels`` (n,); ``dims`` the D traversed dimensions; ``values`` (L, S); ``compare_inputs`` dataset indices;
    ``factor_roles`` what :func:`latentnav.jobs.factor_source.report_factor_roles` returns (None for a dataset
    without factors): each dimension's ``factor`` is ``{"name", "share", "monotonic_share", "mean_range"}`` or None.
    """
    moved = {d["dim"]: d for d in (factor_roles or {}).get("dims", [])}
    roles, transitions = assign_roles(effects, thresholds)
    summaries = summarize_dimensions(roles, transitions, effects["pixel_change"], dims)
    ids = [int(i) for i in input_index]
    dimensions = []
    for j, summary in enumerate(summaries):
        entry = asdict(summary)
        entry["roles"] = {str(i): ROLES[r] for i, r in zip(ids, roles[:, j])}
        entry["transitions"] = {str(i): t for i, t in zip(ids, transitions[:, j]) if t}
        factor = moved.get(int(summary.dim))
        entry["factor"] = None if factor is None else {k: v for k, v in factor.items() if k != "dim"}
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
        "factor_roles": None if factor_roles is None else {k: v for k, v in factor_roles.items() if k != "dims"},
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
        *([f"> **Note on the range:** {meta['range']['warning']}.", ""]  # traversal.range_check
          if (meta.get("range") or {}).get("warning") else []),
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
    lines += factor_markdown(data)
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


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def factor_markdown(data: dict) -> list[str]:
    """The section on the ground-truth factor each dimension moves (none for a dataset without factors)."""
    info = data.get("factor_roles")
    if info is None:
        return []
    lines = ["## Which ground-truth factor each dimension moves", ""]
    if info.get("note"):
        return lines + [f"> Factor roles are not given: {info['note']}.", ""]
    probe = info["probe"]
    r2 = ", ".join(f"{name} {value:.2f}" for name, value in probe["r2"].items())
    lines += [f"A linear probe per factor ({probe['kind']}, fitted on the model's codes of {probe['n_fit']:,} dataset "
              f"images; R² {r2}) reads the factor values of every re-encoded traversed image. For each input the "
              f"dimension moves the factor whose predicted value spans most of its range along the traversal (none "
              f"below {info['min_move']:g} of the range); the move is monotonic when no step goes back by more than "
              f"{info['tie_tol']:g} of the range. Shares are of all inputs (README, \"Report\").", "",
              "| dimension | moves (most inputs) | share of inputs | monotonic | mean range | in words |",
              "|---|---|---|---|---|---|"]
    for d in data["dimensions"]:
        f = d.get("factor")
        if f is None or f["name"] is None:
            lines.append(f"| {d['dim'] + 1} (z[{d['dim']}]) | no factor | – | – | – | z[{d['dim']}] moves no factor |")
            continue
        lines.append(f"| {d['dim'] + 1} (z[{d['dim']}]) | {f['name']} | {f['share']:.2f} | {f['monotonic_share']:.2f} | "
                     f"{f['mean_range']:.2f} | z[{d['dim']}] moves {f['name']} in {_percent(f['share'])} of inputs, "
                     f"monotonic in {_percent(f['monotonic_share'])} |")
    return lines + [""]


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
    problem = _dci_schema_problem(data)
    if problem:
        raise ParameterError("dci_json", f"{path} is not a valid latentnav DCI file ({problem}); write it with "
                                         f"`latentnav dci --json`")
    return data


def _dci_schema_problem(data: dict) -> str | None:
    """What is wrong with a DCI JSON's fields the report uses (None when nothing)."""
    def number(v, none_ok=False):
        return (v is None and none_ok) or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))

    R, names, config, info = data["R"], data.get("factor_names"), data.get("config"), data["informativeness"]
    if not (isinstance(R, list) and R and all(isinstance(row, list) and row for row in R)):
        return "R must be a matrix (a list of rows)"
    if len({len(row) for row in R}) != 1 or not all(number(v) for row in R for v in row):
        return "R must be a rectangular matrix of finite numbers"
    if not (isinstance(names, list) and len(names) == len(R[0]) and all(isinstance(n, str) for n in names)):
        return f"factor_names must list the {len(R[0])} factors of R"
    if not (isinstance(config, dict) and isinstance(config.get("factors"), str)
            and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", config["factors"]) and isinstance(config.get("probe"), str)):
        return "config must name its factors mode and probe"
    if not (number(data.get("disentanglement")) and number(data.get("completeness"))):
        return "disentanglement and completeness must be numbers"
    if not (isinstance(info, dict) and number(info.get("train")) and number(info.get("test"), none_ok=True)):
        return "informativeness must hold train and test accuracies"
    art = data.get("article")
    if art and not (isinstance(art, dict) and all(number(art.get(k)) for k in
                                                  ("informativeness", "disentanglement", "completeness"))):
        return "article must hold informativeness, disentanglement and completeness"
    return None
