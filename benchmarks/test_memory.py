"""Peak memory must not grow with the number of inputs: 10x more inputs, < 100 MiB more peak RSS."""

import os
import subprocess
import sys


def _peak_rss(checkpoint, n, out) -> int:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.rss_probe", str(checkpoint), str(n), str(out)],
                          capture_output=True, text=True, check=True, env={**os.environ, "TQDM_DISABLE": "1"})
    return int(proc.stdout.strip().splitlines()[-1])


def test_peak_rss_does_not_grow_with_inputs(benchmark, trained_ckpt, tmp_path, real_run):
    small, large = (1000, 10000) if real_run else (50, 500)
    rss_small = _peak_rss(trained_ckpt, small, tmp_path / "small.zarr")
    rss_large = benchmark.pedantic(_peak_rss, args=(trained_ckpt, large, tmp_path / "large.zarr"), rounds=1, iterations=1)
    growth_mib = (rss_large - rss_small) / 2**20
    benchmark.extra_info.update({"ratio_name": f"peak RSS growth {small} -> {large} inputs (MiB)",
                                 "growth_mib": round(growth_mib, 1), "rss_small_mib": round(rss_small / 2**20, 1),
                                 "rss_large_mib": round(rss_large / 2**20, 1), "limit_mib": 100})
    print(f"\npeak RSS {small} inputs: {rss_small / 2**20:.0f} MiB, {large} inputs: {rss_large / 2**20:.0f} MiB "
          f"(+{growth_mib:.0f} MiB, limit 100)")
    assert growth_mib < 100
