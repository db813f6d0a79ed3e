"""File descriptor 2 redirections: what native code prints is captured or silenced, and the
descriptor is always given back, also when threads redirect at the same time."""

from __future__ import annotations

import contextlib
import os
import threading

from detector.native import native_messages, quiet_native_stderr


def _descriptor_2_target() -> tuple[int, int]:
    status = os.fstat(2)
    return status.st_dev, status.st_ino


def test_messages_written_to_descriptor_2_are_captured_and_it_is_given_back():
    before = _descriptor_2_target()
    with native_messages() as messages:
        os.write(2, b"Corrupt JPEG data: premature end of data segment\n")
    assert messages == [b"Corrupt JPEG data: premature end of data segment\n"]
    assert _descriptor_2_target() == before
    with native_messages() as quiet:
        pass
    assert quiet == [b""] and not any(quiet)


def test_a_flood_of_messages_is_cut_short_instead_of_blocking():
    with native_messages() as messages:
        for _ in range(200):  # 200 x 1 KiB: past a pipe's 64 KiB buffer
            with contextlib.suppress(BlockingIOError):
                os.write(2, b"x" * 1024)
    assert 0 < len(messages[0]) < 200 * 1024


def test_threads_redirecting_at_once_leave_descriptor_2_as_it_was():
    before = _descriptor_2_target()
    captured: list[list[bytes]] = []

    def capture() -> None:
        for _ in range(50):
            with native_messages() as messages:
                os.write(2, b"a")
            captured.append(messages)

    def silence() -> None:
        for _ in range(50):
            with quiet_native_stderr():
                os.write(2, b"b")

    threads = [threading.Thread(target=f) for f in (capture, silence, capture, silence)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _descriptor_2_target() == before
    # Each capture saw exactly its own message: none lost to the other threads' redirections.
    assert len(captured) == 100 and all(messages == [b"a"] for messages in captured)
