"""A background chunk writer: compression and zarr I/O of chunk k overlap the compute of chunk k+1.

The writer calls ``write(k, payload)`` for each submitted chunk, in order, in one thread.

The queue is bounded (``max_pending`` chunks), so a slow disk throttles the producer and memory stays flat.
An error in the writer thread is raised in the producer at its next ``submit`` or at ``close``.
"""

import queue
import threading
from collections.abc import Callable

_STOP = object()


class ChunkWriter:
    """Write chunks from a background thread.

    Parameters
    ----------
    write : callable
        ``write(k, payload)`` makes chunk ``k`` durable (e.g. images, then effects, then done flags).
    max_pending : int
        Chunks that may wait in the queue; ``submit`` blocks beyond that.
    on_written : callable, optional
        Called in the writer thread as ``on_written(k, n_inputs)`` after chunk ``k`` is durable.
    """

    def __init__(self, write: Callable[[int, tuple], None], max_pending: int = 2,
                 on_written: Callable[[int, int], None] | None = None):
        self.write = write
        self.on_written = on_written
        self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="latentnav-writer", daemon=True)
        self._thread.start()

    def submit(self, k: int, n_inputs: int, payload: tuple) -> None:
        """Queue chunk ``k`` of ``n_inputs`` inputs; ``payload`` goes to ``write``. Blocks while the queue is full."""
        self._raise_if_failed()
        self._queue.put((k, n_inputs, payload))

    def close(self) -> None:
        """Wait until every queued chunk is written; raise the writer's error if there was one."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._raise_if_failed()

    def __enter__(self) -> "ChunkWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:  # the producer failed: let queued chunks finish (they are complete), do not mask its error
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if self._error is not None:
                continue  # drain without writing after a failure
            k, n_inputs, payload = item
            try:
                self.write(k, payload)
                if self.on_written is not None:
                    self.on_written(k, n_inputs)
            except BaseException as exc:  # reported to the producer
                self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
