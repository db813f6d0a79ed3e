"""Scale-out on Dask: a LocalCluster with two worker processes gives the same rows, overlays and
thumbnails as local worker processes (skipped where the ``dask`` extra is not installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES

from detector import detect_batch
from detector.results import read_rows

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes on this machine."""
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as local_cluster:
        yield local_cluster


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for name in ("back_pronounced.jpg", "back_side_light_moderate.jpg", "front_view.jpg"):
        shutil.copy(SAMPLES / name, root / name)
    shutil.copy(SAMPLES / "back_subtle.jpg", root / "sub" / "back_subtle.jpg")
    (root / "sub" / "notes.jpg").write_text("not a photo")
    return root


def test_dask_and_local_workers_give_identical_results(cluster, photos, tmp_path):
    with distributed.Client(cluster) as client:
        on_dask = {
            result.source: result
            for result in detect_batch(
                photos, client=client, overlays=tmp_path / "dask", thumbnail=96
            )
        }
    local = {
        result.source: result
        for result in detect_batch(photos, workers=2, overlays=tmp_path / "local", thumbnail=96)
    }
    assert len(on_dask) == 5
    assert {s: r.row for s, r in on_dask.items()} == {s: r.row for s, r in local.items()}
    assert {s: r.thumbnail for s, r in on_dask.items()} == {
        s: r.thumbnail for s, r in local.items()
    }
    assert on_dask[str(photos / "sub" / "notes.jpg")].status == "error"
    overlays = sorted(
        p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*.png")
    )
    assert len(overlays) == 4
    for overlay in overlays:
        assert (tmp_path / "dask" / overlay).read_bytes() == (
            tmp_path / "local" / overlay
        ).read_bytes()


def _batch(photos: Path, out: Path, *args: str) -> list[dict]:
    """Rows of ``dimples batch`` (sorted by source); checks the exit status and summary."""
    result = subprocess.run(
        [sys.executable, "-m", "detector.cli", "batch", str(photos), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = result.stderr.splitlines()
    assert summary[0].startswith("5 files: 5 analysed in ") and "error 1" in summary[1]
    return sorted(read_rows(out)[0], key=lambda row: row["source"])


def test_batch_command_on_a_dask_scheduler_writes_the_same_rows(cluster, photos, tmp_path):
    on_dask = _batch(photos, tmp_path / "dask.jsonl", "--dask", cluster.scheduler_address)
    local = _batch(photos, tmp_path / "local.jsonl", "--workers", "2")
    assert on_dask == local and len(local) == 5
