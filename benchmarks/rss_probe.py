"""Peak RSS of one traversal in a fresh process: ``python -m benchmarks.rss_probe CKPT N OUT.zarr``.

Prints the process's peak resident set size in bytes (``ru_maxrss``), the figure the memory benchmark compares
between input counts.
"""

import resource
import sys

from benchmarks.conftest import tiled_digits
from latentnav.jobs.traverse import TraverseConfig, traverse_dataset
from latentnav import load_checkpoint


def main(argv: list[str]) -> None:
    checkpoint, n, out = argv[0], int(argv[1]), argv[2]
    traverse_dataset(load_checkpoint(checkpoint), tiled_digits(n), out, TraverseConfig(effects=False), progress=False)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # Linux reports KiB


if __name__ == "__main__":
    main(sys.argv[1:])
