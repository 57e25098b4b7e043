"""Traversal throughput, as ratios measured in one run (2-core CPU targets of the traversal issue).

- engine end to end (decode + uint8 + zarr write) vs the article's batch-1 loop, per image: >= 6x
- engine decode alone vs the article's loop: >= 15x

End to end vs decode-only, per codec and decoder, is ``benchmarks/test_store_throughput.py``.

Each test records its ratio and target in ``extra_info`` (read by ``python -m benchmarks.guard``) and,
when timings count, asserts the target.
"""

import numpy as np
import torch

from benchmarks.article_loop import article_traversal
from benchmarks.conftest import best_time, tiled_digits
from latentnav.traversal.batched import traverse_chunk
from latentnav.jobs.traverse import TraverseConfig, traverse_dataset
from latentnav import load_checkpoint

VALUES = torch.tensor(np.tile(np.linspace(-3, 3, 10), (16, 1)), dtype=torch.float32)
DIMS = torch.arange(16)


def _record(benchmark, name, ratio, target, real_run):
    benchmark.extra_info.update({"ratio_name": name, "ratio": round(ratio, 3), "target": target})
    print(f"\n{name}: {ratio:.2f}x (target >= {target}x)")
    if real_run:
        assert ratio >= target, f"{name} is {ratio:.2f}x, below the target {target}x"


def _engine_end_to_end(model, data, path):
    return traverse_dataset(model, data, path, TraverseConfig(effects=False), overwrite=True, progress=False)


def test_end_to_end_vs_article_loop(benchmark, trained_ckpt, tmp_path, real_run):
    model = load_checkpoint(trained_ckpt)
    data = tiled_digits(256 if real_run else 4)
    x = torch.from_numpy(data.inputs)
    article = best_time(lambda: article_traversal(model.model, x), 2 if real_run else 1)
    counter = iter(range(10**6))
    result = benchmark.pedantic(lambda: _engine_end_to_end(model, data, tmp_path / f"r{next(counter)}.zarr"),
                                rounds=5 if real_run else 1, iterations=1)
    engine = benchmark.stats.stats.min if benchmark.stats else best_time(
        lambda: _engine_end_to_end(model, data, tmp_path / "again.zarr"), 1)
    benchmark.extra_info["images"] = result.n_images
    benchmark.extra_info["article_images_per_s"] = round(result.n_images / article)
    benchmark.extra_info["engine_images_per_s"] = round(result.n_images / engine)
    _record(benchmark, "end-to-end engine / article loop", article / engine, 6.0, real_run)


def test_decode_vs_article_loop(benchmark, trained_ckpt, real_run):
    model = load_checkpoint(trained_ckpt)
    data = tiled_digits(64 if real_run else 4)
    x = torch.from_numpy(data.inputs)
    z = model.encode(x).detach()
    article = best_time(lambda: article_traversal(model.model, x), 3 if real_run else 1)
    benchmark.pedantic(lambda: traverse_chunk(model.decode, z, VALUES, DIMS), rounds=20 if real_run else 1)
    engine = benchmark.stats.stats.min if benchmark.stats else best_time(lambda: traverse_chunk(model.decode, z, VALUES, DIMS), 1)
    _record(benchmark, "decode engine / article loop", article / engine, 15.0, real_run)
