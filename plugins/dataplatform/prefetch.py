"""Read an iterator in a background thread, a bounded number of batches ahead of its consumer.

A MongoDB cursor spends most of its time waiting for the server; the extract spends its own time
encoding, compressing and uploading. With the cursor read in a thread (socket waits release the
GIL) the two overlap, and at most `depth` batches of `batch_size` items are ever held: memory
stays bounded. An error in the reader is raised in the consumer; a consumer that stops early (or
fails) stops the reader.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()
_POLL_S = 0.5


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def prefetched(items: Iterable, batch_size: int, depth: int = 2) -> Iterator:
    """The items of `items`, in order, read ahead in a thread."""
    batches: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(value) -> bool:
        while not stop.is_set():
            try:
                batches.put(value, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        batch = []
        try:
            for item in items:
                batch.append(item)
                if len(batch) >= batch_size:
                    if not offer(batch):
                        return
                    batch = []
            if (not batch or offer(batch)) and offer(_DONE):
                return
        except BaseException as error:  # handed to the consumer, which raises it
            offer(_Failed(error))

    reader = threading.Thread(target=read, name="prefetch", daemon=True)
    reader.start()
    try:
        while (batch := batches.get()) is not _DONE:
            if isinstance(batch, _Failed):
                raise batch.error
            yield from batch
    finally:
        stop.set()
        reader.join()
