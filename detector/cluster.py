"""Scale-out: batch jobs as tasks on a Dask distributed cluster (optional extra ``dask``).

Each worker process keeps one Detector (:func:`detector.batch.process_detector`), made by
:class:`DetectorPlugin` when the worker starts and closed when it stops; the tasks run
:func:`detector.batch.analyse_job`, the same function as local workers, so the rows are the same.
"""

from __future__ import annotations

from collections.abc import Iterator

from distributed import Client, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

from detector.batch import (
    BatchResult,
    Job,
    analyse_job,
    close_process_detector,
    error_row,
    process_detector,
)
from detector.loading import one_line

PLUGIN_NAME = "dimples-detector"


class DetectorPlugin(WorkerPlugin):
    """Loads the model once per worker process when the worker starts; releases it at the end.

    Examples
    --------
    >>> client.register_plugin(DetectorPlugin(), name=PLUGIN_NAME)   # doctest: +SKIP
    """

    def setup(self, worker: object) -> None:
        """Make this process's Detector."""
        process_detector()

    def teardown(self, worker: object) -> None:
        """Close it."""
        close_process_detector()


def run_on_dask(jobs: list[Job], client: Client) -> Iterator[BatchResult]:
    """Run jobs as tasks on the cluster behind ``client``, yielding results as they finish.

    The workers must see the files (and the overlay folder) at the same paths as this process.
    A task that fails (a worker lost, a task that cannot run) gets an error row; closing the
    generator cancels the tasks not yet done.
    """
    client.register_plugin(DetectorPlugin(), name=PLUGIN_NAME)
    futures = client.map(analyse_job, jobs, pure=False)
    job_of = {future.key: job for future, job in zip(futures, jobs, strict=True)}
    try:
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # whatever happens to a file, it gets exactly one row
                result = BatchResult(error_row(job_of[future.key].source, f"dask: {one_line(exc)}"))
            future.release()
            yield result
    finally:
        client.cancel(futures)
