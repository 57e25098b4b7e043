"""Factor roles in the report: a decoder whose factor moves are known by construction, the shapes run end to end,
and the stores that get no factor roles (digits, a dataset or checkpoint that cannot be loaded again)."""

import json
import shutil

import numpy as np
import pytest
import torch
from torch import nn

from latentnav.data.datasets import Dataset
from latentnav.jobs.factor_source import dataset_rows, report_factor_roles, store_factor_roles
from latentnav.jobs.report import run_report
from latentnav.jobs.traverse import TraverseConfig, traverse_dataset
from latentnav.models.loaded import LoadedModel
from latentnav.report.markdown import factor_markdown
from latentnav.store import open_store
from toy_models import toy_dataset, toy_loaded_model
from user_model_sources import write_user_models

SIZE = 28
CENTRE = 14.0
POSITIONS = np.linspace(10.0, 18.0, 6)  # the dataset's blob centres (posX / posY classes 0..5)


def _grid():
    return torch.arange(SIZE, dtype=torch.float32)


class BlobModel(nn.Module):
    """A Gaussian blob whose centre the code sets: x = 14 + 3 z0 - 4 (1 - exp(-z2^2)), y = 14 + 3 z1.

    So z[0] moves posX monotonically, z[1] posY monotonically, z[2] posX as a bump (left, back, left again). The
    encoder reads the centroid back (z0, z1) and sets z2 = 0.
    """

    def encode(self, x):
        img = x.reshape(-1, SIZE, SIZE).clamp_min(0)
        mass = img.sum(dim=(1, 2)).clamp_min(1e-6)
        cx = (img * _grid()[None, None, :]).sum(dim=(1, 2)) / mass
        cy = (img * _grid()[None, :, None]).sum(dim=(1, 2)) / mass
        return torch.stack([(cx - CENTRE) / 3, (cy - CENTRE) / 3, torch.zeros_like(cx)], dim=1)

    def decode(self, z):
        cx = CENTRE + 3 * z[:, 0] - 4 * (1 - torch.exp(-z[:, 2] ** 2))
        cy = CENTRE + 3 * z[:, 1]
        return blobs(cx, cy).reshape(len(z), -1)


def blobs(cx: torch.Tensor, cy: torch.Tensor) -> torch.Tensor:
    """Gaussian blobs (n, 28, 28) in [0, 1] centred at (cx, cy) (n,) each, sigma 1.5 px."""
    g = _grid()
    d2 = (g[None, None, :] - cx[:, None, None]) ** 2 + (g[None, :, None] - cy[:, None, None]) ** 2
    return torch.exp(-d2 / (2 * 1.5 ** 2))


def blob_dataset() -> Dataset:
    kx, ky = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    factors = np.c_[kx.ravel(), ky.ravel()].astype(np.int64)
    images = blobs(torch.tensor(POSITIONS[factors[:, 0]], dtype=torch.float32),
                   torch.tensor(POSITIONS[factors[:, 1]], dtype=torch.float32)).reshape(36, -1).numpy()
    return Dataset("blobs", "test", images, np.zeros(36, np.int64), factors=factors, factor_names=("posX", "posY"),
                   factor_sizes=(6, 6))


@pytest.fixture(scope="module")
def blob_store(tmp_path_factory):
    model = LoadedModel(model=BlobModel().eval(), kind="blob", input_dim=SIZE * SIZE, latent_dim=3, num_classes=0,
                        path="<blob>", sha256="b" * 64)
    path = tmp_path_factory.mktemp("blobs") / "blobs.zarr"
    traverse_dataset(model, blob_dataset(), path, TraverseConfig(chunk_size=10), progress=False)
    return model, path


def test_the_factor_each_dimension_moves_is_the_one_built_in(blob_store):
    model, path = blob_store
    roles = store_factor_roles(open_store(path), model, blob_dataset())
    assert roles["note"] is None and roles["factor_names"] == ["posX", "posY"]
    assert roles["probe"]["n_fit"] == 36 and roles["probe"]["r2"]["posX"] > 0.999
    dims = {d["dim"]: d for d in roles["dims"]}
    assert dims[0]["name"] == "posX" and dims[0]["share"] == 1.0 and dims[0]["monotonic_share"] == 1.0
    assert dims[1]["name"] == "posY" and dims[1]["share"] == 1.0 and dims[1]["monotonic_share"] == 1.0
    assert dims[2]["name"] == "posX" and dims[2]["share"] == 1.0 and dims[2]["monotonic_share"] == 0.0  # the bump
    # z0 from -3 to 3 moves the centre 18 px: 18 / 1.6 px per class = 11.25 classes over a spread of 5 classes
    assert dims[0]["mean_range"] == pytest.approx(18 / 1.6 / 5, rel=0.02)
    # the bump: x - 14 - 3 z0 = -4 (1 - exp(-z2^2)) over the steps z2 = -3, ..., -1/3, 1/3, ..., 3 spans
    # 4 (exp(-1/9) - exp(-9)) px
    assert dims[2]["mean_range"] == pytest.approx(4 * (np.exp(-1 / 9) - np.exp(-9)) / 1.6 / 5, rel=0.02)


def test_dataset_rows_follow_the_file_index():
    data = blob_dataset()
    assert dataset_rows(data, np.array([3, 0])).tolist() == [3, 0]
    assert dataset_rows(data, np.array([36])) is None

    class Indexed:  # a dataset whose rows are file indices 100, 105, 110
        index = np.array([100, 105, 110])

        def __len__(self):
            return 3

    assert dataset_rows(Indexed(), np.array([110, 100])).tolist() == [2, 0]
    assert dataset_rows(Indexed(), np.array([101])) is None


@pytest.fixture(scope="module")
def shapes_report(shapes_ckpt, tmp_path_factory):
    from latentnav.cli import main

    root = tmp_path_factory.mktemp("shapes_factor")
    store = root / "run.zarr"
    assert main(["traverse", "--checkpoint", str(shapes_ckpt), "--dataset", "shapes", "--limit", "24",
                 "--range-mode", "sigma", "--out", str(store)]) == 0
    assert main(["report", "--store", str(store), "--out", str(root / "report")]) == 0
    return store, json.loads((root / "report" / "report.json").read_text()), (root / "report" / "report.md").read_text()


def test_shapes_report_names_a_factor_for_every_dimension(shapes_report):
    _, data, md = shapes_report
    names = {"shape", "scale", "rotation", "x", "y"}
    assert data["factor_roles"]["note"] is None and set(data["factor_roles"]["factor_names"]) == names
    assert len(data["dimensions"]) == 8
    for d in data["dimensions"]:
        f = d["factor"]
        assert set(f) == {"name", "share", "monotonic_share", "mean_range"}
        assert 0 <= f["monotonic_share"] <= f["share"] <= 1
        if f["name"] is None:  # the briefly trained model has dimensions that move no factor in any input
            assert f["share"] == 0 and f"| {d['dim'] + 1} (z[{d['dim']}]) | no factor |" in md
        else:
            assert f["name"] in names and f["share"] > 0
            assert f"| {d['dim'] + 1} (z[{d['dim']}]) | {f['name']} | {f['share']:.2f} | {f['monotonic_share']:.2f} |" in md
            assert f"z[{d['dim']}] moves {f['name']} in {100 * f['share']:.0f} % of inputs, monotonic in " in md
    assert sum(d["factor"]["name"] is not None for d in data["dimensions"]) >= 4
    assert "## Which ground-truth factor each dimension moves" in md


def test_shapes_factor_roles_equal_a_direct_computation(shapes_report, shapes_ckpt):
    """The job's per-dimension shares from a plain loop over inputs, with the probe refitted here."""
    import latentnav
    from latentnav.effects.factor_roles import fit_factor_probe, predict_factors

    store_path, data, _ = shapes_report
    model = latentnav.load_checkpoint(shapes_ckpt)
    shapes = latentnav.load_dataset("shapes", "test")
    with torch.no_grad():
        codes = model.encode(torch.from_numpy(shapes.inputs)).double().numpy()
    probe = fit_factor_probe(codes, shapes.factors, alpha=1e-3 * len(codes))
    store = open_store(store_path)
    images = store.read("images")  # (N, D, S, 1, 28, 28)
    spread = np.array(shapes.factor_sizes, float) - 1
    for j, entry in enumerate(data["dimensions"]):
        tops, monos = [], []
        for i in range(len(images)):
            with torch.no_grad():
                z = model.encode(torch.from_numpy(images[i, j].reshape(len(images[i, j]), -1)).float() / 255).double()
            pred = predict_factors(probe, z.numpy())  # (S, K)
            ranges = (pred.max(axis=0) - pred.min(axis=0)) / spread
            top = int(np.argmax(ranges)) if ranges.max() >= 0.1 else -1
            steps = np.diff(pred[:, top]) / spread[top]
            tops.append(top)
            monos.append(top >= 0 and (bool((steps >= -0.02).all()) or bool((steps <= 0.02).all())))
        counts = np.bincount([t for t in tops if t >= 0], minlength=5)
        if counts.sum() == 0:
            assert entry["factor"] == {"name": None, "share": 0.0, "monotonic_share": 0.0, "mean_range": 0.0}
            continue
        modal = int(np.argmax(counts))
        assert entry["factor"]["name"] == shapes.factor_names[modal]
        assert entry["factor"]["share"] == pytest.approx(counts[modal] / len(tops))
        assert entry["factor"]["monotonic_share"] == pytest.approx(
            np.mean([t == modal and m for t, m in zip(tops, monos)]))


def test_no_factor_roles_without_factors_or_without_the_model(shapes_report, digits_ckpt, tmp_path):
    from latentnav.cli import main

    digits = tmp_path / "digits.zarr"
    assert main(["traverse", "--checkpoint", str(digits_ckpt), "--dataset", "digits", "--limit", "4",
                 "--out", str(digits)]) == 0
    report = json.loads(run_report(digits, tmp_path / "rep").json.read_text())
    assert report["factor_roles"] is None and all(d["factor"] is None for d in report["dimensions"])
    assert report["dimensions"][0]["modal_role"]  # the digit roles stay
    # another checkpoint recorded than the one that wrote the store: skipped with a note, the report stands
    other = tmp_path / "other.zarr"
    shutil.copytree(shapes_report[0], other)
    open_store(other, "r+").update_attrs({"checkpoint": str(digits_ckpt)})
    roles = report_factor_roles(open_store(other))
    assert "sha256 differs" in roles["note"] and "dims" not in roles
    assert factor_markdown({"factor_roles": roles})[2] == f"> Factor roles are not given: {roles['note']}."
    assert factor_markdown({"factor_roles": None}) == []


def test_an_npz_sample_maps_file_indices_and_names_its_factors(shapes_ckpt, tmp_path):
    """A sampled traversal of an npz file: the store's inputs are file indices, the probe is fitted on the file."""
    from latentnav.cli import main
    from latentnav.data.shapes import render_shapes

    images, factors, _, _ = render_shapes()
    rows = np.arange(0, len(images), 3)  # 864 images of every factor combination
    path = tmp_path / "shapes.npz"
    names = np.array(["form", "size", "angle", "posX", "posY"])
    np.savez(path, images=(images[rows] * 255).round().astype(np.uint8), factors=factors[rows], factor_names=names)
    store = tmp_path / "run.zarr"
    assert main(["traverse", "--checkpoint", str(shapes_ckpt), "--dataset", f"npz:{path}", "--split", "all",
                 "--sample", "6", "--seed", "1", "--out", str(store)]) == 0
    index = open_store(store).read("input")
    assert not np.array_equal(index, np.arange(6))  # a sample: file indices, not rows 0..5
    roles = report_factor_roles(open_store(store))
    assert roles["note"] is None and roles["probe"]["n_fit"] == len(rows)
    assert roles["factor_names"] == names.tolist()
    assert {d["name"] for d in roles["dims"]} <= set(names.tolist()) | {None}
    assert any(d["name"] is not None for d in roles["dims"])


def test_a_dataset_that_cannot_be_loaded_again_is_a_note(tmp_path):
    path = tmp_path / "toy.zarr"
    traverse_dataset(toy_loaded_model(), toy_dataset(4), path, TraverseConfig(chunk_size=4), progress=False)
    roles = report_factor_roles(open_store(path))
    assert "cannot be loaded again" in roles["note"]
    assert run_report(path, tmp_path / "rep", factors=False).json.is_file()


def test_report_flags_for_a_users_model_a_moved_checkpoint_and_no_factors(cli, tmp_path):
    """`report --model-class/--model-kwargs/--checkpoint/--no-factors`: factor roles of a user's model's store."""
    from latentnav.models.checkpoint import import_model_class

    spec = f"{write_user_models(tmp_path)}:UserVAEMLP"
    torch.manual_seed(0)
    ckpt = tmp_path / "user.pt"
    torch.save({"model_state_dict": import_model_class(spec)(latent=3).state_dict()}, ckpt)
    store = tmp_path / "run.zarr"
    model = ("--model-class", spec, "--model-kwargs", '{"latent": 3}')
    code, _, err = cli("traverse", "--checkpoint", ckpt, *model, "--dataset", "shapes", "--limit", 4,
                       "--steps", 4, "--out", store)
    assert code == 0, err

    def report(name, *flags):
        code, _, err = cli("report", "--store", store, "--out", tmp_path / name, *flags)
        assert code == 0, err
        data = json.loads((tmp_path / name / "report.json").read_text())
        return data["factor_roles"], [d["factor"] for d in data["dimensions"]]

    roles, factors = report("plain")
    assert "pass it (--model-class" in roles["note"] and factors == [None] * 3
    roles, named = report("named", *model)
    assert roles["note"] is None and roles["factor_names"] == ["shape", "scale", "rotation", "x", "y"]
    assert any(f["name"] is not None for f in named)
    assert report("none", *model, "--no-factors") == (None, [None] * 3)
    moved = tmp_path / "moved" / "user.pt"
    moved.parent.mkdir()
    ckpt.rename(moved)
    assert "cannot be loaded again" in report("gone", *model)[0]["note"]
    assert report("moved", *model, "--checkpoint", moved)[1] == named
