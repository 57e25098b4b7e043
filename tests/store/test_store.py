"""The zarr store: layout v1 readable by plain zarr, chunk-size independence, resume, identity checks."""

import shutil

import numpy as np
import pytest
import torch
import zarr

from latentnav.traversal.grid import GridConfig
from latentnav.jobs.traverse import TraverseConfig, run_traverse
from latentnav import LatentnavError, load_checkpoint, load_dataset
from latentnav.store.traversal_store import TraversalStore


def _traverse(ckpt, out, **kwargs):
    options = {k: kwargs.pop(k) for k in ("overwrite",) if k in kwargs}
    return run_traverse(ckpt, "digits", out, TraverseConfig(**kwargs), device="cpu", progress=False, **options)


def _arrays(path):
    g = zarr.open_group(str(path), mode="r")
    return {name: g[name][...] for name in ("input", "latent", "dim", "step", "value", "latents", "labels", "reconstructions", "images", "done")}


def test_layout_readable_with_plain_zarr(digits_ckpt, tmp_path):
    result = _traverse(digits_ckpt, tmp_path / "run.zarr", limit=20, chunk_size=8)
    assert (result.n_inputs, result.n_images, result.chunks_computed) == (20, 20 * 16 * 10, 3)
    g = zarr.open_group(str(tmp_path / "run.zarr"), mode="r")
    assert g.attrs["latentnav_layout"] == 3 and g.attrs["complete"] is True and g.attrs["chunk_size"] == 8
    expect = {
        "input": ((20,), "int64", ("input",)),
        "latent": ((16,), "int64", ("latent",)),
        "dim": ((16,), "int64", ("dim",)),
        "step": ((10,), "int64", ("step",)),
        "value": ((16, 10), "float32", ("dim", "step")),
        "latents": ((20, 16), "float32", ("input", "latent")),
        "labels": ((20,), "int64", ("input",)),
        "reconstructions": ((20, 1, 28, 28), "uint8", ("input", "channel", "y", "x")),
        "images": ((20, 16, 10, 1, 28, 28), "uint8", ("input", "dim", "step", "channel", "y", "x")),
        "done": ((3,), "bool", ("chunk",)),
    }
    for name, (shape, dtype, dims) in expect.items():
        arr = g[name]
        assert arr.shape == shape and str(arr.dtype) == dtype and tuple(arr.metadata.dimension_names) == dims, name
    assert g["images"].chunks == (8, 16, 10, 1, 28, 28)
    assert g["images"].attrs["scale_factor"] == 1 / 255 and g["images"].attrs["coordinates"] == "value"
    data = load_dataset("digits", "test")
    np.testing.assert_array_equal(g["labels"][:], data.labels[:20])
    np.testing.assert_array_equal(g["input"][:], np.arange(20))
    np.testing.assert_array_equal(g["value"][:], np.tile(np.linspace(-3, 3, 10).astype(np.float32), (16, 1)))
    # the stored images are the model's decode of the stored latents with z[d] := value
    model = load_checkpoint(digits_ckpt)
    z = torch.from_numpy(g["latents"][3:4]).clone()
    z[0, 5] = float(g["value"][5, 2])
    with torch.no_grad():
        expected = torch.round(model.decode(z) * 255).view(1, 28, 28).numpy()
    assert np.abs(g["images"][3, 5, 2].astype(int) - expected.astype(int)).max() <= 1
    with torch.no_grad():
        recon = torch.round(model.decode(torch.from_numpy(g["latents"][:]).float()) * 255).view(-1, 1, 28, 28).numpy()
    assert np.abs(g["reconstructions"][:].astype(int) - recon.astype(int)).max() <= 1


def test_results_do_not_depend_on_chunk_size(digits_ckpt, tmp_path):
    _traverse(digits_ckpt, tmp_path / "a.zarr", limit=23, chunk_size=23)
    _traverse(digits_ckpt, tmp_path / "b.zarr", limit=23, chunk_size=4)
    a, b = _arrays(tmp_path / "a.zarr"), _arrays(tmp_path / "b.zarr")
    for name in ("input", "latents", "labels", "value", "reconstructions", "images"):
        assert np.array_equal(a[name], b[name]), name


def test_float32_dtype_and_dims_subset(digits_ckpt, tmp_path):
    _traverse(digits_ckpt, tmp_path / "f.zarr", inputs=(12, 19), dims=(7, 3), dtype="float32")
    _traverse(digits_ckpt, tmp_path / "u.zarr", inputs=(12, 19))
    f, u = _arrays(tmp_path / "f.zarr"), _arrays(tmp_path / "u.zarr")
    assert f["images"].shape == (2, 2, 10, 1, 28, 28) and f["images"].dtype == np.float32
    np.testing.assert_array_equal(f["input"], [12, 19])
    np.testing.assert_array_equal(f["dim"], [7, 3])
    np.testing.assert_array_equal(f["value"], u["value"][[7, 3]])
    np.testing.assert_array_equal(np.round(f["images"] * 255).astype(np.uint8), u["images"][:, [7, 3]])


def test_resume_recomputes_only_unfinished_chunks(digits_ckpt, tmp_path):
    path = tmp_path / "run.zarr"
    _traverse(digits_ckpt, path, limit=30, chunk_size=8)
    before = _arrays(path)
    g = zarr.open_group(str(path), mode="r+")
    g["done"][1] = False
    g["images"][8:16] = 0  # as if chunk 1 had never been written
    g.attrs["complete"] = False
    result = _traverse(digits_ckpt, path, limit=30, chunk_size=8)
    assert result.resumed and result.chunks_computed == 1 and result.images_computed == 8 * 160
    after = _arrays(path)
    for name, value in before.items():
        assert np.array_equal(value, after[name]), name
    assert _traverse(digits_ckpt, path, limit=30, chunk_size=8).chunks_computed == 0


def test_store_of_another_config_is_refused_and_untouched(digits_ckpt, tmp_path):
    path = tmp_path / "run.zarr"
    _traverse(digits_ckpt, path, limit=10)
    before = _arrays(path)
    with pytest.raises(LatentnavError, match=r"another configuration \(grid.steps: 10 vs 5"):
        run_traverse(digits_ckpt, "digits", path, TraverseConfig(limit=10, grid=GridConfig(steps=5)), progress=False)
    after = _arrays(path)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    result = run_traverse(digits_ckpt, "digits", path, TraverseConfig(limit=10, grid=GridConfig(steps=5)),
                          progress=False, overwrite=True)
    assert not result.resumed and _arrays(path)["images"].shape == (10, 16, 5, 1, 28, 28)


def test_out_paths_that_are_not_stores_are_never_touched(digits_ckpt, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    with pytest.raises(LatentnavError, match="is a file"):
        _traverse(digits_ckpt, target, limit=2, overwrite=True)
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_text("x")
    with pytest.raises(LatentnavError, match="not a latentnav store"):
        _traverse(digits_ckpt, folder, limit=2, overwrite=True)
    assert target.read_text() == "mine" and (folder / "a.jpg").read_text() == "x"


def test_open_refuses_non_stores(tmp_path):
    with pytest.raises(LatentnavError, match="does not exist"):
        TraversalStore.open(tmp_path / "nothing.zarr")
    zarr.open_group(str(tmp_path / "other.zarr"), mode="w")
    with pytest.raises(LatentnavError, match="not a latentnav traversal store"):
        TraversalStore.open(tmp_path / "other.zarr")


def test_partial_files_of_a_killed_writer_are_removed_on_resume(digits_ckpt, tmp_path):
    path = tmp_path / "run.zarr"
    _traverse(digits_ckpt, path, limit=8, chunk_size=4)
    stray = path / "images" / "c" / "1" / "0" / "0" / "0" / "0.abc.partial"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"half a chunk")
    _traverse(digits_ckpt, path, limit=8, chunk_size=4)
    assert not stray.exists()
    shutil.rmtree(path)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_run_matches_cpu_run(digits_ckpt, tmp_path):
    run_traverse(digits_ckpt, "digits", tmp_path / "cpu.zarr", TraverseConfig(limit=16), device="cpu", progress=False)
    result = run_traverse(digits_ckpt, "digits", tmp_path / "gpu.zarr", TraverseConfig(limit=16), device="cuda",
                          progress=False)
    assert result.device.startswith("cuda")
    a, b = _arrays(tmp_path / "cpu.zarr"), _arrays(tmp_path / "gpu.zarr")
    assert np.abs(a["images"].astype(int) - b["images"].astype(int)).max() <= 1
