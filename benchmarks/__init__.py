"""pytest-benchmark suite of latentnav: throughput, memory and probe speed, as ratios measured in one run."""
