"""The report on a store whose roles are known by construction, the effects command, and bad input."""

import json
import shutil

import numpy as np
import pytest
import zarr

from conftest import assert_one_error_line
from latentnav.metrics.dci_probe import DCIConfig, compute_dci
from latentnav.jobs.report import run_report
from latentnav.jobs.traverse import TraverseConfig, traverse_dataset
from latentnav import LatentnavError
from toy_models import toy_dataset, toy_loaded_model


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("toyreport") / "toy.zarr"
    traverse_dataset(toy_loaded_model(), toy_dataset(12), path, TraverseConfig(chunk_size=4), progress=False)
    return path


@pytest.fixture(scope="module")
def toy_dci_json(tmp_path_factory):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    Z = np.c_[labels + 0.1 * rng.normal(size=200), rng.normal(size=(200, 2))].astype(np.float32)
    result = compute_dci(Z, labels[:, None], ["label"], DCIConfig())
    path = tmp_path_factory.mktemp("dci") / "dci.json"
    path.write_text(json.dumps(result.to_dict()))
    return path


def test_report_json_and_markdown(toy_store, toy_dci_json, tmp_path):
    result = run_report(toy_store, tmp_path / "rep", dci_json=toy_dci_json, inputs=[2, 9])
    data = json.loads(result.json.read_text())
    dims = {d["dim"]: d for d in data["dimensions"]}
    assert set(dims) == {0, 1, 2}
    assert dims[2]["modal_role"] == "no effect" and dims[2]["consistency"] == 1.0
    assert dims[0]["modal_role"] == "identity" and dims[1]["modal_role"] == "stroke/rotation"
    assert dims[0]["roles"] == {str(i): "identity" for i in range(12)}
    assert set(dims[1]["role_shares"]) == {"no effect", "identity", "stroke/rotation", "refinement"}
    assert data["dci"][0]["R"] and data["comparison"]["inputs"] == [2, 9]
    md = result.markdown.read_text()
    assert "| 3 (z[2]) | no major impact | 1.00 |" in md
    assert "| 1 (z[0]) | identity | 1.00 |" in md and "0 → 1 (100%)" in md
    assert "| 2 (z[1]) | stroke and rotation | 1.00 |" in md
    assert "## DCI" in md and "- Informativeness (accuracy): " in md
    for name in ("grid_input2.png", "grid_input9.png", "heatmap.png", "roles.png", "transitions.png", "hinton_label.png"):
        assert (tmp_path / "rep" / "figures" / name).stat().st_size > 1000, name
    for link in [part.split(")")[0] for part in md.split("](")[1:]]:
        assert (tmp_path / "rep" / link).is_file(), link


def test_report_thresholds_change_roles(toy_store, tmp_path):
    from latentnav.effects.roles import RoleThresholds

    result = run_report(toy_store, tmp_path / "rep", inputs=[0], thresholds=RoleThresholds(slant=10, thickness=10))
    dims = {d["dim"]: d for d in json.loads(result.json.read_text())["dimensions"]}
    assert dims[1]["modal_role"] == "refinement"  # the shear no longer counts as stroke/rotation


def test_report_bad_input(toy_store, tmp_path, cli):
    code, _, err = cli("report", "--store", toy_store, "--inputs", "99", "--out", tmp_path / "r")
    assert_one_error_line(code, err, "no traversal of inputs [99]")
    (tmp_path / "junk.json").write_text("not json")
    code, _, err = cli("report", "--store", toy_store, "--dci", tmp_path / "junk.json", "--out", tmp_path / "r")
    assert_one_error_line(code, err, "cannot be read as JSON")
    code, _, err = cli("report", "--store", toy_store, "--slant", "-1", "--out", tmp_path / "r")
    assert_one_error_line(code, err, "--slant (a role threshold) must be a finite number >= 0")
    unfinished = tmp_path / "unfinished.zarr"
    shutil.copytree(toy_store, unfinished)
    zarr.open_group(str(unfinished), mode="r+")["done"][0] = False
    with pytest.raises(LatentnavError, match="unfinished"):
        run_report(unfinished, tmp_path / "r")


def test_effects_command_fills_a_store_traversed_without_effects(digits_ckpt, tmp_path, cli):
    with_fx, without = tmp_path / "with.zarr", tmp_path / "without.zarr"
    base = ["traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "10", "--chunk-size", "4"]
    assert cli(*base, "--out", with_fx)[0] == 0
    assert cli(*base, "--no-effects", "--out", without)[0] == 0
    code, _, err = cli("report", "--store", without, "--out", tmp_path / "r")
    assert_one_error_line(code, err, "lacks effects", "latentnav effects --store")
    code, out, err = cli("effects", "--store", without)
    assert code == 0 and "3 of 3 chunks computed" in out, err
    code, out, _ = cli("effects", "--store", without)
    assert "0 of 3 chunks computed" in out
    a, b = zarr.open_group(str(with_fx), mode="r"), zarr.open_group(str(without), mode="r")
    for name in ("pixel_change", "classes", "class_prob", "morphometrics", "recon_class", "recon_morphometrics"):
        assert np.array_equal(a[name][...], b[name][...]), name
    assert cli("report", "--store", without, "--out", tmp_path / "r")[0] == 0


def test_effects_refuses_another_model(digits_ckpt, tmp_path, cli):
    store = tmp_path / "s.zarr"
    cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "4", "--no-effects", "--out", store)
    assert cli("train", "--epochs", "1", "--seed", "5", "--out", tmp_path / "other.pth")[0] == 0
    code, _, err = cli("effects", "--store", store, "--checkpoint", tmp_path / "other.pth")
    assert_one_error_line(code, err, "is not the model that wrote")


def test_compare_two_runs(toy_store, toy_dci_json, tmp_path, cli):
    run_report(toy_store, tmp_path / "a" / "report", dci_json=[toy_dci_json], inputs=[0])
    run_report(toy_store, tmp_path / "b" / "report", inputs=[1])
    code, out, err = cli("compare", tmp_path / "a", tmp_path / "b" / "report" / "report.json", "--out", tmp_path / "cmp")
    assert code == 0, err
    rows = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert [r["name"] for r in rows] == ["a", "b"]
    dci = json.loads(toy_dci_json.read_text())
    assert rows[0]["completeness"] == dci["completeness"] and rows[1]["completeness"] is None
    assert rows[0]["mean_consistency"] == 1.0 and rows[0]["no_effect_share"] == pytest.approx(1 / 3)
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert md.count("| toy |") == 2 and (tmp_path / "cmp" / "compare.png").is_file()
    assert (tmp_path / "cmp" / "compare.csv").read_text().splitlines()[0].startswith("name,model,kind")
    code, _, err = cli("compare", tmp_path / "nothing", "--out", tmp_path / "cmp2")
    assert_one_error_line(code, err, "no report.json")


def test_study_reuses_a_dci_file_only_for_the_same_checkpoint(tmp_path):
    from latentnav.jobs.study import _made_by

    path = tmp_path / "dci_label.json"
    assert not _made_by(path, "abc")
    path.write_text(json.dumps({"source": {"model": {"sha256": "abc"}}}))
    assert _made_by(path, "abc") and not _made_by(path, "def")
    path.write_text("{not json")
    assert not _made_by(path, "abc")
    path.write_text(json.dumps({"source": {"model": {"sha256": "abc"}}, "seconds": {"mig": 0.1, "sap": 0.2}}))
    assert _made_by(path, "abc", metrics=["mig", "sap"]) and not _made_by(path, "abc", metrics=["mig"])
