"""One-call GPU check: the CUDA tests and the GPU benchmarks, in under 5 minutes on one GPU, with a summary.

Usage (from the repository root)::

    .venv/bin/python benchmarks/gpu_check.py [--out .benchmarks/gpu-check] [--collect-only] [--budget 280] [-k EXPR]

It runs two pytest sessions with this interpreter:

1. the CUDA tests: every test of ``tests/`` with the ``cuda`` marker of pyproject.toml (each also carries
   ``skipif(not torch.cuda.is_available())``; ``tests/test_gpu_script.py`` checks that no test has one without the
   other). They cover the CUDA code paths: the device uint8 conversion, the real out-of-memory halving of chunks,
   the chunk planner's free-memory reading, a traversal run on CUDA against the CPU (flat and convolutional
   models), and xgboost probes and DCI on CUDA;
2. the GPU benchmarks (``benchmarks/test_gpu_speed.py``), timed, with their ratios.

It writes ``OUT/summary.md`` and ``OUT/summary.json`` (and pytest's junit XML and benchmark JSON) and prints the
summary. Exit status: 0 when everything passed; 1 when a test failed, a step ran past the time budget, or, on a
machine with a GPU, a CUDA test was skipped (a CUDA path not exercised, e.g. xgboost missing). Without a GPU the
CUDA tests are collected and skipped and the check exits 0 (it says so): that is how it runs in CI.
``--collect-only`` lists the selected tests and runs nothing.
"""

import argparse
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SELECT = "cuda"  # pytest -m: the tests marked as needing a CUDA GPU
TEST_PATHS = ("tests",)
BENCHMARKS = ("benchmarks/test_gpu_speed.py",)
BUDGET_S = 280  # both steps together; leaves room under 5 minutes for the interpreter and CUDA start-up


def environment(python: str) -> dict:
    """Interpreter, torch, CUDA device and xgboost as the test sessions will see them."""
    code = ("import json, torch\n"
            "try:\n import xgboost; xgb = xgboost.__version__; xgb_cuda = bool(xgboost.build_info().get('USE_CUDA'))\n"
            "except Exception as e:\n xgb = xgb_cuda = None\n"
            "cuda = torch.cuda.is_available()\n"
            "print(json.dumps({'python': __import__('sys').version.split()[0], 'torch': torch.__version__,"
            " 'cuda': cuda, 'device': torch.cuda.get_device_name(0) if cuda else None,"
            " 'cuda_version': torch.version.cuda, 'xgboost': xgb, 'xgboost_cuda': xgb_cuda}))")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "python failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def pytest_command(python: str, paths, out: Path, name: str, collect_only: bool, extra_k: str | None,
                   benchmarks: bool) -> list[str]:
    """The pytest command of one step."""
    cmd = [python, "-m", "pytest", *paths, "-m", SELECT, "-p", "no:cacheprovider", "-rA", "-q"]
    if extra_k is not None:
        cmd += ["-k", extra_k]
    if collect_only:
        return cmd + ["--collect-only"]
    cmd += [f"--junitxml={out / f'{name}.xml'}"]
    if benchmarks:
        cmd += [f"--benchmark-json={out / f'{name}_benchmarks.json'}"]
    return cmd


def run_step(cmd: list[str], timeout: float) -> tuple[int, str, float]:
    """Run one pytest session; (exit code, its output, seconds). A step past ``timeout`` gets code -9."""
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=max(timeout, 1))
        code, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        code = -9
        text = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        text += f"\n(gpu_check: stopped after {timeout:.0f} s, the time budget)"
    return code, text, time.perf_counter() - start


def junit_results(path: Path) -> list[dict]:
    """Per test case of a junit XML: ``{"test", "outcome" (passed|failed|skipped), "message", "seconds"}``."""
    if not path.is_file():
        return []
    rows = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "skipped" if tag == "skipped" else "failed"
                message = (node.get("message") or "").splitlines()[0][:200] if node.get("message") else tag
                break
        rows.append({"test": f"{case.get('classname')}::{case.get('name')}", "outcome": outcome,
                     "message": message, "seconds": round(float(case.get("time") or 0.0), 3)})
    return rows


def benchmark_results(path: Path) -> list[dict]:
    """Per GPU benchmark: its name, best time, and the ratio/target/throughputs it recorded in ``extra_info``."""
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    return [{"name": b["name"], "min_s": b["stats"]["min"], **b.get("extra_info", {})} for b in data["benchmarks"]]


def collected(text: str) -> list[str]:
    """Test ids printed by ``pytest --collect-only -q``."""
    return [line.strip() for line in text.splitlines() if "::" in line and not line.startswith(("ERROR", "FAILED"))]


def verdict(env: dict, steps: list[dict]) -> list[str]:
    """Reasons the check fails (empty: it passed)."""
    problems = []
    if env.get("cuda") and not env.get("xgboost_cuda"):
        problems.append(f"xgboost {env.get('xgboost')} is built without CUDA: its CUDA probes fall back to the CPU")
    for step in steps:
        if step["code"] == -9:
            problems.append(f"{step['name']}: ran past the time budget")
        elif step["code"] not in (0, 5):  # 5: nothing selected (no GPU benchmarks collected is not a failure)
            problems.append(f"{step['name']}: pytest exited {step['code']}")
        for row in step["results"]:
            if row["outcome"] == "failed":
                problems.append(f"{row['test']} failed: {row['message']}")
            elif row["outcome"] == "skipped" and env.get("cuda"):
                problems.append(f"{row['test']} skipped on a machine with a GPU: {row['message']}")
    return problems


def summary_markdown(env: dict, steps: list[dict], problems: list[str], seconds: float) -> str:
    lines = ["# latentnav GPU check", "",
             f"- device: {env.get('device') or 'no CUDA GPU (the CUDA tests are skipped)'}; torch {env.get('torch')} "
             f"(CUDA {env.get('cuda_version')}); python {env.get('python')}; xgboost {env.get('xgboost')} "
             f"({'with' if env.get('xgboost_cuda') else 'without'} CUDA)",
             f"- result: {'PASSED' if not problems else 'FAILED'} in {seconds:.1f} s", ""]
    for step in steps:
        counts = {o: sum(r["outcome"] == o for r in step["results"]) for o in ("passed", "failed", "skipped")}
        lines += [f"## {step['name']} ({step['seconds']:.1f} s, pytest exit {step['code']}): "
                  + ", ".join(f"{n} {o}" for o, n in counts.items()), "",
                  "| test | outcome | s | note |", "|---|---|---|---|"]
        lines += [f"| {r['test']} | {r['outcome']} | {r['seconds']:.2f} | {r['message']} |" for r in step["results"]]
        for b in step.get("benchmarks", []):
            info = ", ".join(f"{k} {v}" for k, v in b.items() if k not in ("name",))
            lines.append(f"- benchmark {b['name']}: {info}")
        lines.append("")
    if problems:
        lines += ["## Problems", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(".benchmarks/gpu-check"),
                        help="folder of the summary (default .benchmarks/gpu-check, ignored by git)")
    parser.add_argument("--collect-only", action="store_true", help="list the selected tests, run nothing")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for both steps together")
    parser.add_argument("-k", dest="extra_k", default=None, help="narrow the selection further (pytest -k)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run pytest with")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    plan = [("cuda_tests", TEST_PATHS, False), ("gpu_benchmarks", BENCHMARKS, True)]
    if args.collect_only:
        status = 0
        for name, paths, bench in plan:
            code, text, _ = run_step(pytest_command(args.python, paths, args.out, name, True, args.extra_k, bench),
                                     args.budget)
            print(f"# {name}")
            print("\n".join(collected(text)))
            status = status or (code not in (0, 5))
        return int(status)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = environment(args.python)
    steps = []
    for name, paths, bench in plan:
        left = args.budget - (time.perf_counter() - start)
        code, text, seconds = run_step(pytest_command(args.python, paths, out, name, False, args.extra_k, bench), left)
        (out / f"{name}.log").write_text(text)
        step = {"name": name, "code": code, "seconds": round(seconds, 2), "results": junit_results(out / f"{name}.xml")}
        if bench:
            step["benchmarks"] = benchmark_results(out / f"{name}_benchmarks.json")
        steps.append(step)
    seconds = time.perf_counter() - start
    problems = verdict(env, steps)
    (out / "summary.json").write_text(json.dumps({"environment": env, "passed": not problems, "problems": problems,
                                                  "seconds": round(seconds, 1), "steps": steps}, indent=2) + "\n")
    text = summary_markdown(env, steps, problems, seconds)
    (out / "summary.md").write_text(text)
    print(text)
    print(f"summary: {out / 'summary.md'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
