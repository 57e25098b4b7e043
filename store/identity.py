"""Comparing what a store was made with to what a resume presents (:meth:`TraversalStore.matches`)."""

import json


def differences(old: dict, new: dict) -> list[str]:
    """Human-readable ``key: old vs new`` for every (dotted) key whose values differ between two identity dicts."""
    old_flat, new_flat = _flatten(old), _flatten(new)
    keys = sorted(set(old_flat) | set(new_flat))
    return [f"{k}: {old_flat.get(k)!r} vs {new_flat.get(k)!r}" for k in keys if old_flat.get(k) != new_flat.get(k)]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.loads(json.dumps(value))  # tuples -> lists, as stored
    return out
