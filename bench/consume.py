"""Benchmark: consumption of scans, with and without the plugin enabled, interleaved.

Runs paperless's real ``consume_file`` task (OCR chi_sim+eng included) in two warm
instances, one with ``PAPERLESS_APPS=svc_archive_plugin`` and one without, each in its own
child process with its own data directory and database, set up and warmed once (one scan
consumed). The parent then drives them in turn (``bench/ab.py``: A B, B A …), so the
machine's load drifts over both alike, and prints each mode's median with its spread and
the ratio of the medians with the spread of the per-pair ratios. Two workloads:

- one one-page scan, ``--runs`` pairs (default 3);
- a batch of ``--batch-size`` multi-page Chinese scans (default 20, of 2, 3 and 4 pages
  in turn: 60 pages), consumed one after the other as the worker does, ``--batches``
  pairs (default 1: a batch takes minutes).

The plugin's share is its cover-sheet check and folder classification at task start
and its capture receiver (the two steps' own time per file is printed too); the target
is consumption with the plugin within 1.03x of without.

    scripts/bench.sh consume [--runs 3] [--batches 1] [--batch-size 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]

import pikepdf  # noqa: E402
from ab import Child  # noqa: E402
from ab import interleave  # noqa: E402
from ab import load_average  # noqa: E402
from ab import serve  # noqa: E402

from tests.pdfs import scanned_pdf  # noqa: E402

ONE = "one-page scan"
LINES = (
    "技术服务合同",
    "甲方北京市海淀区科技有限公司",
    "乙方负责设备的安装调试与维修",
    "服务期限自签订之日起一年",
    "验收合格后支付合同价款",
    "售后服务电话全天有人值守",
)


def multi_page_scan(path: Path, pages: int, tag: str) -> Path:
    """A scan of ``pages`` pages, each a few lines of Chinese and the tag (unique)."""
    with tempfile.TemporaryDirectory() as tmp, pikepdf.new() as pdf:
        for page in range(pages):
            lines = [LINES[(page + i) % len(LINES)] for i in range(4)]
            part = scanned_pdf(Path(tmp, f"{page}.pdf"), *lines, f"{tag}第{page + 1}页")
            with pikepdf.open(part) as one:
                pdf.pages.extend(one.pages)
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.save(path)
    return path


def child() -> None:
    """Inside Django, one mode: warm up, then consume what the parent asks for."""
    import django

    django.setup()
    from django.conf import settings
    from documents.data_models import ConsumableDocument
    from documents.data_models import DocumentMetadataOverrides
    from documents.data_models import DocumentSource
    from documents.tasks import consume_file

    folder = Path(settings.CONSUMPTION_DIR) / "HT"

    def consume(path: Path) -> None:
        result = consume_file.apply(
            kwargs={
                "input_doc": ConsumableDocument(DocumentSource.ConsumeFolder, path),
                "overrides": DocumentMetadataOverrides(),
            },
        ).get()
        assert "document_id" in result, result

    def handle(request: dict) -> dict:
        if request["workload"] == "classification":
            return _classification_cost(folder / "x.pdf")
        run = request["run"]
        if request["workload"] == ONE:
            path = scanned_pdf(
                folder / f"scan-{run}.pdf",
                "技术服务合同",
                f"合同编号第{run}号",
                "北京市海淀区",
            )
            started = time.perf_counter()
            consume(path)
            return {ONE: time.perf_counter() - started}
        # The batch is written first: only its consumption is timed.
        paths = [
            multi_page_scan(
                folder / f"batch-{run}-{i}.pdf",
                2 + i % 3,
                f"批次{run}文件{i}",
            )
            for i in range(request["size"])
        ]
        started = time.perf_counter()
        for path in paths:
            consume(path)
        return {request["name"]: time.perf_counter() - started}

    handle({"workload": ONE, "run": "warm"})
    serve(handle)


def _classification_cost(path: Path, repeat: int = 1000) -> dict:
    """Time the plugin's own step (folder classification into the overrides)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from documents.data_models import DocumentMetadataOverrides

    from svc_archive_plugin.services.capture import apply_to_overrides
    from svc_archive_plugin.services.capture import classify_folder
    from svc_archive_plugin.services.cover_sheets import read_cover_sheet

    consume_dir = path.parent.parent
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(repeat):
            apply_to_overrides(
                classify_folder(path, consume_dir),
                DocumentMetadataOverrides(),
            )
    per_file = (time.perf_counter() - started) / repeat * 1000
    # The cover-sheet check renders a PDF's first page and looks for the barcode.
    scan = multi_page_scan(path.with_name("cover.pdf"), 3, "封面检查")
    started = time.perf_counter()
    for _ in range(10):
        read_cover_sheet(scan)
    return {
        "ms": per_file,
        "queries": len(queries) // repeat,
        "cover_ms": (time.perf_counter() - started) / 10 * 1000,
    }


def start(name: str, apps: str, root: str) -> Child:
    """Set up one mode's instance (data directory, database, provisioning); its child."""
    env = {
        **os.environ,
        "PAPERLESS_APPS": apps,
        "PAPERLESS_SECRET_KEY": "bench",
        "PAPERLESS_DATA_DIR": f"{root}/data",
        "PAPERLESS_MEDIA_ROOT": f"{root}/media",
        "PAPERLESS_CONSUMPTION_DIR": f"{root}/consume",
        "PAPERLESS_SCRATCH_DIR": f"{root}/scratch",
        "PAPERLESS_CONSUMER_RECURSIVE": "true",
        "PAPERLESS_CACHE_BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "PAPERLESS_CHANNELS_BACKEND": "channels.layers.InMemoryChannelLayer",
        "DJANGO_SETTINGS_MODULE": "paperless.settings",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    for sub in ("data/index", "media", "consume/HT", "scratch"):
        Path(root, sub).mkdir(parents=True)
    manage = [sys.executable, "-m", "django"]
    subprocess.run(
        [*manage, "migrate", "--no-input"],
        env=env,
        check=True,
        capture_output=True,
    )
    if apps:
        subprocess.run(
            [*manage, "svc_archive_setup"],
            env=env,
            check=True,
            capture_output=True,
        )
    return Child(name, [sys.executable, __file__, "--child"], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="pairs of one-page scans")
    parser.add_argument("--batches", type=int, default=1, help="pairs of batches")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    batch = (
        f"batch of {args.batch_size} Chinese scans, 2-4 pages "
        f"({sum(2 + i % 3 for i in range(args.batch_size))} pages)"
    )
    print(
        "consume_file, OCR chi_sim+eng, with and without the plugin, interleaved in two "
        f"warm instances: {args.runs} pairs of a {ONE}, {args.batches} pairs of a {batch}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory() as with_root,
        tempfile.TemporaryDirectory() as without_root,
    ):
        started = time.perf_counter()
        children = (
            start("with plugin", "svc_archive_plugin", with_root),
            start("without plugin", "", without_root),
        )
        try:
            for c in children:
                c.ready()
            print(f"  set up and warmed in {time.perf_counter() - started:.0f} s")
            cost = children[0].ask({"workload": "classification"})
            print(
                f"  the plugin's own steps per file: folder classification "
                f"{cost['ms']:.3f} ms and {cost['queries']} queries, cover-sheet check "
                f"(first page rendered at 150 dpi, barcode search) {cost['cover_ms']:.0f} ms",
                flush=True,
            )
            requests = [{"workload": ONE, "run": i} for i in range(args.runs)] + [
                {"workload": "batch", "name": batch, "run": i, "size": args.batch_size}
                for i in range(args.batches)
            ]
            results = interleave(*children, requests)
        finally:
            for c in children:
                c.close()
    for comparison in results.values():
        print("\n".join(comparison.describe(("with plugin", "without plugin"))))
    print(f"  target: with / without <= 1.03; {load_average()}")


if __name__ == "__main__":
    main()
