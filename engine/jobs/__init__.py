"""Jobs: train, traverse, effects, DCI, report, study, sweep, Dask; I/O at the edge, stores through RunStore."""
