"""``latentnav metrics``: the suite on a trained model equals the metric functions on the same codes and split."""

import json

import numpy as np
import pytest
import torch

import latentnav
from conftest import assert_one_error_line
from latentnav import metrics
from latentnav.metrics.factors import split_train_test, strata


@pytest.fixture(scope="module")
def shapes_metrics(shapes_ckpt, tmp_path_factory):
    from latentnav.cli import main

    out = tmp_path_factory.mktemp("metrics") / "metrics.json"
    argv = ["metrics", "--checkpoint", str(shapes_ckpt), "--dataset", "shapes", "--n-train", "300", "--n-test", "150",
            "--metrics", "mig,sap,modularity,irs,unsupervised,factorvae,betavae,dci", "--seed", "3",
            "--json", str(out)]
    assert main(argv) == 0
    return json.loads(out.read_text())


def test_values_equal_the_metric_functions_on_the_same_split(shapes_ckpt, shapes_metrics):
    model = latentnav.load_checkpoint(shapes_ckpt)
    data = latentnav.load_dataset("shapes", "test")
    with torch.no_grad():
        codes = model.encode(torch.from_numpy(data.inputs)).numpy()
    train, test = split_train_test(strata(data.factors), 300, 150, seed=3)
    got = shapes_metrics["metrics"]
    assert shapes_metrics["n_train"] == 300 and shapes_metrics["n_test"] == 150
    assert got["mig"] == pytest.approx(metrics.mig(codes[train], data.factors[train]), abs=1e-12)
    assert got["sap"] == pytest.approx(metrics.sap(codes[train], data.factors[train], codes[test],
                                                   data.factors[test]), abs=1e-12)
    assert got["irs"] == pytest.approx(metrics.irs(codes[train], data.factors[train]), abs=1e-12)
    me = metrics.modularity_explicitness(codes[train], data.factors[train], codes[test], data.factors[test])
    assert got["modularity_modularity"] == pytest.approx(me.modularity, abs=1e-12)
    assert got["modularity_explicitness_test"] == pytest.approx(me.explicitness_test, abs=1e-12)
    un = metrics.unsupervised(codes[train])
    assert got["unsupervised_mutual_info_score"] == pytest.approx(un.mutual_info_score, abs=1e-12)
    grid = data.grid
    fv = metrics.factor_vae_score(lambda x: model.encode(torch.from_numpy(x)).detach().numpy(), grid, seed=3,
                                  n_train=300, n_eval=150)
    assert got["factorvae_eval_accuracy"] == pytest.approx(fv.eval_accuracy, abs=1e-12)
    result = latentnav.dci(np.concatenate([codes[train], codes[test]]),
                           np.concatenate([data.factors[train], data.factors[test]]), n_train=300, n_test=150, seed=3)
    assert got["dci_disentanglement"] == pytest.approx(result.disentanglement, abs=1e-12)
    for value in got.values():
        assert np.isfinite(value)


def test_shapes_grid_observations_are_the_rendered_images():
    data = latentnav.load_dataset("shapes", "train")
    rng = np.random.default_rng(0)
    factors = data.grid.sample_factors(50, rng)
    images = data.grid.observations(factors)
    row = {tuple(f): i for i, f in enumerate(data.factors.tolist())}
    for f, image in zip(factors.tolist(), images):
        if tuple(f) in row:
            np.testing.assert_array_equal(image, data.inputs[row[tuple(f)]])
    assert factors.min() >= 0 and (factors.max(axis=0) < np.array(data.grid.factor_sizes)).all()


def test_report_and_compare_show_the_metrics(shapes_ckpt, shapes_metrics, tmp_path, cli):
    (tmp_path / "m.json").write_text(json.dumps(shapes_metrics))
    store = tmp_path / "run.zarr"
    assert cli("traverse", "--checkpoint", shapes_ckpt, "--dataset", "shapes", "--limit", "6", "--out", store)[0] == 0
    code, _, err = cli("report", "--store", store, "--metrics", tmp_path / "m.json", "--out", tmp_path / "rep")
    assert code == 0, err
    markdown = (tmp_path / "rep" / "report.md").read_text()
    assert "## Disentanglement metrics" in markdown and f"| mig | {shapes_metrics['metrics']['mig']:.4f} |" in markdown
    code, _, err = cli("compare", tmp_path / "rep", "--out", tmp_path / "cmp")
    assert code == 0, err
    table = (tmp_path / "cmp" / "compare.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| run |"))
    assert "| mig |" in header and "| irs |" in header and "| factorvae_eval_accuracy |" in header
    row = json.loads((tmp_path / "cmp" / "compare.json").read_text())[0]
    assert row["metric:mig"] == shapes_metrics["metrics"]["mig"]


@pytest.mark.parametrize("extra, fragment", [
    (["--metrics", "mig,hsic"], "--metrics hsic unknown; choose from dci,mig"),
    (["--dataset", "digits", "--metrics", "factorvae"], "factorvae sample observations with one factor held fixed"),
    (["--n-train", "5", "--n-test", "1"], "--n-train and --n-test must each be >= 2"),
    (["--n-train", "5000", "--n-test", "100"], "exceed the 519 inputs available"),
])
def test_bad_input_is_one_line(shapes_ckpt, cli, extra, fragment):
    argv = ["metrics", "--checkpoint", shapes_ckpt, "--dataset", "shapes", *extra]
    code, _, err = cli(*argv)
    assert_one_error_line(code, err, fragment)
