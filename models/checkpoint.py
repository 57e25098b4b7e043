"""Checkpoint saving and loading, in one place.

A latentnav checkpoint is a plain ``state_dict`` file (``torch.save(model.state_dict(), "m.pth")``,
so the article's code loads it unchanged) plus a JSON sidecar ``m.json`` with the architecture, the
dataset and the training metrics. :func:`load_checkpoint` accepts:

- our checkpoints (state_dict + sidecar);
- a plain state_dict of the seed architecture (``AutoencoderClassifier``) or of ``BetaVAEClassifier``
  with no sidecar: input, latent and class sizes are inferred from the tensor shapes;
- any state_dict with ``model_class="module:Class"`` or ``"path/to/file.py:Class"`` (and ``model_kwargs`` for its
  constructor) for a user's model, which must offer ``encode``/``decode`` methods or ``encoder``/``decoder`` modules.
  A file path is imported under a private module name, so it never clashes with an installed package.

Loading always uses ``torch.load(..., weights_only=True)``: a pickle that would run code is refused.
"""

import hashlib
import importlib
import importlib.util
import json
import os
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from latentnav.models.autoencoder import AutoencoderClassifier
from latentnav.models.loaded import LoadedModel, probe_latent_dim
from latentnav.errors import LatentnavError, ParameterError
from latentnav.models.vae import BetaVAEClassifier

ARCHITECTURES = {"ae": AutoencoderClassifier, "vae": BetaVAEClassifier}
SIDECAR_FORMAT = 1


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar that belongs to checkpoint ``path`` (same name, suffix ``.json``)."""
    return Path(path).with_suffix(".json")


def save_checkpoint(model: nn.Module, path: str | Path, *, kind: str, dataset: str, training: dict) -> Path:
    """Write ``model.state_dict()`` to ``path`` and the sidecar next to it; return the sidecar's path."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)  # a killed run never leaves half a checkpoint under the real name
    meta = {
        "latentnav_checkpoint": SIDECAR_FORMAT,
        "architecture": {"kind": kind, "input_dim": model.input_dim, "latent_dim": model.latent_dim,
                         "num_classes": model.num_classes},
        "dataset": dataset,
        "training": training,
    }
    side = sidecar_path(path)
    side.write_text(json.dumps(meta, indent=2) + "\n")
    return side


def load_checkpoint(path: str | Path, *, model_class: str | None = None, model_kwargs: dict | None = None) -> LoadedModel:
    """Load a checkpoint (see the module docstring) into a model in eval mode on the CPU.

    Raises
    ------
    LatentnavError
        Missing file, not a checkpoint, a refused pickle, missing or unexpected keys, mismatched shapes,
        or a user model class that cannot be imported or used.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise LatentnavError(f"checkpoint {path} {what}; train one with `latentnav train --out {path}` or pass an existing .pth file")
    state = _read_state_dict(path)
    meta = _read_sidecar(path)
    if model_class is not None:
        model, kind = _user_model(model_class, model_kwargs or {}), model_class
    elif model_kwargs:
        raise ParameterError("model_kwargs", "are only used with {model_class} (a user's model class)")
    else:
        kind = meta.get("architecture", {}).get("kind") or _infer_kind(state, path)
        model = ARCHITECTURES[kind](**_infer_sizes(state, kind))
    _check_keys_and_shapes(model, state, path)
    model.load_state_dict(state)
    model.eval()
    latent_dim = int(getattr(model, "latent_dim", 0)) or probe_latent_dim(model, int(getattr(model, "input_dim", 784)))
    head = getattr(model, "classifier", None)
    return LoadedModel(
        model=model, kind=kind, input_dim=int(getattr(model, "input_dim", 784)), latent_dim=latent_dim,
        num_classes=int(head.out_features) if isinstance(head, nn.Linear) else 0,
        path=str(path), sha256=_sha256(path), metadata=meta, model_class=model_class,
        model_kwargs=dict(model_kwargs or {}),
    )


def _read_state_dict(path: Path) -> dict:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" in str(exc):  # the weights_only unpickler met a class or function reference
            raise LatentnavError(
                f"refused to load {path}: it holds Python objects that could run code, and checkpoints are loaded "
                f"with weights_only=True; save only tensors with torch.save(model.state_dict(), path)"
            ) from None
        raise LatentnavError(f"{path} is not a PyTorch checkpoint ({_first_line(exc)}); pass a file written by torch.save") from None
    except Exception as exc:  # torch raises RuntimeError, EOFError, zipfile errors ... for garbage
        raise LatentnavError(f"{path} is not a PyTorch checkpoint ({_first_line(exc)}); pass a file written by torch.save") from None
    if isinstance(obj, Mapping) and isinstance(obj.get("state_dict"), Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise LatentnavError(
            f"{path} holds a {type(obj).__name__}, not a state_dict of tensors; save it with torch.save(model.state_dict(), path)"
        )
    return dict(obj)


def _read_sidecar(path: Path) -> dict:
    side = sidecar_path(path)
    if not side.is_file():
        return {}
    try:
        meta = json.loads(side.read_text())
    except (OSError, ValueError) as exc:
        raise LatentnavError(f"checkpoint sidecar {side} is not valid JSON ({exc}); fix or delete it") from None
    if not isinstance(meta, dict) or "latentnav_checkpoint" not in meta:
        return {}  # a JSON file of someone else's with the same name: ignore it
    kind = meta.get("architecture", {}).get("kind")
    if kind not in ARCHITECTURES:
        raise LatentnavError(f"checkpoint sidecar {side} names architecture {kind!r}; expected one of {sorted(ARCHITECTURES)}")
    return meta


def _infer_kind(state: dict, path: Path) -> str:
    if "fc_mu.weight" in state:
        return "vae"
    if "encoder.4.weight" in state:
        return "ae"
    keys = ", ".join(list(state)[:6])
    raise LatentnavError(
        f"cannot tell the architecture of {path} (keys: {keys} ...); it is neither the seed AutoencoderClassifier "
        f"nor BetaVAEClassifier: pass --model-class module:Class for your own model"
    )


def _infer_sizes(state: dict, kind: str) -> dict:
    first, last = state.get("encoder.0.weight"), state.get("fc_mu.weight" if kind == "vae" else "encoder.4.weight")
    head = state.get("classifier.weight")
    sizes = {}
    if first is not None and first.ndim == 2:
        sizes["input_dim"] = first.shape[1]
    if last is not None and last.ndim == 2:
        sizes["latent_dim"] = last.shape[0]
    if head is not None and head.ndim == 2:
        sizes["num_classes"] = head.shape[0]
    return sizes


def _check_keys_and_shapes(model: nn.Module, state: dict, path: Path) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing keys {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected keys {_few(unexpected)}")
        raise LatentnavError(f"{path} does not fit {type(model).__name__}: {'; '.join(parts)}")
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise LatentnavError(
                f"{path} does not fit {type(model).__name__}: {key} has shape {tuple(state[key].shape)}, "
                f"expected {tuple(tensor.shape)}"
            )


def _user_model(spec: str, kwargs: dict) -> nn.Module:
    cls = import_model_class(spec)
    try:
        model = cls(**kwargs)
    except Exception as exc:
        raise ParameterError("model_kwargs", f"{kwargs} do not construct {spec} ({_first_line(exc)})") from None
    if not isinstance(model, nn.Module):
        raise ParameterError("model_class", f"is a {type(model).__name__}, not a torch.nn.Module", value=spec)
    for method, attr in (("encode", "encoder"), ("decode", "decoder")):
        if not hasattr(model, method) and not hasattr(model, attr):
            raise ParameterError("model_class", f"has neither a {method}() method nor a {attr} module; latentnav "
                                                f"needs both halves", value=spec)
    return model


def import_model_class(spec: str) -> type:
    """The class named by ``module:Class`` (importable, or in the working directory) or ``path/to/file.py:Class``.

    A file is imported by its path under a private module name (``latentnav_user.<stem>_<hash>``), so a user's
    ``models.py`` never clashes with a package of the same name, and vice versa.
    """
    where, _, class_name = spec.rpartition(":")
    if not where or not class_name or not class_name.isidentifier():
        raise ParameterError("model_class", "must look like module:Class or path/to/file.py:Class "
                                            "(e.g. mymodels:ConvAE)", value=spec)
    try:
        module = _import_file(Path(where)) if where.endswith(".py") else _import_module(where)
        return getattr(module, class_name)
    except Exception as exc:  # ImportError, AttributeError, and whatever the user's module raises while importing
        raise ParameterError("model_class", f"cannot be imported ({type(exc).__name__}: {_first_line(exc)}); check "
                                            f"the module is on PYTHONPATH or give the file as path/to/file.py:Class",
                             value=spec) from None


def _import_module(name: str):
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # a user's module in the working directory, as `python -m` would find it
    return importlib.import_module(name)


def _import_file(path: Path):
    path = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}")
    name = f"latentnav_user.{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it executes
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _few(keys: list[str]) -> str:
    return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
