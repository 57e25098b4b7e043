"""End to end on files in the official formats: train -> traverse -> report -> dci, from the command line.

dSprites (1 channel), 3dshapes (3 channels) and an ``npz:`` file; a user's conv VAE in three checkpoint formats
traversed to exactly the images of a one-at-a-time loop over its decoder; every bad input is one error line.
"""

import json
import warnings

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

import latentnav
from conftest import assert_one_error_line
from dataset_files import (DSPRITES_NAME, DSPRITES_SIZES, SHAPES3D_SIZES, dsprites_arrays, shapes3d_arrays,
                           write_dataset_folder)
from latentnav.models.checkpoint import import_model_class
from user_model_sources import write_user_models

N_SHAPES3D = int(np.prod(SHAPES3D_SIZES))
TINY = ("--epochs", 1, "--batch-size", 32, "--limit", 32)  # one batch of the train split


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_dataset_folder(tmp_path_factory.mktemp("real"), mpi3d=False)


def _colour_share(png) -> float:
    """Share of the pixels of a PNG whose red and green differ by more than 40 (0 for a grey figure)."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.int64)
    return float((np.abs(rgb[..., 0] - rgb[..., 1]) > 40).mean())


def _encode(checkpoint, images_nchw):
    model = latentnav.load_checkpoint(checkpoint, input_shape=images_nchw.shape[1:])
    with torch.no_grad():
        return model.encode(torch.from_numpy(images_nchw)).numpy()


def test_dsprites_train_traverse_report_dci(cli, files, tmp_path):
    ckpt = tmp_path / "vae.pth"
    code, out, err = cli("train", "--dataset", "dsprites", "--data-dir", files, "--model", "conv-vae",
                         "--latent-dim", 4, *TINY, "--out", ckpt)
    assert code == 0, err
    assert "no classifier head" in out
    training = json.loads(ckpt.with_suffix(".json").read_text())["training"]
    assert training["train"]["n"] == 32 and training["config"]["limit"] == 32
    store = tmp_path / "run.zarr"
    code, out, err = cli("traverse", "--checkpoint", ckpt, "--dataset", "dsprites", "--data-dir", files,
                         "--split", "all", "--limit", 6, "--steps", 3, "--dims", "0,2", "--out", store)
    assert code == 0, err
    ds = latentnav.open_run(store)
    assert ds["images"].dims == ("input", "dim", "step", "channel", "y", "x")
    assert ds["images"].shape == (6, 2, 3, 1, 64, 64)
    np.testing.assert_array_equal(ds["input"].values, np.arange(6))  # --split all --limit 6: file indices 0..5
    imgs, classes, _ = dsprites_arrays()
    np.testing.assert_allclose(ds["latents"].values, _encode(ckpt, imgs[:6, None].astype(np.float32)), atol=1e-5)
    np.testing.assert_array_equal(ds["labels"].values, classes[:6, 1])  # shape
    assert ds.attrs["dataset_source"]["name"] == "dsprites" and ds.attrs["dataset_source"]["split"] == "all"
    code, out, err = cli("report", "--store", store, "--inputs", "1,4", "--out", tmp_path / "rep")
    assert code == 0, err
    grid = tmp_path / "rep" / "figures" / "grid_input1.png"
    assert grid.is_file() and _colour_share(grid) == 0.0  # grey data, grey figures
    code, out, err = cli("dci", "--checkpoint", ckpt, "--dataset", "dsprites", "--data-dir", files, "--split", "all",
                         "--factors", "all", "--json", tmp_path / "dci.json")
    assert code == 0, err
    assert "factor 'color' is constant" in err
    assert json.loads((tmp_path / "dci.json").read_text())["factor_names"] == [
        "shape", "scale", "orientation", "posX", "posY"]
    assert not (files / "unpickled.marker").exists()  # the file's pickled metadata was never unpickled


def test_shapes3d_three_channels_sample_and_test_split(cli, files, tmp_path):
    ckpt = tmp_path / "ae.pth"
    code, _, err = cli("train", "--dataset", "shapes3d", "--data-dir", files / "3dshapes.h5", "--model", "conv-ae",
                       *TINY, "--out", ckpt)
    assert code == 0, err
    store = tmp_path / "run.zarr"
    code, _, err = cli("traverse", "--checkpoint", ckpt, "--dataset", "shapes3d", "--data-dir", files,
                       "--sample", 5, "--seed", 2, "--steps", 3, "--dims", "1,3", "--out", store)
    assert code == 0, err
    ds = latentnav.open_run(store)
    assert ds["images"].shape == (5, 2, 3, 3, 64, 64) and ds["reconstructions"].shape == (5, 3, 64, 64)
    test = np.sort(np.random.RandomState(0).permutation(N_SHAPES3D)[:20])  # the seeded 80/20 test split
    expected = test[np.sort(np.random.default_rng(2).choice(20, size=5, replace=False))]
    np.testing.assert_array_equal(ds["input"].values, expected)
    with h5py.File(files / "3dshapes.h5", "r") as f:  # read independently of latentnav
        x = f["images"][np.sort(expected)].transpose(0, 3, 1, 2).astype(np.float32) / 255
    np.testing.assert_allclose(ds["latents"].values, _encode(ckpt, x), atol=1e-5)
    code, _, err = cli("report", "--store", store, "--inputs", f"{expected[0]},{expected[1]}", "--out", tmp_path / "r")
    assert code == 0, err
    assert (tmp_path / "r" / "figures" / f"grid_input{expected[0]}.png").is_file()
    code, _, err = cli("dci", "--checkpoint", ckpt, "--dataset", "shapes3d", "--data-dir", files, "--split", "all",
                       "--factors", "all", "--n-test", 0)
    assert code == 0, err


def test_npz_file_end_to_end(cli, files, tmp_path):
    dataset = f"npz:{files / 'colour.npz'}"
    ckpt = tmp_path / "ae.pth"
    code, _, err = cli("train", "--dataset", dataset, "--model", "conv-ae", *TINY, "--out", ckpt)
    assert code == 0, err
    store = tmp_path / "run.zarr"
    code, _, err = cli("traverse", "--checkpoint", ckpt, "--dataset", dataset, "--split", "all",
                       "--inputs", "3,40", "--steps", 2, "--dims", 0, "--out", store)
    assert code == 0, err
    ds = latentnav.open_run(store)
    np.testing.assert_array_equal(ds["input"].values, [3, 40])
    np.testing.assert_array_equal(ds["labels"].values, [0, 2])  # the file's labels
    assert ds["images"].shape == (2, 1, 2, 3, 64, 64)
    code, _, err = cli("report", "--store", store, "--inputs", "3,40", "--out", tmp_path / "rep")
    assert code == 0, err
    code, out, err = cli("dci", "--checkpoint", ckpt, "--dataset", dataset, "--split", "all", "--factors", "all")
    assert code == 0, err
    assert "row" in out and "col" in out
    code, _, err = cli("metrics", "--checkpoint", ckpt, "--dataset", dataset, "--split", "all", "--metrics", "mig",
                       "--sample", 40, "--json", tmp_path / "metrics.json")
    assert code == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["source"]["factors"] == ["row", "col"] and metrics["source"]["n_inputs"] == 40
    assert 0 <= metrics["metrics"]["mig"] <= 1


def _save_state_dict(model, path):
    torch.save({"model_state_dict": model.state_dict(), "epoch": 5}, path)


def _save_torchscript(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.save(torch.jit.script(model), str(path))


def _save_safetensors(model, path):
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))


def _article_loop(model, x, values, dims):
    """One decode per input, dimension and value, batch of one, as the article's loop; uint8 as the store does."""
    out = np.zeros((len(x), len(dims), values.shape[1], *x.shape[1:]), np.uint8)
    with torch.no_grad():
        for i in range(len(x)):
            mu, _ = model.encode(torch.from_numpy(x[i:i + 1]))
            for j, dim in enumerate(dims):
                for s, value in enumerate(values[j]):
                    z = mu.clone()
                    z[0, dim] = float(value)
                    image = model.decode(z)["recon_x"][0].numpy()
                    out[i, j, s] = np.clip(np.round(255 * image), 0, 255).astype(np.uint8)
    return out


@pytest.mark.parametrize("save, suffix", [(_save_state_dict, "pt"), (_save_torchscript, "pt"),
                                          (_save_safetensors, "safetensors")])
def test_users_conv_vae_traverses_to_the_one_at_a_time_loop(cli, files, tmp_path, save, suffix):
    spec = f"{write_user_models(tmp_path)}:UserConvVAE"
    torch.manual_seed(0)
    model = import_model_class(spec)(latent=4, channels=3).eval()
    with torch.no_grad():
        model.dec[-1].bias.copy_(torch.tensor([2.0, -2.0, 0.0]))  # red-ish images: a colour figure to check
    ckpt = tmp_path / f"user.{suffix}"
    save(model, ckpt)
    store = tmp_path / "run.zarr"
    code, _, err = cli("traverse", "--checkpoint", ckpt, "--model-class", spec,
                       "--model-kwargs", '{"latent": 4, "channels": 3}', "--dataset", "shapes3d", "--data-dir", files,
                       "--split", "all", "--inputs", "40,5,77", "--steps", 4, "--dims", "0,3", "--out", store)
    assert code == 0, err
    ds = latentnav.open_run(store)
    np.testing.assert_array_equal(ds["input"].values, [40, 5, 77])
    images, _, _ = shapes3d_arrays()
    x = images[[40, 5, 77]].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
    expected = _article_loop(model, x, ds["value"].values, [0, 3])
    stored = np.rint(ds["images"].values * 255).astype(np.uint8)  # open_run scales uint8 by 1/255
    np.testing.assert_array_equal(stored, expected)
    code, _, err = cli("figures", "--store", store, "--inputs", 5, "--dim", 3, "--out", tmp_path / "figs")
    assert code == 0, err
    assert _colour_share(tmp_path / "figs" / "grid_input5.png") > 0.1  # RGB figure: red and green differ
    gif = Image.open(tmp_path / "figs" / "traversal_input5.gif").convert("RGB")
    rgb = np.asarray(gif).astype(np.int64)
    assert (np.abs(rgb[..., 0] - rgb[..., 1]) > 40).mean() > 0.1


def test_bad_inputs_are_one_error_line(cli, files, tmp_path):
    ckpt = tmp_path / "m.pth"
    wrong_key = tmp_path / "wrong" / DSPRITES_NAME
    wrong_key.parent.mkdir()
    imgs, classes, values = dsprites_arrays()
    np.savez(wrong_key, images=imgs, latents_classes=classes)
    truncated = tmp_path / "cut" / "3dshapes.h5"
    truncated.parent.mkdir()
    data = (files / "3dshapes.h5").read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    wrong_dtype = tmp_path / "dtype.npz"
    np.savez(wrong_dtype, images=np.zeros((4, 64, 64), np.int32))
    wrong_shape = tmp_path / "shape.npz"
    np.savez(wrong_shape, images=np.zeros((4, 64, 64, 5), np.uint8))
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, images=np.zeros((4, 64, 64), np.uint8), labels=np.array([{"a": 1}] * 4, dtype=object))
    cases = [
        (("--dataset", "dsprites"), "--data-dir is needed for dsprites"),
        (("--dataset", "dsprites", "--data-dir", tmp_path / "nothere"), "--data-dir"),
        (("--dataset", "shapes3d", "--data-dir", tmp_path), "holds no 3dshapes.h5"),
        (("--dataset", "dsprites", "--data-dir", wrong_key.parent), "has no key 'imgs'"),
        (("--dataset", "shapes3d", "--data-dir", truncated.parent), "3dshapes.h5"),
        (("--dataset", f"npz:{wrong_dtype}"), "key 'images' has dtype int32"),
        (("--dataset", f"npz:{wrong_shape}"), "key 'images' has shape (4, 64, 64, 5)"),
        (("--dataset", f"npz:{pickled}"), "labels"),
        (("--dataset", f"npz:{tmp_path / 'missing.npz'}"), "does not exist"),
        (("--dataset", "dsprites", "--data-dir", files, "--limit", 2, "--sample", 2), "exclude each other"),
        (("--dataset", "dsprites", "--data-dir", files, "--sample", 0), "--sample must be a whole number >= 1"),
    ]
    for args, fragment in cases:
        code, _, err = cli("train", *args, "--model", "conv-ae", "--epochs", 1, "--out", ckpt, "--overwrite")
        assert_one_error_line(code, err, fragment)
    code, _, err = cli("train", "--dataset", "dsprites", "--data-dir", files, "--model", "ae", "--epochs", 1,
                       "--limit", 20, "--out", ckpt)
    assert code == 0, err
    code, _, err = cli("traverse", "--checkpoint", ckpt, "--dataset", "dsprites", "--data-dir", files,
                       "--inputs", "5,0", "--out", tmp_path / "r.zarr")  # file index 0 is in the train split, 5 in test
    assert_one_error_line(code, err, "--inputs [0] are not in dsprites test")
    code, _, err = cli("traverse", "--checkpoint", ckpt, "--dataset", "dsprites", "--data-dir", files,
                       "--split", "validation", "--out", tmp_path / "r.zarr")
    assert_one_error_line(code, err, "--split 'validation' is unknown; choose train, test, all")
    code, _, err = cli("dci", "--checkpoint", ckpt, "--dataset", "dsprites", "--data-dir", files, "--factors", "all",
                       "--limit", 0)
    assert_one_error_line(code, err, "--limit must be a whole number >= 1")
