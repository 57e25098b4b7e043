"""A model as latentnav uses it: :class:`LoadedModel` adapts any autoencoder to flat ``encode``/``decode``/``classify``.

A model is anything with ``encode(x)``/``decode(z)`` methods or ``.encoder``/``.decoder`` modules. ``encode`` may
return a tensor, a tuple or list whose first element is the code (``(mu, logvar)``), a dict or an object with
``mu``, ``z`` or ``embedding``; ``decode`` a tensor, or a dict or object with ``reconstruction``, ``recon_x`` or
``x_hat``. Inputs are handed over in the model's own input shape; images come back flattened per image.
"""

import hashlib
from dataclasses import dataclass, field

import torch
from torch import nn

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
        ``ae``, ``vae`` or the ``model_class`` of a user's model.
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
        The shape of one input as the model takes it (``(input_dim,)`` for the flat models).
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

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic latent codes (n, L) of inputs (n, input_dim) (reshaped to the model's input shape)."""
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


def wrap_module(model: nn.Module, input_shape: tuple) -> LoadedModel:
    """An in-memory module (a notebook's model) as a :class:`LoadedModel`; it is put in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        With ``encode``/``decode`` methods or ``encoder``/``decoder`` modules.
    input_shape : tuple of int
        The shape of one input as the model takes it, e.g. ``(784,)`` or ``(1, 64, 64)``.
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
    head = getattr(model, "classifier", None)
    input_dim = 1
    for size in input_shape:
        input_dim *= int(size)
    return LoadedModel(model=model, kind=type(model).__name__, input_dim=input_dim,
                       latent_dim=probe_latent_dim(model, input_shape),
                       num_classes=int(head.out_features) if isinstance(head, nn.Linear) else 0,
                       path="<memory>", sha256=digest.hexdigest(), input_shape=tuple(int(s) for s in input_shape))
