"""Decoders whose traversal roles are known by construction (used by the roles and report tests).

Latent dimensions of :class:`ToyModel`:

- 0 blends template A (a vertical bar, class 0) into template B (a ring, class 1): ``identity`` "0→1"
  when traversed from -3 to 3;
- 1 shears the image (x moves by ``0.08 * z1`` px per row): ``stroke/rotation``, class kept;
- 2 has zero decoder weight: ``no effect`` for every input.

The encoder reads dimension 0 back from the image (B-likeness minus A-likeness), the head classifies by its sign.
"""

import numpy as np
import torch
from torch import nn

from latentnav.models.loaded import LoadedModel
from latentnav.data.datasets import Dataset

SIZE = 28


def templates() -> tuple[torch.Tensor, torch.Tensor]:
    yy, xx = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32),
                            indexing="ij")
    bar = ((xx - 13.5).abs() <= 2) & ((yy - 13.5).abs() <= 9)
    radius = ((xx - 13.5) ** 2 + (yy - 13.5) ** 2).sqrt()
    ring = (radius >= 6) & (radius <= 9)
    return bar.float(), ring.float()


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        a, b = templates()
        self.register_buffer("a", a)
        self.register_buffer("b", b)
        self.classifier = nn.Linear(3, 2)
        with torch.no_grad():
            self.classifier.weight.copy_(torch.tensor([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
            self.classifier.bias.zero_()
        self.input_dim, self.latent_dim, self.num_classes = SIZE * SIZE, 3, 2

    def encode(self, x):
        img = x.view(-1, SIZE, SIZE)
        sa = (img * self.a).sum(dim=(1, 2)) / self.a.sum()
        sb = (img * self.b).sum(dim=(1, 2)) / self.b.sum()
        s = 8.0 * (sb - sa)
        return torch.stack([s, torch.zeros_like(s), torch.zeros_like(s)], dim=1)

    def decode(self, z):
        t = torch.sigmoid(z[:, 0]).view(-1, 1, 1)
        img = (1 - t) * self.a + t * self.b  # (n, 28, 28)
        shift = (0.08 * z[:, 1:2] * (torch.arange(SIZE, dtype=z.dtype) - 13.5)).round().long()  # (n, 28) per row
        cols = (torch.arange(SIZE).view(1, 1, SIZE) - shift.view(-1, SIZE, 1)).clamp(0, SIZE - 1)
        sheared = torch.gather(img, 2, cols)
        return sheared.reshape(-1, SIZE * SIZE)


def toy_loaded_model() -> LoadedModel:
    return LoadedModel(model=ToyModel().eval(), kind="toy", input_dim=SIZE * SIZE, latent_dim=3, num_classes=2,
                       path="<toy>", sha256="toy" * 16)


def toy_dataset(n: int = 12) -> Dataset:
    """Inputs between A and B (t from 0.1 to 0.9): labels by the nearer template."""
    a, b = templates()
    t = torch.linspace(0.1, 0.9, n).view(-1, 1, 1)
    images = ((1 - t) * a + t * b).reshape(n, -1).numpy().astype(np.float32)
    return Dataset("toy", "test", images, (t.view(-1) > 0.5).long().numpy())
