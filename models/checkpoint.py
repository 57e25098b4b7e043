"""Checkpoint saving and loading, in one place.

A latentnav checkpoint is a plain ``state_dict`` file (``torch.save(model.state_dict(), "m.pth")``,
so the article's code loads it unchanged) plus a JSON sidecar ``m.json`` with the architecture, the
dataset and the training metrics. :func:`load_checkpoint` accepts:

- our checkpoints (state_dict + sidecar), of every kind in :data:`ARCHITECTURES`;
- a plain state_dict of a built-in architecture (the seed ``AutoencoderClassifier``, ``BetaVAEClassifier``,
  ``ConvAE``, ``ConvVAE``) with no sidecar: the kind and the sizes are inferred from the keys and tensor shapes;
- any state_dict with ``model_class="module:Class"`` or ``"path/to/file.py:Class"`` (and ``model_kwargs`` for its
  constructor) for a user's model, which must offer ``encode``/``decode`` methods or ``encoder``/``decoder`` modules.
  A file path is imported under a private module name, so it never clashes with an installed package.

The file may be a ``torch.save`` of the state_dict or of a dict holding it (``state_dict``, ``model_state_dict``,
``model``; a ``model.`` prefix shared by all keys is dropped when the bare keys fit), a ``.safetensors`` file, or a
TorchScript archive (its weights go into ``model_class``; without one the scripted module is the model when it
has exported ``encode``/``decode``). See :mod:`latentnav.models.checkpoint_files`: no pickled code is ever run.
"""

import json
import math
from pathlib import Path

import torch
from torch import nn

from latentnav.errors import LatentnavError, ParameterError
from latentnav.files import atomic_path
from latentnav.models.autoencoder import AutoencoderClassifier
from latentnav.models.checkpoint_files import file_sha256, first_line, read_checkpoint, strip_prefix
from latentnav.models.conv import ConvAE, ConvVAE
from latentnav.models.loaded import LoadedModel, default_input_shape, head_size, probe_model
from latentnav.models.model_class import import_model_class, user_model  # noqa: F401 (import_model_class: re-exported)
from latentnav.models.vae import BetaVAEClassifier

ARCHITECTURES = {"ae": AutoencoderClassifier, "vae": BetaVAEClassifier, "conv-ae": ConvAE, "conv-vae": ConvVAE}
SIDECAR_FORMAT = 1
_LAST_ENCODER_KEY = {"ae": "encoder.4.weight", "vae": "fc_mu.weight", "conv-ae": "encoder.11.weight",
                     "conv-vae": "fc_mu.weight"}


def build_model(kind: str, *, input_shape: tuple, latent_dim: int, num_classes: int) -> nn.Module:
    """A fresh model of registered ``kind`` for inputs of ``input_shape`` (``(D,)`` or ``(C, H, W)``).

    The flat models take ``input_dim = prod(input_shape)``; the conv models ``(C, 64, 64)`` images (a
    ParameterError ``image_size`` for others). ``num_classes`` 0 gives a conv model without a head.
    """
    cls = ARCHITECTURES[kind]
    if hasattr(cls, "from_sizes"):
        return cls.from_sizes(tuple(input_shape), latent_dim, num_classes)
    return cls(math.prod(input_shape), latent_dim, num_classes)


def default_latent_dim(kind: str) -> int:
    """The latent size of ``kind`` when none is asked for: 16 for the flat models, 10 for the conv models."""
    return int(getattr(ARCHITECTURES[kind], "DEFAULT_LATENT_DIM", 16))


def trains_head(kind: str) -> bool:
    """Whether ``kind`` is trained with a classifier head (the flat models always; the conv models not)."""
    return bool(getattr(ARCHITECTURES[kind], "TRAINS_HEAD", True))


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar that belongs to checkpoint ``path`` (same name, suffix ``.json``)."""
    return Path(path).with_suffix(".json")


def save_checkpoint(model: nn.Module, path: str | Path, *, kind: str, dataset: str, training: dict) -> Path:
    """Write ``model.state_dict()`` to ``path`` and the sidecar next to it; return the sidecar's path."""
    path = Path(path)
    meta = {
        "latentnav_checkpoint": SIDECAR_FORMAT,
        "architecture": _architecture(model, kind),
        "dataset": dataset,
        "training": training,
    }
    side = sidecar_path(path)
    # both written to temporary files first: a full disk or a kill leaves neither half-written under its real name
    with atomic_path(path) as tmp_ckpt, atomic_path(side) as tmp_side:
        torch.save(model.state_dict(), tmp_ckpt)
        tmp_side.write_text(json.dumps(meta, indent=2) + "\n")
    return side


def _architecture(model: nn.Module, kind: str) -> dict:
    arch = {"kind": kind, "input_dim": int(model.input_dim), "latent_dim": int(model.latent_dim),
            "num_classes": int(model.num_classes)}
    if hasattr(model, "in_channels"):
        arch.update(in_channels=int(model.in_channels), input_shape=[int(s) for s in model.input_shape])
    return arch


def load_checkpoint(path: str | Path, *, model_class: str | None = None, model_kwargs: dict | None = None,
                    input_shape: tuple | None = None) -> LoadedModel:
    """Load a checkpoint (see the module docstring) into a model in eval mode on the CPU.

    Parameters
    ----------
    path : str or Path
        A ``torch.save`` file, a TorchScript archive or a ``.safetensors`` file.
    model_class : str, optional
        ``module:Class`` or ``path/to/file.py:Class`` of a user's model to load the weights into.
    model_kwargs : dict, optional
        Keyword arguments of ``model_class``'s constructor.
    input_shape : tuple of int, optional
        One input's shape as the data has it (a dataset's ``(C, H, W)``), used to probe a model's latent size and
        input shape: zeros of (1, *input_shape), then of (1, prod(input_shape)). Without it the model's
        ``input_shape`` / ``input_dim`` attributes are used, else (784,).

    Raises
    ------
    LatentnavError
        Missing file, not a checkpoint, a refused pickle, bad weights (non-string keys, non-tensors, sparse,
        non-floating or non-finite values), missing or unexpected keys, mismatched shapes, or a user model class
        that cannot be imported or used.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise LatentnavError(f"checkpoint {path} {what}; train one with `latentnav train --out {path}` or pass an existing .pth file")
    if model_kwargs and model_class is None:
        raise ParameterError("model_kwargs", "are only used with {model_class} (a user's model class)")
    ckpt = read_checkpoint(path)
    meta = _read_sidecar(path)
    state, scripted = ckpt.state, ckpt.scripted
    if model_class is not None:
        model, kind = user_model(model_class, model_kwargs or {}), model_class
    elif scripted is not None and hasattr(scripted, "encode") and hasattr(scripted, "decode"):
        model, kind = scripted, "torchscript"
    else:
        kind, state = _registered_kind(state, meta, path, scripted)
        model = scripted if kind == "torchscript" else build_model(kind, **_sizes(state, kind, meta))
    if model is not scripted:
        state = _fit_prefix(model, state)
        _check_keys_and_shapes(model, state, path)
        model.load_state_dict(state)
    model.eval()
    latent_dim = getattr(model, "latent_dim", None)
    if input_shape is None and isinstance(latent_dim, int) and latent_dim > 0:
        shape = default_input_shape(model)
    else:
        shape, latent_dim = probe_model(model, input_shape)
    return LoadedModel(
        model=model, kind=kind, input_dim=math.prod(shape), latent_dim=int(latent_dim), num_classes=head_size(model),
        path=str(path), sha256=file_sha256(path), metadata=meta, model_class=model_class,
        model_kwargs=dict(model_kwargs or {}), input_shape=tuple(shape),
    )


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
    arch = meta.get("architecture")
    if not isinstance(arch, dict):
        raise LatentnavError(f"checkpoint sidecar {side}: 'architecture' is a {type(arch).__name__}, expected an "
                             f"object with 'kind' and sizes; fix or delete the sidecar")
    kind = arch.get("kind")
    if not isinstance(kind, str) or kind not in ARCHITECTURES:
        raise LatentnavError(f"checkpoint sidecar {side} names architecture {kind!r}; expected one of {sorted(ARCHITECTURES)}")
    sizes = {k: arch[k] for k in ("input_dim", "latent_dim", "num_classes") if k in arch}
    shape = arch.get("input_shape", [1])
    bad = [k for k, v in sizes.items() if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 2**31]
    if not isinstance(shape, list) or not all(isinstance(v, int) and 0 < v <= 2**31 for v in shape):
        bad.append("input_shape")
    if bad:
        raise LatentnavError(f"checkpoint sidecar {side}: {', '.join(bad)} must be whole numbers (sizes); fix or "
                             f"delete the sidecar")
    if not isinstance(meta.get("training", {}), dict):
        meta = {**meta, "training": {}}  # only shown, never used to build anything
    return meta


def _registered_kind(state: dict, meta: dict, path: Path, scripted) -> tuple[str, dict]:
    """The kind of ``state`` (the sidecar's, else inferred) and the state, without a shared ``model.`` prefix
    when only the bare keys are recognised; ``torchscript`` for an archive with ``encoder``/``decoder`` modules."""
    bare = strip_prefix(state)
    if _infer_kind(state) is None and bare and _infer_kind(bare):
        state = bare
    kind = meta.get("architecture", {}).get("kind") or _infer_kind(state)
    if kind:
        return kind, state
    if scripted is not None and hasattr(scripted, "encoder") and hasattr(scripted, "decoder"):
        return "torchscript", state
    if scripted is not None:
        raise LatentnavError(
            f"TorchScript archive {path} has no exported encode()/decode() methods (mark them @torch.jit.export) and "
            f"no encoder/decoder submodules; pass --model-class module:Class to load its weights into your class"
        )
    raise LatentnavError(
        f"cannot tell the architecture of {path} (keys: {', '.join(list(state)[:6])} ...); it is none of the built-in "
        f"models ({', '.join(ARCHITECTURES)}): pass --model-class module:Class for your own model"
    )


def _infer_kind(state: dict) -> str | None:
    first = state.get("encoder.0.weight")
    conv = isinstance(first, torch.Tensor) and first.ndim == 4
    if "fc_mu.weight" in state:
        return "conv-vae" if conv else "vae"
    if conv and "encoder.11.weight" in state:
        return "conv-ae"
    if not conv and "encoder.4.weight" in state:
        return "ae"
    return None


def _sizes(state: dict, kind: str, meta: dict) -> dict:
    """Constructor sizes of ``kind``: the sidecar's when it has them, else inferred from the tensor shapes."""
    first, last = state.get("encoder.0.weight"), state.get(_LAST_ENCODER_KEY[kind])
    head = state.get("classifier.weight")
    conv = hasattr(ARCHITECTURES[kind], "from_sizes")
    sizes = {"input_shape": (1, 64, 64) if conv else (784,), "latent_dim": default_latent_dim(kind),
             "num_classes": 10 if trains_head(kind) else 0}
    if first is not None and first.ndim == (4 if conv else 2):
        sizes["input_shape"] = (int(first.shape[1]), 64, 64) if conv else (int(first.shape[1]),)
    if last is not None and last.ndim == 2:
        sizes["latent_dim"] = int(last.shape[0])
    if head is not None and head.ndim == 2:
        sizes["num_classes"] = int(head.shape[0])
    arch = meta.get("architecture", {})
    if arch.get("kind") == kind:
        if isinstance(arch.get("input_shape"), list):
            sizes["input_shape"] = tuple(arch["input_shape"])
        elif isinstance(arch.get("input_dim"), int) and not conv:
            sizes["input_shape"] = (arch["input_dim"],)
        sizes.update({k: arch[k] for k in ("latent_dim", "num_classes") if isinstance(arch.get(k), int)})
    return sizes


def _fit_prefix(model: nn.Module, state: dict) -> dict:
    """``state``, or its keys without a shared ``model.``/``module.`` prefix when those are the model's keys."""
    expected = set(model.state_dict())
    if set(state) == expected:
        return state
    bare = strip_prefix(state)
    return bare if bare is not None and set(bare) == expected else state


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


def _few(keys: list[str]) -> str:
    return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
