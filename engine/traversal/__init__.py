"""Latent traversal: value grids (range-mode registry), the batched latent tensor, chunk planning, in-memory API."""
