"""A model as latentnav uses it: :class:`LoadedModel` adapts any autoencoder to flat ``encode``/``decode``/``classify``.

A model is anything with ``encode(x)``/``decode(z)`` methods or ``.encoder``/``.decoder`` modules. ``encode`` may
return a tensor, a tuple or list whose first element is the code (``(mu, logvar)``), a dict or an object with
``mu``, ``z`` or ``embedding``; ``decode`` a tensor, or a dict or object with ``reconstruction``, ``recon_x`` or
``x_hat``. Inputs are handed over in the model's own input shape; images come back flattened per image.
"""

import hashlib
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from latentnav.errors import LatentnavError

CODE_KEYS = ("mu", "z", "embedding")
IMAGE_KEYS = ("reconstruction", "recon_x", "x_hat")


def first_tensor(out, keys: tuple[str, ...], what: str) -> torch.Tensor:
    """The tensor inside a model output: itself, the first of a tuple/list, or the first of ``keys`` found."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    for key in keys:
        value = out.get(key) if isinstance(out, dict) else getattr(out, key, None)
        if isinstance(value, torch.Tensor):
            return value
    raise TypeError(f"the model's {what} returned a {type(out).__name__}; expected a tensor, a tuple whose first "
                    f"element is one, or a dict/object with one of {', '.join(keys)}")


@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode, with what is known about where it came from.

    Attributes
    ----------
    model : torch.nn.Module
    kind : str
        A built-in kind (``ae``, ``vae``, ``conv-ae``, ``conv-vae``), ``torchscript`` for a TorchScript archive
        used as it is, or the ``model_class`` of a user's model.
    input_dim, latent_dim, num_classes : int
        ``num_classes`` is 0 when the model has no classifier head.
    path : str
    sha256 : str
        Hash of the checkpoint file (the store records it to refuse mixing models).
    metadata : dict
        The sidecar's contents, or ``{}``.
    model_class : str or None
        The user's ``module:Class`` or ``file.py:Class`` it was built from (None for the built-in models).
    model_kwargs : dict
        The keyword arguments its constructor got.
    input_shape : tuple of int
        The shape of one input as the model takes it (``(input_dim,)`` for the flat models, ``(C, H, W)`` for
        convolutional ones); left empty, it is the model's ``input_shape`` attribute, else ``(input_dim,)``.
    """

    model: nn.Module
    kind: str
    input_dim: int
    latent_dim: int
    num_classes: int
    path: str
    sha256: str
    metadata: dict = field(default_factory=dict)
    model_class: str | None = None
    model_kwargs: dict = field(default_factory=dict)
    input_shape: tuple = ()

    def __post_init__(self):
        if not self.input_shape:
            object.__setattr__(self, "input_shape", default_input_shape(self.model, self.input_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic latent codes (n, L) of inputs (n, input_dim) or (n, *input_shape).

        Flat inputs are reshaped to the model's ``input_shape`` (e.g. (n, C*H*W) -> (n, C, H, W)).
        """
        m = self.model
        if self.input_shape and tuple(x.shape[1:]) != tuple(self.input_shape):
            x = x.reshape(len(x), *self.input_shape)
        out = m.encode(x) if hasattr(m, "encode") else m.encoder(x)
        return first_tensor(out, CODE_KEYS, "encoder").reshape(len(x), -1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoded images (..., P) of codes (..., L), flattened per image."""
        m = self.model
        flat = z.reshape(-1, z.shape[-1])
        out = first_tensor(m.decode(flat) if hasattr(m, "decode") else m.decoder(flat), IMAGE_KEYS, "decoder")
        return out.reshape(*z.shape[:-1], -1)

    def decoded_shape(self) -> tuple[int, ...]:
        """The shape of one decoded image as the decoder returns it (e.g. ``(784,)`` or ``(3, 64, 64)``)."""
        m = self.model
        with torch.no_grad():
            z = torch.zeros(1, self.latent_dim, device=module_device(m))
            out = first_tensor(m.decode(z) if hasattr(m, "decode") else m.decoder(z), IMAGE_KEYS, "decoder")
        return tuple(out.shape[1:])

    def classify(self, z: torch.Tensor) -> torch.Tensor | None:
        """Class logits (..., num_classes) of codes (..., L), or None without a head."""
        head = getattr(self.model, "classifier", None)
        return head(z) if head is not None else None

    def describe(self) -> dict:
        """JSON-ready description: kind, sizes, path and sha256."""
        return {
            "kind": self.kind, "input_dim": self.input_dim, "latent_dim": self.latent_dim,
            "num_classes": self.num_classes, "checkpoint": self.path, "sha256": self.sha256,
        }


def module_device(model) -> torch.device:
    """Where ``model``'s parameters are (the CPU for a model without parameters)."""
    parameter = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return parameter.device if parameter is not None else torch.device("cpu")


def probe_latent_dim(model: nn.Module, input_shape) -> int:
    """Latent size L of ``model``: the width of its code for one zero input of ``input_shape`` (an int or a shape)."""
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    with torch.no_grad():
        x = torch.zeros(1, *shape, device=module_device(model))
        out = model.encode(x) if hasattr(model, "encode") else model.encoder(x)
    return int(first_tensor(out, CODE_KEYS, "encoder").reshape(1, -1).shape[1])


def default_input_shape(model, input_dim: int | None = None) -> tuple[int, ...]:
    """The shape of one input ``model`` says it takes: its ``input_shape``, else ``(input_dim,)``, else ``(784,)``.

    ``input_dim`` (when given) comes before the model's own ``input_dim`` attribute.
    """
    shape = _as_shape(getattr(model, "input_shape", None))
    if shape:
        return shape
    dim = input_dim if input_dim else getattr(model, "input_dim", None)
    return (int(dim),) if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 else (784,)


def probe_model(model: nn.Module, input_shape=None) -> tuple[tuple[int, ...], int]:
    """The input shape ``model`` accepts and its latent size L, by encoding one zero input.

    Parameters
    ----------
    model : torch.nn.Module
        With ``encode`` or ``encoder``.
    input_shape : tuple of int, optional
        One input's shape as the data has it, e.g. a dataset's ``(C, H, W)``. Zeros of shape (1, *input_shape) are
        tried first, then, when that fails, the flat (1, prod(input_shape)). Without it: the model's
        ``input_shape`` / ``input_dim`` attributes, else ``(784,)``.

    Returns
    -------
    shape : tuple of int
        The shape that worked (recorded as :attr:`LoadedModel.input_shape`).
    latent_dim : int

    Raises
    ------
    LatentnavError
        When no candidate shape can be encoded (the error's type and first line are named).
    """
    given = _as_shape(input_shape)
    if input_shape is not None and not given:
        raise LatentnavError(f"input_shape must be a tuple of positive ints such as (1, 64, 64), got {input_shape!r}")
    shapes = [given or default_input_shape(model)]
    if len(shapes[0]) > 1:
        shapes.append((math.prod(shapes[0]),))
    errors = []
    for shape in shapes:
        try:
            return shape, probe_latent_dim(model, shape)
        except Exception as exc:  # whatever a user's model raises for an input it does not take
            errors.append(f"{shape}: {type(exc).__name__}: {_first_line(exc)}")
    raise LatentnavError(f"cannot encode an input of shape {' or '.join(str(s) for s in shapes)} with "
                         f"{type(model).__name__} ({'; '.join(errors)}); pass the shape one input has for the model "
                         f"(input_shape, e.g. the dataset's (C, H, W))")


def head_size(model) -> int:
    """Classes of ``model.classifier`` (an ``nn.Linear``, also inside TorchScript), 0 without a head."""
    head = getattr(model, "classifier", None)
    if isinstance(head, nn.Linear):
        return int(head.out_features)
    if head is not None and getattr(head, "original_name", None) == "Linear":
        return int(head.out_features)
    return 0


def wrap_module(model: nn.Module, input_shape: tuple) -> LoadedModel:
    """An in-memory module (a notebook's model) as a :class:`LoadedModel`; it is put in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        With ``encode``/``decode`` methods or ``encoder``/``decoder`` modules.
    input_shape : tuple of int
        The shape of one input as the data has it, e.g. ``(784,)`` or ``(1, 64, 64)``; when the model does not
        take that shape but its flat version, the flat one is recorded (see :func:`probe_model`).
    """
    if isinstance(model, LoadedModel):
        return model
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for method, attr in (("encode", "encoder"), ("decode", "decoder")):
        if not hasattr(model, method) and not hasattr(model, attr):
            raise TypeError(f"{type(model).__name__} has neither a {method}() method nor a {attr} module")
    model.eval()
    digest = hashlib.sha256()
    for key, tensor in model.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    shape, latent_dim = probe_model(model, tuple(int(s) for s in input_shape))
    return LoadedModel(model=model, kind=type(model).__name__, input_dim=math.prod(shape), latent_dim=latent_dim,
                       num_classes=head_size(model), path="<memory>", sha256=digest.hexdigest(), input_shape=shape)


def _as_shape(value) -> tuple[int, ...]:
    """``value`` as a shape of positive ints (an int is a 1-d shape), or ``()`` when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, torch.Size):
        value = tuple(value)
    if not isinstance(value, (tuple, list)) or not value:
        return ()
    try:
        shape = tuple(int(s) for s in value)
    except (TypeError, ValueError):
        return ()
    return shape if all(s > 0 and s == v for s, v in zip(shape, value)) else ()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
