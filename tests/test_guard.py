"""The benchmark guard passes and fails on ratios as it should."""

import json

from benchmarks.guard import check, main


def _doc(**info):
    return {"benchmarks": [{"name": "test_x", "extra_info": info}]}


def test_guard_on_ratios(tmp_path):
    assert check(_doc(ratio_name="a / b", ratio=7.0, target=6.0))[1] == []
    lines, failures = check(_doc(ratio_name="a / b", ratio=5.9, target=6.0))
    assert failures and "FAIL a / b: 5.90x" in failures[0]
    assert check(_doc(growth_mib=120.0, limit_mib=100))[1]
    assert check(_doc(ratio=50.0, target=40.0, accuracy_gap=0.02, accuracy_gap_limit=0.01))[1]
    assert check(_doc(ratio=25.0, target=20.0, dc_gap=0.01, dc_gap_limit=0.03))[1] == []
    lines, failures = check(_doc(ratio_name="dci", ratio=25.0, target=20.0, dc_gap=0.05, dc_gap_limit=0.03))
    assert failures == lines and failures[0].startswith("FAIL dci: 25.00x")
    assert "D/C gap 0.0500 over 0.03" in failures[0]
    store = dict(ratio_name="mlp", ratio=0.45, target=0.5, new_file_mb_per_s=400)
    assert check(_doc(**store))[1][0].endswith("(target >= 0.5x); new files written at 400 MB/s here")
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(_doc(ratio=1.0, target=2.0)))
    assert main([str(path)]) == 1
    path.write_text(json.dumps(_doc(ratio=3.0, target=2.0)))
    assert main([str(path)]) == 0
    path.write_text(json.dumps({"benchmarks": []}))
    assert main([str(path)]) == 1  # nothing measured is not a pass
