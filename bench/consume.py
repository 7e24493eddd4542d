"""Benchmark: one scanned document's consumption, with and without the plugin enabled.

Runs paperless's real ``consume_file`` task (OCR included) in a fresh instance per mode and
prints the median and best wall time of several runs. The plugin's share is its folder
classification at task start and its capture receiver.

    scripts/bench.sh            # or: python bench/consume.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(runs: int) -> None:
    """Inside Django: consume the same scan ``runs`` times and print the timings."""
    import django

    django.setup()
    from django.conf import settings
    from documents.data_models import ConsumableDocument
    from documents.data_models import DocumentMetadataOverrides
    from documents.data_models import DocumentSource
    from documents.tasks import consume_file

    sys.path.insert(0, str(REPO))
    from tests.pdfs import scanned_pdf

    timings = []
    for i in range(runs):
        path = scanned_pdf(
            Path(settings.CONSUMPTION_DIR) / "HT" / f"scan-{i}.pdf",
            "技术服务合同",
            f"合同编号第{i}号",
            "北京市海淀区",
        )
        started = time.perf_counter()
        result = consume_file.apply(
            kwargs={
                "input_doc": ConsumableDocument(DocumentSource.ConsumeFolder, path),
                "overrides": DocumentMetadataOverrides(),
            },
        ).get()
        timings.append(time.perf_counter() - started)
        assert "document_id" in result, result
    if "svc_archive_plugin" in settings.INSTALLED_APPS:
        print(_classification_cost(Path(settings.CONSUMPTION_DIR) / "HT" / "x.pdf"))
    print(" ".join(f"{t:.3f}" for t in timings))


def _classification_cost(path: Path, repeat: int = 1000) -> str:
    """Time the plugin's own step (folder classification into the overrides)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from documents.data_models import DocumentMetadataOverrides

    from svc_archive_plugin.services.capture import apply_to_overrides
    from svc_archive_plugin.services.capture import classify_folder

    consume_dir = path.parent.parent
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(repeat):
            apply_to_overrides(
                classify_folder(path, consume_dir),
                DocumentMetadataOverrides(),
            )
    per_file = (time.perf_counter() - started) / repeat * 1000
    return f"classification {per_file:.3f} ms {len(queries) // repeat} queries"


def measure(apps: str, runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as root:
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
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--runs", str(runs)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        lines = out.strip().splitlines()
        if apps:
            _, ms, _, queries, _ = lines[-2].split()
            print(
                f"  plugin's classification step: {ms} ms and {queries} queries per file",
            )
        return [float(t) for t in lines[-1].split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.runs)
        return
    print(
        f"consume_file of a one-page Chinese scan (OCR chi_sim+eng), {args.runs} runs each",
    )
    for label, apps in (("without plugin", ""), ("with plugin", "svc_archive_plugin")):
        timings = measure(apps, args.runs)
        print(
            f"  {label:15s} median {statistics.median(timings):6.2f} s   "
            f"best {min(timings):6.2f} s   runs: {', '.join(f'{t:.2f}' for t in timings)}",
        )


if __name__ == "__main__":
    main()
