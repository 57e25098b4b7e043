"""The article's traversal loop, kept faithful as the baseline: one decode per input, dimension and value."""

import numpy as np
import torch


def article_traversal(model, x: torch.Tensor, values=np.linspace(-3, 3, 10)) -> list:
    """Traverse every dimension of every input of ``x`` (n, 784) the article's way; return the images.

    As in the article: encode one input (batch of one), then for each dimension and each value clone the
    code, set ``z_new[0, dim] = val``, decode, and keep the image as a numpy array.
    """
    images = []
    model.eval()
    with torch.no_grad():
        for i in range(x.shape[0]):
            z, _, _ = model(x[i:i + 1])
            for dim in range(z.shape[1]):
                for val in values:
                    z_new = z.clone()
                    z_new[0, dim] = val
                    img = model.decoder(z_new).view(28, 28).cpu().numpy()
                    images.append(img)
    return images
