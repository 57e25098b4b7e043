"""benchmarks/gpu_check.py: selects every CUDA test and GPU benchmark, runs on a machine without a GPU (all skip),
and fails when a CUDA path is not exercised on a machine with one."""

import ast
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.gpu_check import ROOT, collected, junit_results, verdict

SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _skips_without_cuda(node: ast.AST) -> bool:
    return "not torch.cuda.is_available()" in ast.unparse(node)


def _cuda_marker(node: ast.AST) -> bool:
    return ast.unparse(node).endswith("mark.cuda")


def cuda_tests_by_source(check=_skips_without_cuda) -> set[str]:
    """``path::function`` of every test with a ``check``-ed decorator (default: skipped without CUDA), found
    independently of pytest, by reading the sources (a module's ``pytestmark`` counts for each of its tests)."""
    found = set()
    for path in [*(ROOT / "tests").rglob("test_*.py"), *(ROOT / "benchmarks").glob("test_*.py")]:
        tree = ast.parse(path.read_text())
        module_mark = any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
                          and any(check(e) for e in ast.walk(n.value) if isinstance(e, ast.expr))
                          for n in tree.body)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                if module_mark or any(check(d) for d in node.decorator_list):
                    found.add(f"{path.relative_to(ROOT).as_posix()}::{node.name}")
    return found


def _run(*args, timeout=240):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_collect_only_selects_exactly_the_cuda_tests_and_gpu_benchmarks():
    done = _run("--collect-only")
    assert done.returncode == 0, done.stderr
    ids = collected(done.stdout)
    functions = {i.split("[")[0] for i in ids}
    expected = cuda_tests_by_source()
    assert len(expected) >= 11  # 4 older CUDA tests, 4 of test_cuda_paths.py, 3 GPU benchmarks
    assert expected <= functions, expected - functions
    for path in ("tests/traversal/test_cuda_paths.py", "tests/metrics/test_probes.py", "tests/store/test_store.py",
                 "benchmarks/test_gpu_speed.py"):
        assert any(i.startswith(path) for i in ids), path
    # the required paths: device uint8, real out-of-memory halving, xgboost on CUDA
    for name in ("uint8", "out_of_memory", "xgboost"):
        assert any(name in i and "cuda" in i for i in ids), name
    assert functions == expected  # the marker selects, not a name
    assert cuda_tests_by_source(_cuda_marker) == expected  # every GPU-only test is marked, every marked one skips


def test_runs_on_a_machine_without_gpu_and_writes_a_summary(tmp_path):
    done = _run("--out", tmp_path / "check")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "check" / "summary.json").read_text())
    assert summary["passed"] is True and summary["environment"]["cuda"] is False
    tests, benchmarks = summary["steps"]
    assert tests["name"] == "cuda_tests" and benchmarks["name"] == "gpu_benchmarks"
    outcomes = {r["test"].split("::")[-1].split("[")[0]: r["outcome"] for r in tests["results"]}
    assert len(outcomes) >= 7 and set(outcomes.values()) == {"skipped"}
    assert {r["outcome"] for r in benchmarks["results"]} == {"skipped"} and len(benchmarks["results"]) == 3
    text = (tmp_path / "check" / "summary.md").read_text()
    assert "no CUDA GPU" in text and "PASSED" in text and "PASSED" in done.stdout


def _step(*rows, code=0):
    return {"name": "cuda_tests", "code": code, "seconds": 1.0,
            "results": [{"test": t, "outcome": o, "message": m, "seconds": 0.1} for t, o, m in rows]}


def test_verdict_fails_on_failures_timeouts_and_skips_where_a_gpu_is():
    ok = _step(("a", "passed", ""), ("b", "skipped", "needs a CUDA GPU"))
    assert verdict({"cuda": False}, [ok]) == []  # no GPU: CUDA tests skip, that is fine
    gpu = {"cuda": True, "xgboost": "3.2.0", "xgboost_cuda": True}
    problems = verdict(gpu, [ok])
    assert problems == ["b skipped on a machine with a GPU: needs a CUDA GPU"]
    passed = _step(("c", "passed", ""))
    assert verdict(gpu, [passed]) == []
    assert verdict(gpu, [_step(("d", "failed", "AssertionError"), code=1)]) == [
        "cuda_tests: pytest exited 1", "d failed: AssertionError"]
    assert verdict(gpu, [_step(code=-9)]) == ["cuda_tests: ran past the time budget"]
    assert verdict(gpu, [_step(code=5)]) == []  # nothing collected in a step is not a failure
    # a CPU-only xgboost build (xgboost-cpu) silently fits "cuda" probes on the CPU: the check says so
    assert verdict({**gpu, "xgboost_cuda": False}, [passed]) == [
        "xgboost 3.2.0 is built without CUDA: its CUDA probes fall back to the CPU"]


def test_junit_results_reads_outcomes(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text('<testsuites><testsuite>'
                    '<testcase classname="tests.a" name="test_ok" time="0.5"/>'
                    '<testcase classname="tests.a" name="test_skip" time="0"><skipped message="needs a CUDA GPU"/></testcase>'
                    '<testcase classname="tests.b" name="test_bad" time="1.25"><failure message="assert 1 == 2&#10;more"/></testcase>'
                    '<testcase classname="tests.b" name="test_err" time="0"><error message="fixture broke"/></testcase>'
                    '</testsuite></testsuites>')
    rows = junit_results(path)
    assert [(r["test"], r["outcome"], r["message"]) for r in rows] == [
        ("tests.a::test_ok", "passed", ""), ("tests.a::test_skip", "skipped", "needs a CUDA GPU"),
        ("tests.b::test_bad", "failed", "assert 1 == 2"), ("tests.b::test_err", "failed", "fixture broke")]
    assert rows[2]["seconds"] == 1.25 and junit_results(tmp_path / "missing.xml") == []
