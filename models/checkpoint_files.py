"""Reading checkpoint files safely: a ``torch.save`` file of tensors, a TorchScript archive, a safetensors file.

No format runs pickled Python code:

- **safetensors** (recognised by its header: an 8-byte little-endian length, then a JSON object) is read with
  ``safetensors.torch.load_file``: a JSON header and raw tensor bytes, no code at all;
- **TorchScript** (a zip whose entries include ``constants.pkl`` or ``code/``; also when ``torch.load`` says the
  file is one) is read with ``torch.jit.load``, whose C++ unpickler rebuilds only tensors, primitives and the
  archive's own TorchScript classes, never Python objects; the archive's code is TorchScript, run by TorchScript's
  interpreter (no Python imports or builtins), and only when the model is used;
- anything else goes to ``torch.load(..., weights_only=True)``, which refuses class and function references.

The result is checked before use: string keys, dense floating-point tensors (integer tensors only for BatchNorm's
``num_batches_tracked``), no NaN or Inf. A dict holding the weights under ``state_dict``, ``model_state_dict`` or
``model`` (Lightning, pythae, common training loops) is unwrapped.
"""

import hashlib
import pickle
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from latentnav.errors import LatentnavError

STATE_KEYS = ("state_dict", "model_state_dict", "model")
PREFIXES = ("model.", "module.")  # Lightning's ``self.model``, DataParallel's ``module``
INTEGER_KEYS = ("num_batches_tracked",)


@dataclass(frozen=True)
class CheckpointFile:
    """What a checkpoint file holds.

    Attributes
    ----------
    state : dict of str to torch.Tensor
        The checked state_dict (for TorchScript: the scripted module's).
    scripted : torch.jit.ScriptModule or None
        The module of a TorchScript archive, else None.
    format : str
        ``torch``, ``torchscript`` or ``safetensors``.
    """

    state: dict
    scripted: torch.nn.Module | None
    format: str


def read_checkpoint(path: Path) -> CheckpointFile:
    """Read and check the checkpoint at ``path`` (an existing file); see the module docstring.

    Raises
    ------
    LatentnavError
        Not a checkpoint, a refused pickle, or weights that fail the checks (the key is named).
    """
    if _is_safetensors(path):
        return CheckpointFile(check_state_dict(_load_safetensors(path), path), None, "safetensors")
    if _is_torchscript(path):
        return _torchscript(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" in str(exc):  # the weights_only unpickler met a class or function reference
            raise LatentnavError(
                f"refused to load {path}: it holds Python objects that could run code, and checkpoints are loaded "
                f"with weights_only=True; save only tensors with torch.save(model.state_dict(), path)"
            ) from None
        raise _not_a_checkpoint(path, exc) from None
    except RuntimeError as exc:
        if "TorchScript" in str(exc):  # torch.load recognised an archive that our zip check did not
            return _torchscript(path)
        raise _not_a_checkpoint(path, exc) from None
    except Exception as exc:  # EOFError, zipfile errors ... for garbage
        raise _not_a_checkpoint(path, exc) from None
    return CheckpointFile(check_state_dict(unwrap_state(obj, path), path), None, "torch")


def unwrap_state(obj, path: Path) -> Mapping:
    """The state_dict inside ``obj``: itself, or its ``state_dict`` / ``model_state_dict`` / ``model`` entry."""
    if isinstance(obj, Mapping) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        for key in STATE_KEYS:
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                return inner
    if not isinstance(obj, Mapping):
        raise LatentnavError(f"{path} holds a {type(obj).__name__}, not a state_dict of tensors; save it with "
                             f"torch.save(model.state_dict(), path)")
    return obj


def check_state_dict(state: Mapping, path: Path) -> dict:
    """``state`` as a dict after the checks of the module docstring; a LatentnavError naming the first bad key."""
    if not state:
        raise LatentnavError(f"{path} holds an empty state_dict; save the weights with torch.save(model.state_dict(), path)")
    for key, value in state.items():
        if not isinstance(key, str):
            raise LatentnavError(f"{path} is not a state_dict: key {key!r} ({type(key).__name__}) is not a string; "
                                 f"expected parameter names such as 'encoder.0.weight'")
        if not isinstance(value, torch.Tensor):
            raise LatentnavError(f"{path} is not a state_dict of tensors: {key!r} holds a {type(value).__name__}, "
                                 f"expected a torch.Tensor; save it with torch.save(model.state_dict(), path)")
        if value.layout != torch.strided:
            raise LatentnavError(f"{path} holds a sparse tensor ({value.layout}) in {key!r}; expected dense weights: "
                                 f"save tensor.to_dense()")
        if value.is_meta:
            raise LatentnavError(f"{path} holds a meta tensor without data in {key!r}; save the materialised weights")
        if value.is_floating_point():
            if not bool(torch.isfinite(value).all()):
                raise LatentnavError(f"checkpoint {path} has NaN or Inf in {key}; the training diverged or the "
                                     f"file is damaged, use an earlier checkpoint")
        elif not (key.endswith(INTEGER_KEYS) and not value.is_complex() and value.dtype != torch.bool):
            raise LatentnavError(f"{path} has {value.dtype} values in {key!r}; expected a floating-point tensor "
                                 f"(integer tensors are allowed only for BatchNorm's num_batches_tracked)")
    return dict(state)


def strip_prefix(state: dict) -> dict | None:
    """``state`` without the ``model.`` (or ``module.``) prefix that all its keys share, or None when they do not."""
    for prefix in PREFIXES:
        if all(key.startswith(prefix) for key in state):
            return {key[len(prefix):]: value for key, value in state.items()}
    return None


def _is_safetensors(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(9)
    if len(head) < 9 or head[8:9] != b"{":
        return False
    return 2 <= int.from_bytes(head[:8], "little") <= path.stat().st_size - 8


def _load_safetensors(path: Path) -> dict:
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except Exception as exc:  # SafetensorError, or a header that only looked like one
        raise LatentnavError(f"{path} is not a PyTorch checkpoint: it starts like a safetensors file but cannot be "
                             f"read ({first_line(exc)})") from None


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(name.endswith("/constants.pkl") or "/code/" in name for name in names)


def _torchscript(path: Path) -> CheckpointFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated in favour of torch.export
            module = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:
        raise LatentnavError(f"{path} looks like a TorchScript archive but torch.jit.load cannot read it "
                             f"({type(exc).__name__}: {first_line(exc)})") from None
    return CheckpointFile(check_state_dict(dict(module.state_dict()), path), module, "torchscript")


def _not_a_checkpoint(path: Path, exc: BaseException) -> LatentnavError:
    return LatentnavError(f"{path} is not a PyTorch checkpoint ({first_line(exc)}); pass a file written by "
                          f"torch.save, torch.jit.save or safetensors")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (at most 200 characters), or its type's name."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
