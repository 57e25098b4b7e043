"""Checkpoint loading: our format, a plain state_dict of independent code, a user class, every bad case."""

import json
import os
import pickle
import subprocess
import sys

import pytest
import torch
from torch import nn

from latentnav import LatentnavError, load_checkpoint
from latentnav.models import AutoencoderClassifier, BetaVAEClassifier, save_checkpoint


class ArticleAutoencoderClassifier(nn.Module):
    """The article's class, written out independently of models/ (layer names as in its code)."""

    def __init__(self, input_dim=784, latent_dim=16, num_classes=10):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                     nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(),
                                     nn.Linear(128, input_dim), nn.Sigmoid())
        self.classifier = nn.Linear(latent_dim, num_classes)

    def forward(self, x):
        z = self.encoder(x)
        return z, self.decoder(z), self.classifier(z)


def test_round_trip_with_sidecar(tmp_path):
    torch.manual_seed(1)
    model = BetaVAEClassifier(latent_dim=8, num_classes=3)
    path = tmp_path / "vae.pth"
    sidecar = save_checkpoint(model, path, kind="vae", dataset="shapes", training={"test": {"accuracy": 0.5}})
    assert json.loads(sidecar.read_text())["architecture"]["latent_dim"] == 8
    loaded = load_checkpoint(path)
    assert loaded.kind == "vae" and (loaded.latent_dim, loaded.num_classes, loaded.input_dim) == (8, 3, 784)
    assert loaded.metadata["dataset"] == "shapes"
    assert not loaded.model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.model.state_dict()[key])
    assert len(loaded.sha256) == 64


def test_plain_state_dict_from_independent_code_infers_sizes(tmp_path):
    torch.manual_seed(2)
    article = ArticleAutoencoderClassifier(input_dim=100, latent_dim=5, num_classes=4).eval()
    path = tmp_path / "autoencoder_mnist.pth"
    torch.save(article.state_dict(), path)
    loaded = load_checkpoint(path)
    assert (loaded.kind, loaded.input_dim, loaded.latent_dim, loaded.num_classes) == ("ae", 100, 5, 4)
    x = torch.rand(3, 100)
    with torch.no_grad():
        for ours, theirs in zip(loaded.model(x), article(x)):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_our_checkpoint_loads_in_the_article_code(tmp_path):
    model = AutoencoderClassifier()
    path = tmp_path / "ours.pth"
    save_checkpoint(model, path, kind="ae", dataset="digits", training={})
    article = ArticleAutoencoderClassifier()
    article.load_state_dict(torch.load(path, weights_only=True))  # the article's own loading line


def test_user_model_class(tmp_path, monkeypatch):
    (tmp_path / "user_models.py").write_text(
        "from torch import nn\n"
        "class TinyAE(nn.Module):\n"
        "    def __init__(self, latent=3):\n"
        "        super().__init__()\n"
        "        self.enc = nn.Linear(784, latent)\n"
        "        self.dec = nn.Linear(latent, 784)\n"
        "    def encode(self, x):\n        return self.enc(x)\n"
        "    def decode(self, z):\n        return self.dec(z).sigmoid()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from user_models import TinyAE  # the module written above

    path = tmp_path / "tiny.pth"
    torch.save(TinyAE(latent=3).state_dict(), path)
    loaded = load_checkpoint(path, model_class="user_models:TinyAE", model_kwargs={"latent": 3})
    assert loaded.latent_dim == 3 and loaded.num_classes == 0 and loaded.classify(torch.zeros(1, 3)) is None
    assert loaded.decode(loaded.encode(torch.zeros(2, 784))).shape == (2, 784)
    with pytest.raises(LatentnavError, match="must look like module:Class"):
        load_checkpoint(path, model_class="user_models")
    with pytest.raises(LatentnavError, match="cannot be imported"):
        load_checkpoint(path, model_class="no_such_module_xyz:Model")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(os.urandom(4096)), "is not a PyTorch checkpoint"),
        (lambda p: p.write_text("hello, not a checkpoint\n"), "is not a PyTorch checkpoint"),
        (lambda p: p.write_bytes(pickle.dumps(_Evil(), protocol=2)), "refused"),
        (lambda p: torch.save({"weights": [1, 2]}, p), "not a state_dict"),
        (lambda p: torch.save({"foo.weight": torch.zeros(2)}, p), "cannot tell the architecture"),
    ],
    ids=["missing", "directory", "random-bytes", "text", "code-pickle", "not-state-dict", "unknown-keys"],
)
def test_bad_checkpoint_files(tmp_path, make, fragment):
    path = tmp_path / "bad.pth"
    make(path)
    with pytest.raises(LatentnavError, match=fragment):
        load_checkpoint(path)


def test_evil_pickle_is_refused_by_torch_load_itself(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"x": _Evil()}, path)
    with pytest.raises(LatentnavError, match="weights_only=True"):
        load_checkpoint(path)


def test_missing_unexpected_and_mismatched_keys(tmp_path):
    state = AutoencoderClassifier().state_dict()
    missing = dict(state)
    del missing["decoder.2.bias"]
    torch.save(missing, tmp_path / "missing.pth")
    with pytest.raises(LatentnavError, match="missing keys decoder.2.bias"):
        load_checkpoint(tmp_path / "missing.pth")

    extra = dict(state, **{"decoder.9.weight": torch.zeros(1)})
    torch.save(extra, tmp_path / "extra.pth")
    with pytest.raises(LatentnavError, match="unexpected keys decoder.9.weight"):
        load_checkpoint(tmp_path / "extra.pth")

    wrong = dict(state, **{"decoder.2.weight": torch.zeros(100, 64)})
    torch.save(wrong, tmp_path / "wrong.pth")
    with pytest.raises(LatentnavError, match=r"decoder.2.weight has shape \(100, 64\), expected \(128, 64\)"):
        load_checkpoint(tmp_path / "wrong.pth")


def test_bad_checkpoint_via_real_subprocess_has_no_traceback(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"\x00\x01junk" * 100)
    proc = subprocess.run(
        [sys.executable, "-m", "latentnav", "demo", "--out", str(tmp_path / "out")], capture_output=True, text=True,
        env={**os.environ, "TQDM_DISABLE": "1"}, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "out" / "model.pth").write_bytes(path.read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "latentnav", "demo", "--out", str(tmp_path / "out")], capture_output=True, text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("latentnav: error: ") and "not a PyTorch checkpoint" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
