"""The Python API at the top of ``latentnav``: in-memory traversal, stores as xarray, DCI, effects and roles."""

import json
import warnings

import numpy as np
import pytest
import torch
import xarray as xr
import zarr

import latentnav
from latentnav.models import AutoencoderClassifier
from toy_models import ToyModel, toy_dataset

VALUES = np.linspace(-3, 3, 10)


def article_loop(model, x, values, dims):
    """The article's traversal, one decode per input, dimension and value (batch of one)."""
    out = []
    with torch.no_grad():
        for i in range(x.shape[0]):
            z, _, _ = model(x[i:i + 1])
            per_dim = []
            for dim in dims:
                row = []
                for val in values:
                    z_new = z.clone()
                    z_new[0, dim] = val
                    row.append(model.decoder(z_new).view(-1))
                per_dim.append(torch.stack(row))
            out.append(torch.stack(per_dim))
    return torch.stack(out).numpy()  # (n, D, S, 784)


@pytest.fixture(scope="module")
def dims_store(digits_ckpt, tmp_path_factory):
    """A CLI store of inputs 12 and 19 along dims 0, 3, 7 (uint8), and the same as float32."""
    from latentnav.cli import main

    root = tmp_path_factory.mktemp("api")
    base = ["traverse", "--checkpoint", str(digits_ckpt), "--dataset", "digits", "--inputs", "12,19", "--dims", "0,3,7"]
    assert main(base + ["--out", str(root / "u8.zarr")]) == 0
    assert main(base + ["--dtype", "float32", "--no-effects", "--out", str(root / "f32.zarr")]) == 0
    return root / "u8.zarr", root / "f32.zarr"


def test_public_names_and_version():
    from importlib.metadata import version

    assert latentnav.__version__ == version("latentnav")
    for name in latentnav.__all__:
        assert getattr(latentnav, name) is not None, name
    with pytest.raises(AttributeError):
        latentnav.no_such_thing


def test_traverse_in_memory_equals_the_article_loop():
    torch.manual_seed(0)
    model = AutoencoderClassifier().eval()
    x = torch.rand(3, 784)
    ds = latentnav.traverse(model, x)
    assert ds.images.dims == ("input", "dim", "step", "channel", "y", "x")
    assert ds.images.shape == (3, 16, 10, 1, 28, 28)
    reference = article_loop(model, x, VALUES, range(16))
    np.testing.assert_allclose(ds.images.values.reshape(3, 16, 10, 784), reference, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ds.value.sel(dim=5).values, VALUES.astype(np.float32))
    np.testing.assert_allclose(ds.latents.values, model.encoder(x).detach().numpy(), atol=1e-6)
    subset = latentnav.traverse(model, x.numpy(), dims=[7, 3], steps=4, low=-1, high=2)
    np.testing.assert_allclose(subset.images.values.reshape(3, 2, 4, 784),
                               article_loop(model, x, np.linspace(-1, 2, 4), [7, 3]), rtol=0, atol=1e-6)
    assert list(subset.dim.values) == [7, 3] and not model.training


def test_traverse_takes_models_whose_encoder_returns_mu_logvar():
    class GaussianAE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = AutoencoderClassifier(latent_dim=4)

        def encode(self, x):  # (mu, logvar) of a (1, 28, 28) image
            mu = self.body.encoder(x.reshape(len(x), -1))
            return mu, torch.zeros_like(mu)

        def decode(self, z):  # an object with the reconstruction, as pythae returns
            return {"recon_x": self.body.decoder(z).view(-1, 1, 28, 28)}

    torch.manual_seed(2)
    model = GaussianAE()
    x = torch.rand(2, 1, 28, 28)
    ds = latentnav.traverse(model, x, dims=[1], dtype="uint8")
    assert ds.images.shape == (2, 1, 10, 1, 28, 28) and ds.images.dtype == np.uint8
    expected = article_loop(model.body, x.reshape(2, -1), VALUES, [1])
    got = ds.images.values.reshape(2, 1, 10, 784).astype(int)
    assert np.abs(got - np.round(expected * 255)).max() <= 1
    assert ds.images.attrs["scale_factor"] == 1 / 255


def test_traverse_equals_the_cli_store(digits_ckpt, dims_store):
    model = latentnav.load_checkpoint(digits_ckpt).model
    data = latentnav.load_dataset("digits", "test")
    ds = latentnav.traverse(model, data.inputs[[12, 19]], dims=[0, 3, 7])
    stored = latentnav.open_run(dims_store[1])
    np.testing.assert_array_equal(ds.images.values, stored.images.values)
    np.testing.assert_array_equal(ds.value.values, stored.value.values)
    np.testing.assert_array_equal(ds.latents.values, stored.latents.values)


def test_open_run_and_plain_xarray_read_a_dims_subset_store(dims_store):
    path = dims_store[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # readable without warnings
        plain = xr.open_zarr(str(path))
    ds = latentnav.open_run(path)
    for opened in (plain, ds):
        assert list(opened.dim.values) == [0, 3, 7] and list(opened.input.values) == [12, 19]
        np.testing.assert_allclose(opened.value.sel(dim=3).values, VALUES.astype(np.float32))
        assert opened.images.dims == ("input", "dim", "step", "channel", "y", "x")
        assert opened.latents.dims == ("input", "latent") and opened.latents.shape == (2, 16)
    raw = zarr.open_group(str(path), mode="r")["images"][1, 2]  # input 19, dim 7: uint8
    np.testing.assert_allclose(ds.images.sel(input=19, dim=7).values, raw / 255.0, atol=1e-7)
    assert float(ds.images.max()) <= 1.0 and ds.attrs["latentnav_layout"] == 3
    assert "pixel_change" in ds and ds.pixel_change.dims == ("input", "dim", "step")


def test_layout_1_stores_get_a_clear_error_and_overwrite_replaces_them(digits_ckpt, tmp_path, cli):
    old = tmp_path / "old.zarr"
    group = zarr.open_group(str(old), mode="w")
    group.attrs["latentnav_layout"] = 1
    group.create_array("images", shape=(1,), dtype="uint8")
    with pytest.raises(latentnav.LatentnavError, match="layout 1, older .*--overwrite"):
        latentnav.open_run(old)
    base = ["traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "2", "--no-effects", "--out", old]
    code, _, err = cli(*base)
    assert code == 2 and "--overwrite" in err
    code, _, err = cli(*base, "--overwrite")
    assert code == 0, err
    assert latentnav.open_run(old).attrs["latentnav_layout"] == 3


def test_dci_equals_the_cli_json(digits_ckpt, tmp_path, cli):
    out = tmp_path / "dci.json"
    assert cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--json", out)[0] == 0
    written = json.loads(out.read_text())
    model = latentnav.load_checkpoint(digits_ckpt)
    data = latentnav.load_dataset("digits", "test")
    with torch.no_grad():
        codes = model.encode(torch.from_numpy(data.inputs)).numpy()
    result = latentnav.dci(codes, data.labels, factor_names=["label"])
    np.testing.assert_allclose(result.importance, np.array(written["R"]), rtol=0, atol=1e-12)
    assert result.disentanglement == pytest.approx(written["disentanglement"], abs=1e-12)
    assert result.completeness == pytest.approx(written["completeness"], abs=1e-12)
    assert result.informativeness == pytest.approx(written["informativeness"]["test"], abs=1e-12)
    assert result.importance.shape == (16, 1) and result.per_code.shape == (16,) and result.per_factor.shape == (1,)
    np.testing.assert_allclose(latentnav.dci_scores(result.importance).per_factor, result.per_factor)


def test_dci_known_answer_and_training_accuracy():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 3, size=(600, 2))
    codes = np.column_stack([factors[:, 1], rng.normal(size=600), factors[:, 0]]).astype(np.float32)
    result = latentnav.dci(codes, factors, n_test=0, factor_names=["a", "b"])
    assert result.disentanglement > 0.95 and result.completeness > 0.95 and result.informativeness == 1.0
    assert np.argmax(result.importance[:, 0]) == 2 and np.argmax(result.importance[:, 1]) == 0
    assert result.test_accuracy is None


def test_python_errors_name_the_parameter():
    model = AutoencoderClassifier()
    with pytest.raises(latentnav.ParameterError, match=r"^probe='forest' is unknown; choose xgboost or sklearn"):
        latentnav.dci(np.zeros((10, 2)), np.arange(10) % 2, probe="forest")
    with pytest.raises(latentnav.ParameterError, match=r"^steps must be >= 2"):
        latentnav.traverse(model, torch.rand(2, 784), steps=1)
    with pytest.raises(latentnav.ParameterError, match=r"^dims=\[16\] out of range"):
        latentnav.traverse(model, torch.rand(2, 784), dims=[16])
    with pytest.raises(latentnav.ParameterError, match=r"^factors must be \(N, K\)"):
        latentnav.dci(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(latentnav.ParameterError, match=r"^dataset='cifar' is unknown"):
        latentnav.load_dataset("cifar")


def test_effects_and_roles_on_a_traversal_dataset():
    """The toy decoder's dimensions are known by construction: 0 identity 0→1, 1 stroke/rotation, 2 no effect."""
    model = ToyModel().eval()
    ds = latentnav.measure_traversal(model, latentnav.traverse(model, toy_dataset(8).inputs))
    assert ds.pixel_change.dims == ("input", "dim", "step") and list(ds.measure.values)[2] == "slant"
    table = latentnav.roles(ds)
    assert list(table.modal_role.values) == ["identity", "stroke/rotation", "no effect"]
    assert table.consistency.values.tolist() == [1.0, 1.0, 1.0]
    assert table.modal_transition.sel(dim=0).item() == "0→1"
    assert (table.role.sel(dim=2) == "no effect").all()
    with pytest.raises(latentnav.ParameterError, match="measure_traversal"):
        latentnav.roles(latentnav.traverse(model, toy_dataset(2).inputs))


def test_roles_of_an_opened_store_equal_the_report(dims_store, tmp_path):
    from latentnav.jobs.report import run_report

    table = latentnav.roles(latentnav.open_run(dims_store[0]))
    report = json.loads(run_report(dims_store[0], tmp_path / "rep").json.read_text())
    assert [d["modal_role"] for d in report["dimensions"]] == list(table.modal_role.values)
    assert report["dimensions"][1]["roles"]["19"] == table.role.sel(input=19, dim=3).item()
