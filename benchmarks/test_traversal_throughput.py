"""Traversal throughput, as ratios measured in one run (2-core CPU targets of the traversal issue).

- engine end to end (decode + uint8 + zarr write) vs the article's batch-1 loop, per image: >= 6x
- engine decode alone vs the article's loop: >= 15x
- end to end vs the decode-only limit (batched decode, no I/O, all cores): >= 0.4x (aim 0.6x)

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


def test_end_to_end_vs_decode_limit(benchmark, trained_ckpt, tmp_path, real_run):
    model = load_checkpoint(trained_ckpt)
    data = tiled_digits(2048 if real_run else 16)
    z = model.encode(torch.from_numpy(data.inputs)).detach()
    torch.set_num_threads(torch.get_num_threads())

    def decode_only():
        for start in range(0, len(z), 256):
            traverse_chunk(model.decode, z[start:start + 256], VALUES, DIMS)

    limit = best_time(decode_only, 3 if real_run else 1)
    counter = iter(range(10**6))
    result = benchmark.pedantic(lambda: _engine_end_to_end(model, data, tmp_path / f"r{next(counter)}.zarr"),
                                rounds=3 if real_run else 1, iterations=1)
    engine = benchmark.stats.stats.min if benchmark.stats else limit
    benchmark.extra_info["decode_limit_images_per_s"] = round(result.n_images / limit)
    benchmark.extra_info["end_to_end_images_per_s"] = round(result.n_images / engine)
    benchmark.extra_info["compression_ratio"] = round(result.compression_ratio, 3)
    _record(benchmark, "end to end / decode-only limit", limit / engine, 0.4, real_run)
