"""What each dimension does: morphometrics, per-traversal effects, roles (role registry), effects on xarray."""
