"""``latentnav train`` and ``demo`` in-process: determinism, metrics, and every bad-input case."""

import json
import os
from pathlib import Path

import pytest
import torch

from conftest import assert_one_error_line
from latentnav import load_checkpoint


def test_train_writes_checkpoint_and_metrics_deterministically(tmp_path, cli):
    code, out, err = cli("train", "--dataset", "digits", "--epochs", "3", "--seed", "7", "--out", tmp_path / "a.pth")
    assert code == 0, err
    assert "test accuracy" in out and "reconstruction" in out
    cli("train", "--dataset", "digits", "--epochs", "3", "--seed", "7", "--out", tmp_path / "b.pth")
    a, b = load_checkpoint(tmp_path / "a.pth"), load_checkpoint(tmp_path / "b.pth")
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key
    meta = json.loads((tmp_path / "a.json").read_text())
    assert meta["architecture"] == {"kind": "ae", "input_dim": 784, "latent_dim": 16, "num_classes": 10}
    assert 0.0 <= meta["training"]["test"]["accuracy"] <= 1.0 and meta["training"]["config"]["seed"] == 7
    cli("train", "--dataset", "digits", "--epochs", "3", "--seed", "8", "--out", tmp_path / "c.pth")
    c = load_checkpoint(tmp_path / "c.pth")
    assert not torch.equal(a.model.state_dict()["encoder.0.weight"], c.model.state_dict()["encoder.0.weight"])


def test_default_training_reaches_90_percent_on_digits(digits_ckpt):
    # the fixture trains 15 epochs; the default (80) only does better. The sidecar has the held-out accuracy.
    meta = json.loads(digits_ckpt.with_suffix(".json").read_text())
    assert meta["training"]["test"]["accuracy"] >= 0.90


def test_train_vae_on_shapes(tmp_path, cli):
    code, out, err = cli("train", "--dataset", "shapes", "--model", "vae", "--beta", "2", "--latent-dim", "6",
                         "--epochs", "1", "--out", tmp_path / "vae.pth")
    assert code == 0, err
    loaded = load_checkpoint(tmp_path / "vae.pth")
    assert loaded.kind == "vae" and loaded.latent_dim == 6 and loaded.num_classes == 3


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "--epochs", "0"], "--epochs must be >= 1"),
        (["train", "--latent-dim", "-3"], "--latent-dim must be >= 1"),
        (["train", "--lr", "0"], "--lr must be > 0"),
        (["train", "--beta", "-1"], "--beta must be >= 0"),
        (["train", "--model", "gan"], "--model 'gan' is unknown"),
        (["train", "--dataset", "cifar"], "unknown; choose one of digits, mnist, shapes"),
        (["train", "--epochs", "many"], "invalid int value"),
        (["train", "--device", "tpu"], "--device 'tpu' is unknown"),
        (["train", "--dataset", "mnist", "--data-dir", "{tmp}"], "--download"),
        (["train", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_train_bad_arguments(tmp_path, cli, argv, fragment):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[0] == "train" and "--out" not in argv:
        argv += ["--out", str(tmp_path / "m.pth")]
    code, _, err = cli(*argv)
    assert_one_error_line(code, err, fragment)
    assert not (tmp_path / "m.pth").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this case needs a machine without a GPU")
def test_cuda_without_gpu_is_a_clear_error(tmp_path, cli):
    code, _, err = cli("train", "--device", "cuda", "--out", tmp_path / "m.pth")
    assert_one_error_line(code, err, "no CUDA GPU is visible")


def test_existing_output_is_never_overwritten(tmp_path, cli):
    target = tmp_path / "mine.pth"
    target.write_bytes(b"precious")
    code, _, err = cli("train", "--epochs", "1", "--out", target)
    assert_one_error_line(code, err, "already exists", "--overwrite")
    assert target.read_bytes() == b"precious"
    code, _, err = cli("train", "--epochs", "1", "--out", target, "--overwrite")
    assert code == 0 and load_checkpoint(target).latent_dim == 16


def test_output_path_that_is_a_directory_or_under_a_file(tmp_path, cli):
    code, _, err = cli("train", "--epochs", "1", "--out", tmp_path)
    assert_one_error_line(code, err, "is a directory")
    (tmp_path / "file").write_text("x")
    code, _, err = cli("train", "--epochs", "1", "--out", tmp_path / "file" / "m.pth")
    assert_one_error_line(code, err, "is a file, not a directory")
    assert (tmp_path / "file").read_text() == "x"


def test_train_on_fake_mnist_end_to_end(tmp_path, cli):
    import struct

    import numpy as np

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for prefix, n in (("train", 20), ("t10k", 10)):
        with open(raw / f"{prefix}-images-idx3-ubyte", "wb") as fh:
            fh.write(struct.pack(">IIII", 0x803, n, 28, 28) + rng.integers(0, 256, (n, 28, 28), dtype=np.uint8).tobytes())
        with open(raw / f"{prefix}-labels-idx1-ubyte", "wb") as fh:
            fh.write(struct.pack(">II", 0x801, n) + np.arange(n, dtype=np.uint8).__mod__(10).tobytes())
    code, out, err = cli("train", "--dataset", "mnist", "--data-dir", tmp_path, "--epochs", "1", "--out", tmp_path / "m.pth")
    assert code == 0, err
    assert json.loads((tmp_path / "m.json").read_text())["dataset"] == "mnist"


def test_demo_runs_end_to_end_then_reuses_everything(tmp_path, cli):
    code, out, err = cli("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    assert "traversed 360 inputs, 57,600 images (57,600 computed)" in out
    assert "- Informativeness (accuracy): " in out and "Paper DCI with one-hot classes" in out
    report = tmp_path / "demo" / "report"
    data = json.loads((report / "report.json").read_text())
    assert len(data["dimensions"]) == 16 and [d["config"]["factors"] for d in data["dci"]] == ["label", "onehot"]
    assert (report / "figures" / "grid_input12.png").is_file() and (report / "figures" / "strip_input19_dim8.png").is_file()
    stamp = (tmp_path / "demo" / "model.pth").stat().st_mtime_ns
    code, out, _ = cli("demo", "--out", tmp_path / "demo")
    assert code == 0 and "reused existing checkpoint" in out and "(0 computed, resumed: 0 chunks left)" in out
    assert (tmp_path / "demo" / "model.pth").stat().st_mtime_ns == stamp


def test_unwritable_output_directory(tmp_path, cli, monkeypatch):
    import latentnav.jobs.outputs

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(latentnav.jobs.outputs.os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    code, _, err = cli("train", "--epochs", "1", "--out", locked / "m.pth")
    assert_one_error_line(code, err, "is not writable; choose another location")
    assert list(locked.iterdir()) == []
