"""Batch stage: find the images among files and folders, analyse them in worker processes or on
a Dask cluster, and stream back one result per input file as each one finishes.

HEIC/HEIF photos (what iPhones save) load like any other image: the loader registers
pillow-heif's opener on first use.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import multiprocessing
import os
import signal
import stat
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from detector.loading import ImageLoadError, one_line
from detector.report import SCHEMA, DimpleReport

if TYPE_CHECKING:
    from distributed import Client

    from detector.pipeline import Detector

PathInput = str | os.PathLike

#: File names that promise an image: such a file is analysed (and gets an error row) even when
#: its content is not an image; files with other names are taken only when their content is one.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
    | {".heic", ".heif", ".avif"}
)

#: Magic bytes: format name and the (offset, bytes) pairs its first bytes must all match.
SIGNATURES: tuple[tuple[str, tuple[tuple[int, bytes], ...]], ...] = (
    ("jpeg", ((0, b"\xff\xd8\xff"),)),
    ("png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    ("gif", ((0, b"GIF87a"),)),
    ("gif", ((0, b"GIF89a"),)),
    ("tiff", ((0, b"II*\x00"),)),
    ("tiff", ((0, b"MM\x00*"),)),
    ("webp", ((0, b"RIFF"), (8, b"WEBP"))),
    ("bmp", ((0, b"BM"), (6, b"\x00\x00\x00\x00"))),  # magic, then the reserved zero bytes
)
#: ISO base media brands (``ftyp`` box) of HEIF still images, and of AVIF.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})
#: Bytes read from a file to recognise its format.
SNIFF_BYTES = 64

#: Seconds a local worker may spend on one image before it is stopped and the file gets an
#: error row (``timeout`` of :func:`detect_batch`, ``--timeout`` of ``dimples batch``).
DEFAULT_TIMEOUT = 60.0
#: Test hook, read by local workers: a worker given the file named by this environment variable
#: hangs instead of analysing it, as a pipeline stuck in native code would, so that tests can
#: check the timeout for real. Unset in normal use.
HANG_ON_VARIABLE = "DIMPLES_TEST_HANG_ON"


def sniff_format(head: bytes) -> str | None:
    """The image format that a file's first bytes announce, or None.

    Parameters
    ----------
    head : bytes
        The first bytes of a file (:data:`SNIFF_BYTES` are enough).

    Returns
    -------
    str or None
        ``"jpeg"``, ``"png"``, ``"gif"``, ``"tiff"``, ``"webp"``, ``"bmp"``, ``"heif"`` or
        ``"avif"``; None when the bytes are not the start of an image in these formats.

    Examples
    --------
    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    'png'
    >>> sniff_format(b"hello") is None
    True
    """
    for name, parts in SIGNATURES:
        if all(head[offset : offset + len(magic)] == magic for offset, magic in parts):
            return name
    if head[4:8] == b"ftyp":
        box_end = min(len(head), int.from_bytes(head[:4], "big"))
        major = head[8:12]
        brands = {major} | {head[i : i + 4] for i in range(16, box_end - 3, 4)}
        if major in AVIF_BRANDS:
            return "avif"
        if brands & HEIF_BRANDS:
            return "heif"
    return None


def sniff_file(path: PathInput) -> str | None:
    """:func:`sniff_format` of a file's first bytes; None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return sniff_format(handle.read(SNIFF_BYTES))
    except OSError:
        return None


@dataclass(frozen=True)
class FoundImages:
    """What a walk over files and folders found.

    Attributes
    ----------
    paths : list of str
        Files to analyse, in walk order (sorted names), each file once by its real path.
    problems : list of str
        One line for each folder that could not be read.
    base : str
        The folder that the inputs have in common; overlays mirror the layout below it.
    """

    paths: list[str]
    problems: list[str]
    base: str


def find_images(
    inputs: PathInput | Iterable[PathInput], exclude: Iterable[PathInput] = ()
) -> FoundImages:
    """The image files among files and folders, folders searched recursively.

    A file found in a folder is taken when its content is an image (JPEG, PNG, WebP, TIFF,
    BMP, GIF, HEIC/HEIF, AVIF; see :func:`sniff_format`) or when its name ends like an image
    (``.jpg``, ...), so that a damaged photo or a text file named ``.jpg`` still gets its error
    row. Hidden files and folders (names starting with ``.``) are left out. Symbolic links are
    followed; each folder and each file is visited once, by real path, so link loops end.
    A file given directly is always taken, whatever its content, even when it does not exist.

    Parameters
    ----------
    inputs : path or iterable of paths
        Files and folders.
    exclude : iterable of paths
        Folders not to search (the batch's own overlay folder).

    Returns
    -------
    FoundImages

    Examples
    --------
    >>> found = find_images("sample_images")                 # doctest: +SKIP
    >>> found.paths[:2]                                       # doctest: +SKIP
    ['sample_images/back_moderate.jpg', 'sample_images/back_none.jpg']
    """
    roots = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    seen_dirs = {os.path.realpath(folder) for folder in exclude}
    seen_files: set[str] = set()
    paths: list[str] = []
    problems: list[str] = []
    for root in map(os.fspath, roots):
        found = _walk(root, seen_dirs, problems) if os.path.isdir(root) else [root]
        for path in found:
            real = os.path.realpath(path)
            if real not in seen_files:
                seen_files.add(real)
                paths.append(path)
    base = os.path.commonpath(
        [os.path.abspath(r if os.path.isdir(r) else os.path.dirname(r)) for r in roots]
        or [os.getcwd()]
    )
    return FoundImages(paths=paths, problems=problems, base=base)


def _walk(root: str, seen_dirs: set[str], problems: list[str]) -> Iterator[str]:
    """Candidate files below ``root``; adds the folders it enters to ``seen_dirs``."""

    def on_error(exc: OSError) -> None:
        problems.append(f"cannot read folder {exc.filename}: {exc.strerror or exc}")

    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_dirs:
            dirs.clear()
            continue
        seen_dirs.add(real)
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if not name.startswith(".") and _is_candidate(path):
                yield path


def _is_candidate(path: str) -> bool:
    """A regular file named like an image or holding one (a dangling link named like one)."""
    named_like_image = Path(path).suffix.lower() in IMAGE_SUFFIXES
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return named_like_image
    return regular and (named_like_image or sniff_file(path) is not None)


@dataclass(frozen=True)
class Job:
    """One file to analyse and what to make of it besides its row.

    Attributes
    ----------
    source : str
        The file's path as found; it becomes the row's ``source``.
    overlay : str or None
        Where to write the photo with the result drawn on it, or None.
    thumbnail : int or None
        Longest side in pixels of a JPEG thumbnail of the overlay to return, or None.
    """

    source: str
    overlay: str | None = None
    thumbnail: int | None = None


def make_jobs(
    found: FoundImages, overlays: PathInput | None = None, thumbnail: int | None = None
) -> list[Job]:
    """One :class:`Job` per found file; overlays go to ``overlays`` as ``<relative path>.png``,
    mirroring the folders below ``found.base`` (``photos/2024/a.jpg`` -> ``DIR/2024/a.jpg.png``)."""
    return [
        Job(
            source=path,
            overlay=None
            if overlays is None
            else os.path.join(
                overlays, os.path.relpath(os.path.abspath(path), found.base) + ".png"
            ),
            thumbnail=thumbnail,
        )
        for path in found.paths
    ]


#: Keys of a ``dimples/1`` row, in report order.
ROW_KEYS = tuple(DimpleReport(status="error", message="", image={}).to_dict())


def error_row(source: str, message: str) -> dict[str, Any]:
    """The row of a file that could not be analysed: status ``error``, the other keys null.

    Examples
    --------
    >>> row = error_row("notes.jpg", "notes.jpg is not an image this tool can read")
    >>> row["status"], row["score"], row["schema"]
    ('error', None, 'dimples/1')
    """
    return dict.fromkeys(ROW_KEYS) | {
        "schema": SCHEMA,
        "source": source,
        "status": "error",
        "message": message,
    }


@dataclass(frozen=True)
class BatchResult:
    """One input file's outcome in a batch.

    Attributes
    ----------
    row : dict
        The ``dimples/1`` row: ``report.to_dict()`` with ``source`` the file's path, or, for a
        file that could not be analysed, status ``error``, its one-line message and the other
        keys null.
    report : DimpleReport or None
        The full report, without its pixels (``report.pixels`` is None); None for error rows.
    thumbnail : bytes or None
        A small JPEG of the photo with the result drawn, when the job asked for one.
    warning : str or None
        A problem besides the row, e.g. an overlay that could not be written.

    Examples
    --------
    >>> result = BatchResult(error_row("a.jpg", "no such file: a.jpg"))
    >>> result.source, result.status, result.present
    ('a.jpg', 'error', None)
    """

    row: dict[str, Any]
    report: DimpleReport | None = None
    thumbnail: bytes | None = None
    warning: str | None = None

    @property
    def source(self) -> str:
        """The input file's path."""
        return self.row["source"]

    @property
    def status(self) -> str:
        """``ok``, ``no_person``, ..., or ``error`` for a file that could not be analysed."""
        return self.row["status"]

    @property
    def present(self) -> bool | None:
        """Whether dimples are visible; None unless ``status`` is ``ok``."""
        return self.row["present"]

    @property
    def score(self) -> float | None:
        """0..1 evidence of a visible pair; None unless ``status`` is ``ok``."""
        return self.row["score"]

    @property
    def prominence(self) -> str | None:
        """``none``, ``subtle``, ``moderate``, ``pronounced``; None unless ``status`` is ``ok``."""
        return self.row["prominence"]

    @property
    def message(self) -> str:
        """One or two plain sentences for a person, or the error's one-line reason."""
        return self.row["message"]

    def to_dict(self) -> dict[str, Any]:
        """The row (a copy)."""
        return dict(self.row)

    def to_json(self, indent: int | None = 2) -> str:
        """The row as a JSON string (``indent=None``: one line, as in the JSONL file)."""
        return json.dumps(self.row, indent=indent, ensure_ascii=False)


_DETECTOR_LOCK = threading.Lock()


@functools.cache
def process_detector() -> Detector:
    """This process's Detector, made on first use (see :func:`close_process_detector`)."""
    from detector.pipeline import Detector

    return Detector()


def close_process_detector() -> None:
    """Release this process's Detector, if it was made; call before the process exits (at
    interpreter exit MediaPipe can no longer close its models cleanly)."""
    with _DETECTOR_LOCK:
        if process_detector.cache_info().currsize:
            process_detector().close()
            process_detector.cache_clear()


def analyse_job(job: Job) -> BatchResult:
    """Analyse one file with this process's Detector (the model loads once per process).

    Never raises: a file that cannot be read or analysed gets an error row. This is the
    task that local workers and Dask workers run, so both produce the same rows.
    """
    try:
        with _DETECTOR_LOCK:  # one model per process, also under multithreaded Dask workers
            report = process_detector().detect(job.source)
    except ImageLoadError as exc:
        return BatchResult(error_row(job.source, one_line(exc)))
    except Exception as exc:  # whatever happens to a file, it gets exactly one row
        message = f"internal error ({type(exc).__name__}): {one_line(exc)}"
        return BatchResult(error_row(job.source, message))
    report = replace(report, source=job.source)
    thumbnail = warning = None
    if job.overlay is not None or job.thumbnail is not None:
        # Drawing needs OpenCV: imported only when asked, so that `dimples` starts quickly.
        from detector.html_report import thumbnail_jpeg
        from detector.overlay import draw_overlay

        drawn = draw_overlay(report.pixels, report)
        if job.thumbnail is not None:
            thumbnail = thumbnail_jpeg(drawn, job.thumbnail)
        if job.overlay is not None:
            try:
                Path(job.overlay).parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(drawn).save(job.overlay)
            except (OSError, ValueError) as exc:
                warning = f"cannot write overlay {job.overlay}: {one_line(exc)}"
    return BatchResult(
        report.to_dict(), replace(report, pixels=None), thumbnail=thumbnail, warning=warning
    )


def default_workers() -> int:
    """The number of cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_jobs(
    jobs: Iterable[Job],
    workers: int | None = None,
    client: Client | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Iterator[BatchResult]:
    """Run jobs in ``workers`` local processes (default: one per core) or on a Dask cluster,
    yielding one result per job as each finishes. Closing the generator stops the work.

    A local worker that spends more than ``timeout`` seconds on one job (None: no limit) is
    killed and replaced, and the job gets an error row; Dask tasks are not timed.
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout}")
    jobs = list(jobs)
    if client is not None:
        from detector.cluster import run_on_dask

        return run_on_dask(jobs, client)
    return _run_local(jobs, workers or default_workers(), timeout)


def detect_batch(
    inputs: PathInput | Iterable[PathInput],
    workers: int | None = None,
    *,
    client: Client | None = None,
    overlays: PathInput | None = None,
    thumbnail: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Iterator[BatchResult]:
    """Analyse many photos in parallel, yielding one result per file as each finishes.

    Parameters
    ----------
    inputs : path or iterable of paths
        Image files and folders; folders are searched recursively (see :func:`find_images`).
    workers : int, optional
        Worker processes, each loading the model once; default one per core.
    client : distributed.Client, optional
        Run on this Dask cluster instead (one model per worker process); the rows are the
        same as in local mode. Workers must see the files (and ``overlays``) at the same paths.
    overlays : path, optional
        Folder where each photo is written with the result drawn (``<relative path>.png``).
    thumbnail : int, optional
        Also return a JPEG thumbnail of the overlay, at most this many pixels on a side.
    timeout : float or None
        Seconds a local worker may spend on one file (the model's loading not counted); a
        worker that takes longer is killed and replaced, and the file gets an error row
        ``timed out after N s``. None: no limit. Not applied to Dask tasks.

    Yields
    ------
    BatchResult
        Completion order, not input order; ``result.source`` says which file it is.

    Warns
    -----
    RuntimeWarning
        For each folder that could not be read.

    Notes
    -----
    Local workers are started with ``spawn``: a script that calls this at top level must guard
    it with ``if __name__ == "__main__":``.

    Examples
    --------
    >>> from detector import detect_batch
    >>> for result in detect_batch("sample_images", workers=2):   # doctest: +SKIP
    ...     print(result.source, result.status, result.prominence)
    sample_images/back_none.jpg ok none
    ...
    """
    found = find_images(inputs, exclude=[] if overlays is None else [overlays])
    for problem in found.problems:
        warnings.warn(problem, RuntimeWarning, stacklevel=2)
    yield from run_jobs(make_jobs(found, overlays, thumbnail), workers, client, timeout)


#: What a local worker sends once its model is loaded: its job's time starts then.
_READY = "ready"


@dataclass
class _Worker:
    """A local worker process, the parent's end of its pipe, whether its model is loaded, the
    job it is running and the time (``time.monotonic``) by which that job must be done."""

    process: BaseProcess
    conn: Connection
    ready: bool = False
    job: Job | None = None
    deadline: float = math.inf


def _worker_main(conn: Connection) -> None:
    """A local worker: load the model, say it is ready, then run the jobs the parent sends
    until it sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    hang_on = os.environ.get(HANG_ON_VARIABLE)
    try:
        # A model that cannot load is not fatal here: analyse_job gives each file its row.
        with contextlib.suppress(Exception):
            process_detector()
        conn.send(_READY)
        while (job := conn.recv()) is not None:
            if job.source == hang_on:
                threading.Event().wait()  # the test hook: hang until killed
            conn.send(analyse_job(job))
    except (EOFError, BrokenPipeError):  # the parent is gone
        pass
    finally:
        close_process_detector()


def _start_worker(context: multiprocessing.context.BaseContext) -> _Worker:
    parent_end, child_end = context.Pipe()
    process = context.Process(target=_worker_main, args=(child_end,), daemon=True)
    with _ctrl_c_ignored():  # inherited: a Ctrl-C while the worker imports is the parent's too
        process.start()
    child_end.close()  # so that the parent's end reads EOF when the worker dies
    return _Worker(process, parent_end)


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ignore SIGINT in this block (only the main thread may change signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_local(jobs: list[Job], workers: int, timeout: float | None) -> Iterator[BatchResult]:
    """Jobs in worker processes, each with one job at a time; a worker that dies (killed, out
    of memory, crashed in native code) or spends more than ``timeout`` seconds on a job (after
    loading its model) costs an error row for its file and is replaced."""
    context = multiprocessing.get_context("spawn")
    queue = deque(jobs)
    running: dict[Connection, _Worker] = {}
    started: list[_Worker] = []

    def start() -> _Worker:
        started.append(_start_worker(context))
        return started[-1]

    def give_job(worker: _Worker) -> None:
        """Send the next job to ``worker``, or to a new worker if that one has died."""
        job = queue.popleft()
        try:
            worker.conn.send(job)
        except OSError:  # it died since its last result
            worker = start()
            worker.conn.send(job)
        worker.job = job
        worker.deadline = _deadline(timeout) if worker.ready else math.inf
        running[worker.conn] = worker

    try:
        for _ in range(min(workers, len(queue))):
            give_job(start())
        while running:
            soonest = min(worker.deadline for worker in running.values())
            for conn in wait(list(running), _seconds_until(soonest)):
                worker = running[conn]
                try:
                    result = conn.recv()
                except (EOFError, OSError):  # EOF, or reset when it died with a job unread
                    result = BatchResult(error_row(worker.job.source, _death_message(worker)))
                if result == _READY:  # its model is loaded: the job's time starts now
                    worker.ready, worker.deadline = True, _deadline(timeout)
                    continue
                del running[conn]
                if queue:
                    give_job(worker)
                else:
                    with contextlib.suppress(OSError):
                        conn.send(None)  # done: the worker closes its model and exits
                yield result
            now = time.monotonic()
            # A result already waiting counts as in time (this generator may be resumed late).
            late = [w for w in running.values() if w.deadline <= now and not w.conn.poll()]
            for worker in late:
                del running[worker.conn]
                worker.process.kill()
                worker.process.join()
                if queue:
                    give_job(start())
                yield BatchResult(error_row(worker.job.source, f"timed out after {timeout:g} s"))
    finally:
        for worker in started:
            if worker.conn in running:
                worker.process.terminate()
            worker.process.join()
            worker.conn.close()


def _deadline(timeout: float | None) -> float:
    """When a job given now must be done (``time.monotonic``); infinite without a timeout."""
    return math.inf if timeout is None else time.monotonic() + timeout


def _seconds_until(deadline: float) -> float | None:
    """Seconds from now until ``deadline``, at least 0; None (wait for ever) when infinite."""
    return None if deadline == math.inf else max(0.0, deadline - time.monotonic())


def _death_message(worker: _Worker) -> str:
    worker.process.join()
    code = worker.process.exitcode or 0
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
    return f"the worker process died while analysing this file ({how})"
