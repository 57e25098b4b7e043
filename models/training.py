"""Training of the built-in models (:data:`latentnav.models.checkpoint.ARCHITECTURES`) and their test metrics.

Loss per batch (means over the batch)::

    BCE(recon, x) / D  [+ CE(logits, y)   with a head]  [+ beta * KL(q(z|x) || N(0, I)) / D   for the VAEs]

with D = C*H*W and BCE summed over pixels (a Bernoulli likelihood): the reconstruction term is the article's
per-pixel mean BCE, and the VAE term is the beta-VAE objective (BCE_sum + beta * KL) on the same per-pixel scale.
The flat models (``ae``, ``vae``) always train their classifier head; the conv models (``conv-ae``, ``conv-vae``)
train without one and take the images as (n, C, 64, 64).

Images in memory (the built-in datasets) are trained on as one tensor. A file dataset's images
(:class:`~latentnav.data.images.LazyImages`) are loaded whole when they take at most :data:`IN_MEMORY_BYTES` as
float32, else read from the file batch by batch (in the same seeded order, so the result is the same).
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

import numpy as np

from latentnav.data.datasets import Dataset, check_dataset_name
from latentnav.errors import ParameterError
from latentnav.models.checkpoint import ARCHITECTURES, build_model, default_latent_dim, trains_head
from latentnav.models.vae import kl_divergence
from latentnav.progress import bar_options

IN_MEMORY_BYTES = 2 * 2**30


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; validated on construction.

    The defaults reach >= 90 % test accuracy on ``digits`` in well under a minute on 2 CPU cores.
    ``latent_dim`` None (the default) becomes the model's default: 16 for ``ae``/``vae``, 10 for the conv models.
    ``limit`` (the first N) or ``sample`` (a subset drawn with ``seed``) selects the inputs of the train and the
    test split (None: all of them).
    """

    dataset: str = "digits"
    model: str = "ae"
    latent_dim: int | None = None
    epochs: int = 80
    batch_size: int = 64
    lr: float = 2e-3
    beta: float = 4.0
    seed: int = 0
    limit: int | None = None
    sample: int | None = None

    def __post_init__(self):
        check_dataset_name(self.dataset)
        if self.limit is not None and self.sample is not None:
            raise ParameterError("limit", "and {sample} exclude each other; give one")
        for name in ("limit", "sample"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ParameterError(name, f"must be a whole number >= 1, got {getattr(self, name)!r}")
        if self.model not in ARCHITECTURES:
            raise ParameterError("model", f"is unknown; choose one of {', '.join(ARCHITECTURES)}", value=self.model)
        if self.latent_dim is None:
            object.__setattr__(self, "latent_dim", default_latent_dim(self.model))
        for name in ("latent_dim", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ParameterError(name, f"must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ParameterError("lr", f"must be > 0, got {self.lr}")
        if not self.beta >= 0:
            raise ParameterError("beta", f"must be >= 0, got {self.beta}")

    def to_dict(self) -> dict:
        """The settings; ``limit``/``sample`` only when set (so configs of earlier runs compare equal)."""
        out = asdict(self)
        return {k: v for k, v in out.items() if k not in ("limit", "sample") or v is not None}


def batch_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float) -> torch.Tensor:
    """Training loss (scalar) of a batch ``x`` (n, D) or (n, C, H, W), ``y`` (n,); see the module docstring."""
    if hasattr(model, "encode_distribution"):  # the VAEs
        mu, logvar = model.encode_distribution(x)
        z = model.sample(mu, logvar)
        extra = beta * kl_divergence(mu, logvar).mean() / x[0].numel()
    else:
        z, extra = model.encode(x), 0.0
    recon = model.decode(z)
    loss = F.binary_cross_entropy(recon.reshape(len(x), -1), x.reshape(len(x), -1))
    head = getattr(model, "classifier", None)
    if head is not None:
        loss = loss + F.cross_entropy(head(z), y)
    return loss + extra


def train_model(config: TrainConfig, train: Dataset, device: torch.device, progress: bool = True) -> torch.nn.Module:
    """Train a fresh model on ``train`` and return it in eval mode on the CPU.

    Parameters
    ----------
    config : TrainConfig
    train : Dataset
        ``inputs`` (N, C*H*W) in [0, 1], ``labels`` (N,), ``image_shape`` (C, H, W); the conv models need
        64x64 images and get each batch as (n, C, H, W).
    device : torch.device

    Deterministic for a seed on the CPU (weights and batch order both come from ``config.seed``).
    """
    torch.manual_seed(config.seed)
    image_shape = tuple(int(s) for s in train.image_shape)
    if math.prod(image_shape) != train.inputs.shape[1]:
        raise ParameterError("dataset", f"has inputs of {train.inputs.shape[1]} values per image, which is not its "
                                        f"image shape {image_shape}", value=train.name)
    num_classes = max(int(train.labels.max()) + 1, 2) if trains_head(config.model) else 0
    try:
        model = build_model(config.model, input_shape=image_shape, latent_dim=config.latent_dim,
                            num_classes=num_classes).to(device)
    except ParameterError as exc:
        raise ParameterError("model", f"does not fit dataset {train.name!r} ({exc})", value=config.model) from None
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    shape = tuple(getattr(model, "input_shape", (train.inputs.shape[1],)))
    x_all = _training_images(train, shape, device)
    y_all = torch.from_numpy(train.labels).to(device)
    order_rng = torch.Generator().manual_seed(config.seed)
    bar = tqdm(range(config.epochs), desc=f"train {config.model} on {config.dataset}", unit="epoch",
               **bar_options(progress))
    model.train()
    for _ in bar:
        order = torch.randperm(len(y_all), generator=order_rng).to(device)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            idx = order[start:start + config.batch_size]
            x = x_all[idx] if x_all is not None else _read_batch(train, idx, shape, device)
            loss = batch_loss(model, x, y_all[idx], config.beta)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        bar.set_postfix(loss=f"{total / len(order):.4f}")
    return model.eval().cpu()


def _training_images(train: Dataset, shape: tuple, device: torch.device) -> torch.Tensor | None:
    """All training images (N, *shape) as one tensor on ``device``, or None to read them batch by batch."""
    if isinstance(train.inputs, np.ndarray):
        x_all = torch.from_numpy(train.inputs).to(device)
    elif train.inputs.nbytes <= IN_MEMORY_BYTES:
        x_all = torch.from_numpy(np.ascontiguousarray(train.inputs[:])).to(device)
    else:
        return None
    return x_all.reshape(len(x_all), *shape)


def _read_batch(train: Dataset, idx: torch.Tensor, shape: tuple, device: torch.device) -> torch.Tensor:
    """Rows ``idx`` of a file dataset's images, read from the file, as (n, *shape) on ``device``."""
    x = torch.from_numpy(train.inputs[idx.cpu().numpy()])
    return x.reshape(len(x), *shape).to(device)


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: Dataset, batch_size: int = 1024) -> dict:
    """Test metrics of ``model`` (eval mode, CPU) on ``data``.

    Returns
    -------
    dict
        ``recon_bce`` (mean per-pixel BCE), ``recon_mse`` (mean per-pixel squared error),
        ``accuracy`` (head accuracy; None for a model without a head), ``n`` (inputs).
    """
    shape = tuple(getattr(model, "input_shape", data.inputs.shape[1:]))
    bce = mse = correct = 0.0
    has_head = True
    for start in range(0, len(data), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(data.inputs[start:start + batch_size]))
        y = torch.from_numpy(data.labels[start:start + batch_size])
        z, recon, logits = model(x.reshape(len(x), *shape))
        recon = recon.reshape(len(x), -1)
        bce += float(F.binary_cross_entropy(recon, x, reduction="sum")) / x.shape[1]
        mse += float(((recon - x) ** 2).mean(dim=1).sum())
        if logits is None:
            has_head = False
        else:
            correct += float((logits.argmax(dim=1) == y).sum())
    n = len(data)
    return {"recon_bce": bce / n, "recon_mse": mse / n, "accuracy": correct / n if has_head else None, "n": n}
