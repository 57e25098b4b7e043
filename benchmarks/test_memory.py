"""Peak memory must not grow with the number of inputs: 10x more inputs, < 100 MiB more peak RSS.

Both runs use the same chunk size (2,048 and 20,480 inputs: 256 a chunk, the cap; a run of 1,000 would be split
into smaller chunks so that writing overlaps decoding, and the comparison would measure the chunk size, not N).
The inputs themselves are an in-memory array the benchmark holds (18,432 x 784 float32 = 55 MiB more in the large
run; a dataset read from a file stays there): they are subtracted, so ``growth_mib`` (checked) is what latentnav
adds and ``raw_growth_mib`` the whole difference. Peak RSS of one run fluctuates by +-50 MiB on the 2-vCPU VM (the
allocator's arenas, 32 MiB chunks in flight): a longer run sees more of those swings, not a leak (RSS after each
chunk plateaus after ~10 chunks).
"""

import os
import subprocess
import sys


def _peak_rss(checkpoint, n, out) -> int:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.rss_probe", str(checkpoint), str(n), str(out)],
                          capture_output=True, text=True, check=True, env={**os.environ, "TQDM_DISABLE": "1"})
    return int(proc.stdout.strip().splitlines()[-1])


def test_peak_rss_does_not_grow_with_inputs(benchmark, trained_ckpt, tmp_path, real_run):
    small, large = (2048, 20480) if real_run else (50, 500)
    rss_small = _peak_rss(trained_ckpt, small, tmp_path / "small.zarr")
    rss_large = benchmark.pedantic(_peak_rss, args=(trained_ckpt, large, tmp_path / "large.zarr"), rounds=1, iterations=1)
    raw_growth_mib = (rss_large - rss_small) / 2**20
    growth_mib = raw_growth_mib - (large - small) * 784 * 4 / 2**20  # less the benchmark's own input array
    benchmark.extra_info.update({"ratio_name": f"peak RSS growth {small} -> {large} inputs, beyond the inputs (MiB)",
                                 "growth_mib": round(growth_mib, 1), "raw_growth_mib": round(raw_growth_mib, 1),
                                 "rss_small_mib": round(rss_small / 2**20, 1), "rss_large_mib": round(rss_large / 2**20, 1),
                                 "limit_mib": 100})
    print(f"\npeak RSS {small} inputs: {rss_small / 2**20:.0f} MiB, {large} inputs: {rss_large / 2**20:.0f} MiB "
          f"(+{raw_growth_mib:.0f} MiB, +{growth_mib:.0f} MiB beyond the inputs, limit 100)")
    assert growth_mib < 100
