"""``latentnav dci`` from the command line: the article's lines, JSON, Hinton diagram, bad input."""

import json

import pytest

from conftest import assert_one_error_line


def test_dci_prints_article_lines_and_writes_json_and_plot(digits_ckpt, tmp_path, cli):
    code, out, err = cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--probe", "xgboost",
                         "--json", tmp_path / "dci.json", "--plot", tmp_path / "hinton.png")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "DCI Metrics"
    assert lines[1].startswith("- Informativeness (accuracy): ") and len(lines[1].split(": ")[1]) == 6
    assert lines[2].startswith("- Disentanglement: ") and lines[3].startswith("- Completeness: ")
    data = json.loads((tmp_path / "dci.json").read_text())
    assert len(data["R"]) == 16 and len(data["R"][0]) == 1
    assert data["article"]["disentanglement"] == pytest.approx(float(lines[2].split(": ")[1]), abs=5e-5)
    assert data["n_train"] + data["n_test"] == 360 and data["probe_device"] in ("cpu", "cuda")
    assert (tmp_path / "hinton.png").stat().st_size > 1000


def test_dci_onehot_json_per_factor(digits_ckpt, tmp_path, cli):
    code, out, err = cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--factors", "onehot",
                         "--json", tmp_path / "d.json")
    assert code == 0, err
    data = json.loads((tmp_path / "d.json").read_text())
    assert [f["name"] for f in data["per_factor"]] == [f"class {c}" for c in range(10)]
    assert 0.0 <= data["disentanglement"] <= 1.0 and "class 9" in out


def test_dci_workers_give_the_serial_json(digits_ckpt, tmp_path, cli):
    paths = [tmp_path / f"w{w}.json" for w in (1, 2)]
    for workers, path in zip((1, 2), paths):
        code, _, err = cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--factors", "onehot",
                           "--workers", str(workers), "--json", path)
        assert code == 0, err
    serial, parallel = (json.loads(p.read_text()) for p in paths)
    assert parallel["config"]["workers"] == 2
    assert serial["R"] == parallel["R"] and serial["disentanglement"] == parallel["disentanglement"]


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--probe", "forest"], "--probe 'forest' is unknown"),
        (["--factors", "colour"], "--factors 'colour' is unknown"),
        (["--factors", "all"], "no ground-truth factors"),
        (["--n-train", "300", "--n-test", "100"], "exceed the 360 inputs"),
        (["--n-train", "1"], "--n-train must be >= 2"),
        (["--bootstrap", "-1"], "--bootstrap must be >= 0"),
        (["--device", "gpu"], "--device 'gpu' is unknown"),
        (["--workers", "0"], "--workers must be an integer >= 1"),
    ],
)
def test_dci_bad_arguments(digits_ckpt, cli, extra, fragment):
    code, _, err = cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", *extra)
    assert_one_error_line(code, err, fragment)


def test_dci_never_overwrites_outputs(digits_ckpt, tmp_path, cli):
    target = tmp_path / "dci.json"
    target.write_text("{}")
    code, _, err = cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--json", target)
    assert_one_error_line(code, err, "already exists")
    assert target.read_text() == "{}"
