"""Datasets: the embedded digits, MNIST and the generated shapes, as Dataset records."""
