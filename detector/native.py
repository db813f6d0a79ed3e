"""File descriptor 2 for native libraries: MediaPipe and libjpeg print straight to it, past
Python's ``sys.stderr``, so their messages can only be silenced or read by pointing the
descriptor elsewhere for a while."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

#: Blocks of different threads take turns: interleaved, each would restore the descriptor the
#: other had set (stderr left silenced or pointing at a closed pipe).
_REDIRECTION = threading.RLock()


@contextlib.contextmanager
def native_stderr_to(fd: int) -> Iterator[None]:
    """Point file descriptor 2 at ``fd`` inside the block; Python's own errors are unaffected
    outside it. Threads take turns (within one photo the detector never needs two at once)."""
    with _REDIRECTION:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(fd, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what native code prints inside the block (MediaPipe prints dozens of lines at
    model load that would bury the CLI's own output)."""
    with open(os.devnull, "wb") as devnull, native_stderr_to(devnull.fileno()):
        yield


@contextlib.contextmanager
def native_messages() -> Iterator[list[bytes]]:
    """Capture what native code prints inside the block: the yielded list holds it, as one
    item, once the block ends. The pipe never blocks the writer: past its buffer (64 KiB)
    messages are dropped, which only a flood would reach."""
    read_end, write_end = os.pipe()
    captured: list[bytes] = []
    with os.fdopen(read_end, "rb") as reader:
        try:
            os.set_blocking(write_end, False)
            with native_stderr_to(write_end):
                yield captured
        finally:
            os.close(write_end)  # the reader then sees the end of what was written
        captured.append(reader.read())
