"""Range sanity: coverage = half-width of the range / code std, flagged below 0.5 for the fixed mode only."""

import json

import numpy as np
import pytest
import torch

from latentnav.traversal.grid import GridConfig, traversal_values
from latentnav.traversal.range_check import MIN_COVERAGE, check_range, compact_dims, range_coverage


def _codes_with_std(stds, n=2000, seed=0):
    """(n, L) codes whose per-column population std is exactly ``stds`` (standardised, then scaled)."""
    z = np.random.default_rng(seed).normal(size=(n, len(stds)))
    z = (z - z.mean(0)) / z.std(0)
    return z * np.asarray(stds, dtype=np.float64) + 5.0


def test_std_10_with_the_articles_range_covers_0_3_and_is_flagged():
    values = traversal_values(GridConfig(), np.zeros((1, 1)))  # (1, 10): linspace(-3, 3, 10)
    assert range_coverage(values, np.array([10.0])) == pytest.approx([0.3])
    check = check_range(values, _codes_with_std([10.0]), [0])
    assert check.coverage == pytest.approx([0.3]) and check.std == pytest.approx([10.0])
    assert check.flagged == (0,)
    assert "1 of 1 dims" in check.warning and "--range-mode sigma" in check.warning


def test_coverage_by_hand_and_threshold_edges():
    values = np.array([[-3.0, 3.0], [-1.0, 1.0], [0.0, 4.0], [2.0, 2.5]])  # half-widths 3, 1, 2, 0.25
    std = np.array([6.0, 1.0, 8.0, 0.0])
    assert range_coverage(values, std).tolist() == [0.5, 1.0, 0.25, np.inf]
    codes = _codes_with_std([6.0, 1.0, 8.0, 1.0])
    codes[:, 3] = 7.0  # a constant code: std 0, any range moves it
    check = check_range(values, codes, [0, 1, 2, 3])
    assert check.flagged == (2,)  # exactly 0.5 is enough; 0.25 is not; std 0 never flagged
    assert check.coverage[3] == np.inf and json.loads(json.dumps(check.to_dict()))["coverage"][3] is None


def test_demo_like_codes_flag_every_dim_and_the_warning_is_compact():
    stds = np.linspace(6.1, 14.0, 16)
    codes = _codes_with_std(stds)
    values = traversal_values(GridConfig(), codes)
    check = check_range(values, codes, range(16))
    np.testing.assert_allclose(check.coverage, 3.0 / stds)
    assert check.flagged == tuple(range(16))
    assert check.warning == ("the fixed range -3..3 covers less than +-0.5 std of the codes in 16 of 16 dims "
                             "(z[0-15]: code std 6.1..14, coverage 0.49 at most); it barely moves them: "
                             "use --range-mode sigma (or a wider --low/--high)")
    record = check.to_dict()
    assert record["flagged"] == list(range(16)) and record["warning"] == check.warning
    assert record["low"] == -3.0 and record["high"] == 3.0 and record["n_codes"] == 2000


def test_only_the_traversed_dims_are_checked_and_listed():
    stds = [1.0, 10.0, 1.0, 10.0, 10.0, 10.0, 1.0, 10.0]
    codes = _codes_with_std(stds)
    dims = [0, 1, 3, 4, 5, 7]
    values = traversal_values(GridConfig(), codes)[dims]
    check = check_range(values, codes, dims)
    assert check.flagged == (1, 3, 4, 5, 7)
    assert "5 of 6 dims (z[1, 3-5, 7]: code std 10," in check.warning


@pytest.mark.parametrize("mode", ["sigma", "minmax", "quantile"])
def test_data_driven_modes_are_never_flagged(mode):
    codes = _codes_with_std([0.01, 10.0, 1000.0])
    grid = GridConfig(mode=mode, sigma_k=0.1)  # even a very narrow sigma range: the user chose the data's scale
    check = check_range(traversal_values(grid, codes), codes, range(3), mode)
    assert check.flagged == () and check.warning is None
    if mode == "sigma":
        np.testing.assert_allclose(check.coverage, 0.1, rtol=1e-3)  # values are float32


def test_sigma_mode_with_default_k_covers_three_std():
    codes = _codes_with_std([0.5, 7.0, 14.0])
    check = check_range(traversal_values(GridConfig(mode="sigma"), codes), codes, range(3), "sigma")
    np.testing.assert_allclose(check.coverage, 3.0, rtol=1e-5)
    assert check.coverage.min() > MIN_COVERAGE


def test_unit_scale_codes_are_not_flagged_and_one_code_gives_no_std():
    codes = _codes_with_std([1.0, 2.0, 5.9])
    check = check_range(traversal_values(GridConfig(), codes), codes, range(3))
    assert check.flagged == () and check.warning is None  # 3/5.9 = 0.508 >= 0.5
    single = check_range(traversal_values(GridConfig(), codes[:1]), codes[:1], range(3))
    assert single.flagged == () and np.isinf(single.coverage).all()


def test_compact_dims():
    assert compact_dims([0, 1, 2, 3, 7, 9, 10]) == "0-3, 7, 9-10"
    assert compact_dims([5]) == "5" and compact_dims([3, 1, 2]) == "1-3"


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"values must be \(D, S\)"):
        range_coverage(np.zeros((2, 3)), np.ones(3))


def test_traverse_and_report_warn_and_record_the_range(digits_ckpt, tmp_path, cli):
    from latentnav import load_checkpoint, load_dataset
    from latentnav.store import open_store

    store = tmp_path / "fixed.zarr"
    code, out, err = cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "40",
                         "--out", store)
    assert code == 0, err
    # independent answer: the std of the codes of the split's first inputs (fewer than 1,000 traversed: the first
    # 1,000 of the split, i.e. all 360 of digits' test split)
    record = open_store(store).attrs["range_check"]
    assert record["n_codes"] == 360 and record["mode"] == "fixed"
    model = load_checkpoint(digits_ckpt)
    inputs = np.asarray(load_dataset("digits", "test").inputs[:1000])
    z = model.encode(torch.from_numpy(inputs)).detach().numpy().astype(np.float64)
    expected = 3.0 / z.std(axis=0)
    np.testing.assert_allclose(record["coverage"], expected, rtol=1e-3)
    flagged = [d for d in range(16) if expected[d] < MIN_COVERAGE]
    assert record["flagged"] == flagged and flagged  # this unregularised autoencoder's codes spread wide
    warnings = [line for line in err.splitlines() if line.startswith("latentnav: warning: ")]
    assert warnings == [f"latentnav: warning: {record['warning']}"]
    assert f"{len(flagged)} of 16 dims" in warnings[0] and "--range-mode sigma" in warnings[0]

    code, _, err = cli("report", "--store", store, "--out", tmp_path / "report")
    assert code == 0, err
    assert f"latentnav: warning: {record['warning']}" in err
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["range"] == record
    assert f"> **Note on the range:** {record['warning']}." in (tmp_path / "report" / "report.md").read_text()

    code, _, err = cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "40",
                       "--range-mode", "sigma", "--out", tmp_path / "sigma.zarr")
    assert code == 0 and "warning" not in err
    sigma = open_store(tmp_path / "sigma.zarr").attrs["range_check"]
    assert sigma["flagged"] == [] and sigma["warning"] is None
    np.testing.assert_allclose(sigma["coverage"], 3.0, rtol=1e-3)


def test_demo_shows_the_fixed_and_the_sigma_range(tmp_path, cli):
    code, out, err = cli("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    main = json.loads((tmp_path / "demo" / "report" / "report.json").read_text())
    fixed = json.loads((tmp_path / "demo" / "fixed" / "report" / "report.json").read_text())
    assert main["range"]["mode"] == "sigma" and main["range"]["flagged"] == [] and len(main["dci"]) == 2
    np.testing.assert_allclose(main["range"]["coverage"], 3.0, rtol=1e-3)  # sigma: mean +- 3 std
    assert fixed["range"]["mode"] == "fixed" and fixed["range"]["low"] == -3.0 and fixed["dci"] == []
    assert fixed["range"]["flagged"] == list(range(16))  # the demo's codes have stds of 6 to 14
    assert "range: the main report above uses the sigma range" in out
    assert f"{fixed['range']['warning']}" in out and str(tmp_path / "demo" / "fixed" / "report" / "report.md") in out
    # the sigma range moves the latents: fewer "refinement" (barely moving) traversals than the fixed range
    refinement = [sum(d["role_shares"]["refinement"] for d in r["dimensions"]) for r in (main, fixed)]
    assert refinement[0] < refinement[1]
