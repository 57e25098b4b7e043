"""Checkpoint formats (torch.save dicts, TorchScript, safetensors), users' models, probing, and every refusal."""

import warnings

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from latentnav import LatentnavError, load_checkpoint
from latentnav.models import ConvAE
from latentnav.models.checkpoint import import_model_class
from user_model_sources import write_user_models

@pytest.fixture
def user(tmp_path):
    """(model_class spec, a trained-looking UserConvVAE in eval mode) from a temporary file.py."""
    spec = f"{write_user_models(tmp_path)}:UserConvVAE"
    torch.manual_seed(0)
    model = import_model_class(spec)(latent=4)
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
        model.bn.num_batches_tracked.fill_(7)
    return spec, model.eval()


def _script(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.script(model)


def _jit_save(module, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.save(module, str(path))


SAVERS = {
    "model_state_dict": lambda m, p: torch.save({"model_state_dict": m.state_dict(), "epoch": 3}, p),
    "model": lambda m, p: torch.save({"model": m.state_dict(), "optimizer": {"lr": 0.1}}, p),
    "torchscript": lambda m, p: _jit_save(_script(m), p),
    "safetensors": lambda m, p: save_file({k: v.contiguous() for k, v in m.state_dict().items()}, str(p)),
}


@pytest.mark.parametrize("how", list(SAVERS))
def test_user_model_saved_each_way_decodes_exactly(tmp_path, user, how):
    spec, model = user
    path = tmp_path / f"user.{'safetensors' if how == 'safetensors' else 'pt'}"
    SAVERS[how](model, path)
    loaded = load_checkpoint(path, model_class=spec, model_kwargs={"latent": 4}, input_shape=(1, 64, 64))
    assert type(loaded.model).__name__ == "UserConvVAE" and not loaded.model.training
    assert (loaded.latent_dim, loaded.input_shape, loaded.input_dim, loaded.num_classes) == (4, (1, 64, 64), 4096, 0)
    assert int(loaded.model.bn.num_batches_tracked) == 7
    z = torch.randn(5, 4)
    x = torch.rand(3, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded.decode(z), model.decode(z)["recon_x"].reshape(5, -1))
        assert torch.equal(loaded.encode(x.reshape(3, -1)), model.encode(x)[0])


def test_torchscript_archive_without_model_class_works_on_its_own(tmp_path, user):
    _, model = user
    path = tmp_path / "scripted.pt"
    _jit_save(_script(model), path)
    loaded = load_checkpoint(path, input_shape=(1, 64, 64))
    assert loaded.kind == "torchscript" and isinstance(loaded.model, torch.jit.ScriptModule)
    assert (loaded.latent_dim, loaded.input_shape) == (4, (1, 64, 64))
    z = torch.randn(5, 4)
    with torch.no_grad():
        assert torch.equal(loaded.decode(z), model.decode(z)["recon_x"].reshape(5, -1))
        assert loaded.decoded_shape() == (1, 64, 64)
    with pytest.raises(LatentnavError, match=r"cannot encode an input of shape \(784,\).*RuntimeError"):
        load_checkpoint(path)  # no input_shape and no attributes to tell it: (784,) is tried and fails


def test_torchscript_archive_without_encode_or_decode_is_refused(tmp_path):
    path = tmp_path / "linear.pt"
    _jit_save(_script(nn.Linear(3, 3)), path)
    with pytest.raises(LatentnavError, match="no exported encode\\(\\)/decode\\(\\) methods"):
        load_checkpoint(path)


def test_lightning_state_dict_with_model_prefix(tmp_path, user):
    spec, model = user
    lightning = {"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}, "epoch": 1,
                 "global_step": 10, "pytorch-lightning_version": "2.4.0"}
    torch.save(lightning, tmp_path / "user.ckpt")
    loaded = load_checkpoint(tmp_path / "user.ckpt", model_class=spec, input_shape=(1, 64, 64))
    z = torch.randn(2, 4)
    with torch.no_grad():
        assert torch.equal(loaded.decode(z), model.decode(z)["recon_x"].reshape(2, -1))

    torch.manual_seed(1)
    conv = ConvAE(latent_dim=5).eval()
    torch.save({"state_dict": {f"model.{k}": v for k, v in conv.state_dict().items()}}, tmp_path / "conv.ckpt")
    loaded = load_checkpoint(tmp_path / "conv.ckpt")  # a built-in kind, recognised after dropping the prefix
    assert loaded.kind == "conv-ae" and loaded.latent_dim == 5
    x = torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded.encode(x), conv.encode(x))


def test_input_shape_falls_back_to_flat_and_reports_one_error(tmp_path, user):
    mlp_spec = f"{write_user_models(tmp_path, 'mlp.py')}:UserMLP"
    torch.save(import_model_class(mlp_spec)().state_dict(), tmp_path / "mlp.pth")
    loaded = load_checkpoint(tmp_path / "mlp.pth", model_class=mlp_spec, input_shape=(1, 28, 28))
    assert loaded.input_shape == (784,) and loaded.latent_dim == 3
    assert loaded.encode(torch.zeros(2, 1, 28, 28)).shape == (2, 3)

    spec, model = user
    torch.save(model.state_dict(), tmp_path / "user.pth")
    with pytest.raises(LatentnavError) as info:
        load_checkpoint(tmp_path / "user.pth", model_class=spec, input_shape=(3, 64, 64))
    message = str(info.value)
    assert "(3, 64, 64)" in message and "(12288,)" in message and "RuntimeError" in message
    assert "\n" not in message


def _sd(**extra):
    return dict({"encoder.0.weight": torch.zeros(2, 2)}, **extra)


@pytest.mark.filterwarnings("ignore:Validating sparse tensor invariants")
@pytest.mark.parametrize(
    "state, fragment",
    [
        ({0: torch.zeros(2)}, r"key 0 \(int\) is not a string"),
        (_sd(**{"encoder.0.bias": [1.0, 2.0]}), r"not a state_dict of tensors: 'encoder.0.bias' holds a list"),
        (_sd(**{"enc.weight": torch.eye(3).to_sparse()}), r"sparse tensor \(torch.sparse_coo\) in 'enc.weight'"),
        (_sd(**{"enc.weight": torch.ones(2, dtype=torch.int32)}), r"torch.int32 values in 'enc.weight'"),
        (_sd(**{"bn.running_mean": torch.ones(2, dtype=torch.int64)}), r"torch.int64 values in 'bn.running_mean'"),
        (_sd(**{"enc.weight": torch.ones(2, dtype=torch.bool)}), r"torch.bool values in 'enc.weight'"),
        (_sd(**{"enc.weight": torch.ones(2, dtype=torch.complex64)}), r"torch.complex64 values in 'enc.weight'"),
        (_sd(**{"enc.weight": torch.tensor([0.0, float("nan")])}), r"has NaN or Inf in enc.weight"),
        (_sd(**{"enc.bias": torch.tensor([float("-inf")])}), r"has NaN or Inf in enc.bias"),
        ({"model": nn.Linear(2, 2)}, r"refused to load .*weights_only=True"),
        ({}, "empty state_dict"),
    ],
    ids=["int-key", "list-value", "sparse", "int-weights", "int-buffer", "bool", "complex", "nan", "inf",
         "pickled-module", "empty"],
)
def test_refusals_of_torch_save_files(tmp_path, state, fragment):
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(LatentnavError, match=fragment):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "value, fragment",
    [(torch.tensor([1.0, float("inf")]), "has NaN or Inf in b"), (torch.ones(2, dtype=torch.int64), "torch.int64 values in 'b'")],
    ids=["inf", "int"],
)
def test_refusals_of_safetensors_files(tmp_path, value, fragment):
    path = tmp_path / "bad.pth"  # recognised by its header, whatever the suffix
    save_file({"a": torch.zeros(2), "b": value}, str(path))
    with pytest.raises(LatentnavError, match=fragment):
        load_checkpoint(path)


def test_num_batches_tracked_may_be_an_integer(tmp_path):
    model = nn.Sequential(nn.BatchNorm1d(3))
    state = model.state_dict()
    assert state["0.num_batches_tracked"].dtype == torch.int64
    torch.save(state, tmp_path / "bn.pth")
    with pytest.raises(LatentnavError, match="cannot tell the architecture"):  # past the checks, to the inference
        load_checkpoint(tmp_path / "bn.pth")


def test_torchscript_weights_are_checked_too(tmp_path, user):
    spec, model = user
    with torch.no_grad():
        model.mu.weight[0, 0] = float("nan")
    path = tmp_path / "nan.pt"
    _jit_save(_script(model), path)
    with pytest.raises(LatentnavError, match="has NaN or Inf in mu.weight"):
        load_checkpoint(path, model_class=spec)
