"""Benchmark: the fixity check 四性检测 — throughput and peak memory as the archive grows.

Seeds a throw-away instance (SQLite, or PostgreSQL when ``PAPERLESS_DBHOST`` is set) with
documents that have real files on disk and their real SHA-256, as paperless stores them:
each document an original PDF and its archive version (``--kb`` KB each, incompressible
content), plus ``--large`` documents whose original and archive version are ``--large-mb``
MB each. Then, at each size (default 5,000 and then 20,000 documents), it runs the whole
check twice, each in a fresh process so that process's peak RSS is the check's alone:

- cold: every file evicted from the page cache first (``posix_fadvise DONTNEED``), so the
  files come from the disk, as on a weekly run;
- warm: at once again, the files in the page cache — hashing and PDF opening only.

It prints documents/s, files/s, MB/s, the peak RSS of each run's process (before the
check: after Django's set-up; after it), and how much of the resident memory the check
added: heap (anonymous) and mapped files. The point: the heap stays the same at every size
(the check streams the documents in chunks and reads files in 1 MiB blocks). On SQLite
the mapped part grows with the database read, up to the 128 MB paperless lets SQLite map.

Then, at the largest size, the parallel check against the physical limit: the same files
(warm, in the page cache) hashed by ``sha256sum`` in one process and in two processes
over halves, then checked by one fixity worker process and by two at once, each claiming
parts of the same run (on PostgreSQL when ``PAPERLESS_DBHOST`` is set). It prints files/s
and MB/s of each, and each fixity worker's MB/s against one ``sha256sum`` process's.

    scripts/bench.sh fixity
    python bench/fixity.py --sizes 5000 20000 --kb 30 --large 3 --large-mb 50
    python bench/fixity.py --sizes 2000 --kb 30 --large 2 --large-mb 20 --workers 2
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from instance import label
from instance import peak_rss_mb
from instance import throw_away_database

REPO = Path(__file__).resolve().parents[1]
SIZES = (5_000, 20_000)
BATCH = 2_000  # documents per bulk insert


def pdf_with(payload_bytes: int, seed: bytes) -> bytes:
    """A one-page PDF carrying ``payload_bytes`` of incompressible data."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    data = bytearray()
    block = hashlib.sha512(seed).digest()
    while len(data) < payload_bytes:
        block = hashlib.sha512(block).digest()
        data += block
    pdf.Root.BenchPayload = pdf.make_indirect(pikepdf.Stream(pdf, bytes(data)))
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=False)
    return buffer.getvalue()


def rss_parts_mb() -> tuple[float, float]:
    """This process's resident memory now: anonymous (heap) and file-backed (mappings).

    On SQLite the file-backed part includes the database file, which paperless maps into
    memory (``PRAGMA mmap_size`` 128 MB): pages the check reads count as resident.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0, 0.0
    return tuple(  # type: ignore[return-value]
        int(status.split(f"{key}:")[1].split()[0]) / 1024
        for key in ("RssAnon", "RssFile")
    )


def own_peak_mb() -> float:
    """This process's peak RSS since it started its program.

    ``getrusage``'s ``ru_maxrss`` (``instance.peak_rss_mb``) would not do in the child:
    Linux keeps across ``exec`` the high-water mark of the forked copy of the parent, which
    seeded with files of 50 MB. ``VmHWM`` is the program's own.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return peak_rss_mb()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache (written to disk first)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    evict(path)
    return hashlib.sha256(data).hexdigest()


def seed(total: int, kb: int, large: int, large_mb: int) -> None:
    """Add documents with their files until there are ``total`` (the large ones first)."""
    from django.conf import settings
    from django.utils import timezone
    from documents.models import Document

    originals = Path(settings.ORIGINALS_DIR) / "bench"
    archive = Path(settings.ARCHIVE_DIR) / "bench"
    originals.mkdir(parents=True, exist_ok=True)
    archive.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    count = Document.global_objects.count()
    now = timezone.now()
    templates = {}
    if count == 0 and large:
        templates["large"] = (
            pdf_with(large_mb * 1024 * 1024, b"large original"),
            pdf_with(large_mb * 1024 * 1024, b"large archive"),
        )
    templates["small"] = (
        pdf_with(kb * 1024, b"original"),
        pdf_with(kb * 1024, b"archive"),
    )
    written = 0
    while count < total:
        batch = []
        for n in range(count, min(count + BATCH, total)):
            kind = "large" if n < large and "large" in templates else "small"
            original, archived = templates[kind]
            # Each file its own bytes (a trailing comment), so each its own checksum.
            original = original + f"% {n}\n".encode()
            archived = archived + f"% {n}\n".encode()
            name = f"bench/{n:08}.pdf"
            batch.append(
                Document(
                    title=f"bench {n}",
                    content="",
                    mime_type="application/pdf",
                    filename=name,
                    archive_filename=name,
                    checksum=write(originals / f"{n:08}.pdf", original),
                    archive_checksum=write(archive / f"{n:08}.pdf", archived),
                    created=now.date(),
                    added=now,
                ),
            )
            written += len(original) + len(archived)
        Document.global_objects.bulk_create(batch)
        count += len(batch)
    print(
        f"seeded to {total:,} documents: {written / 1e6:,.0f} MB written in "
        f"{time.perf_counter() - started:.1f} s",
    )


def evict_all() -> None:
    from django.conf import settings

    for root in (settings.ORIGINALS_DIR, settings.ARCHIVE_DIR):
        for path in Path(root).rglob("*.pdf"):
            evict(path)


def measure_in_child() -> dict:
    """Run one whole check in a fresh process; its figures."""
    output = subprocess.run(
        [sys.executable, __file__, "--child"],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def child() -> None:
    """In the fresh process: set up Django, check everything, print the figures as JSON."""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from svc_archive_plugin.services import fixity

    baseline = own_peak_mb()
    anon_before, file_before = rss_parts_mb()
    run = fixity.start()
    started = time.perf_counter()
    run = fixity.check(run, notify=False)
    seconds = time.perf_counter() - started
    anon, file = rss_parts_mb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "documents": run.documents_checked,
                "files": run.files_checked,
                "bytes": run.bytes_read,
                "problems": run.problems,
                "state": run.state,
                "baseline_mb": baseline,
                "peak_mb": own_peak_mb(),
                "anon_growth_mb": anon - anon_before,
                "file_growth_mb": file - file_before,
            },
        ),
    )


def worker_child(run_id: int) -> None:
    """In a fresh process: one chunk worker claiming parts of run ``run_id`` until none is
    left (waiting for parts the other workers hold); print its time as JSON."""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from svc_archive_plugin.models import FixityRun
    from svc_archive_plugin.services import fixity

    run = FixityRun.objects.get(pk=run_id)
    # Set up, then wait for the word: the workers start checking together.
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    fixity.check(run, notify=False, wait=True)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def all_files() -> list[Path]:
    from django.conf import settings

    return sorted(
        path
        for root in (settings.ORIGINALS_DIR, settings.ARCHIVE_DIR)
        for path in Path(root).rglob("*.pdf")
    )


def sha256sum(groups: list[list[Path]]) -> float:
    """Seconds for ``sha256sum`` over each group of files, the groups at once."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            ["xargs", "-0", "sha256sum", "--"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        for _ in groups
    ]
    for process, group in zip(processes, groups, strict=True):
        process.stdin.write(b"\0".join(os.fsencode(p) for p in group))
        process.stdin.close()
    for process in processes:
        assert process.wait() == 0
    return time.perf_counter() - started


def fixity_workers(count: int, part: int) -> tuple[float, dict]:
    """Seconds for ``count`` worker processes to check one new run together; its figures."""
    from django.db import connection

    from svc_archive_plugin.models import FixityRun
    from svc_archive_plugin.services import fixity

    run = fixity.start(size=part)
    connection.close()  # the children write; keep no transaction open here
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(run.pk)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ,
        )
        for _ in range(count)
    ]
    for process in processes:  # Django set up in each, outside the time
        assert process.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    checking = []
    for process in processes:
        out, _ = process.communicate()
        assert process.returncode == 0
        checking.append(json.loads(out.strip().splitlines()[-1])["seconds"])
    seconds = time.perf_counter() - started
    run = FixityRun.objects.get(pk=run.pk)
    assert run.state == "finished", run.state
    return seconds, {
        "files": run.files_checked,
        "bytes": run.bytes_read,
        "documents": run.documents_checked,
        "parts": run.chunks.count(),
        "claimers": len({p.claimed_by.rsplit(":", 2)[0] for p in run.chunks.all()}),
        "checking": max(checking),  # the slowest worker's own time
    }


def compare(workers: int, part: int) -> None:
    """sha256sum (1 and ``workers`` processes) against fixity (1 and ``workers``)."""
    files = all_files()
    size = sum(p.stat().st_size for p in files)
    sha256sum([files])  # into the page cache: every figure below is warm
    halves = [files[n::workers] for n in range(workers)]
    rows = [
        ("sha256sum, 1 process", 1, sha256sum([files]), len(files), size),
        (
            f"sha256sum, {workers} processes",
            workers,
            sha256sum(halves),
            len(files),
            size,
        ),
    ]
    for count in (1, workers):
        seconds, f = fixity_workers(count, part)
        assert f["files"] == len(files), (f, len(files))
        print(
            f"  fixity, {count} worker process(es): {seconds:.1f} s from the start "
            f"signal to the last worker's end (Django set up before it)",
        )
        rows.append(
            (
                f"fixity, {count} worker{'s' if count > 1 else ''} ({f['claimers']} "
                "claimed)",
                count,
                seconds,
                f["files"],
                f["bytes"],
            ),
        )
    base = size / 1e6 / rows[0][2]  # one sha256sum process's MB/s
    print(
        f"\n{len(files):,} files, {size / 1e6:,.0f} MB, warm; parts of "
        f"{part} documents; fixity timed from the moment its workers, set up, start\n"
        f"{'':30s} {'seconds':>8s} {'files/s':>8s} {'MB/s':>7s} {'MB/s each':>9s} "
        f"{'each vs sha256sum':>17s}",
    )
    for name, count, seconds, nfiles, nbytes in rows:
        mbs = nbytes / 1e6 / seconds
        print(
            f"{name:30s} {seconds:8.2f} {nfiles / seconds:8,.0f} {mbs:7,.0f} "
            f"{mbs / count:9,.0f} {mbs / count / base:16.0%}",
        )


def run(
    sizes: list[int],
    kb: int,
    large: int,
    large_mb: int,
    workers: int = 2,
    part: int = 100,
) -> None:
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}, migrated in "
        f"{time.perf_counter() - started:.1f} s; small files {kb} KB, "
        f"{large} documents of {large_mb} MB (original and archive version each)",
    )
    rows = []
    try:
        for total in sizes:
            seed(total, kb, large, large_mb)
            connection.close()  # the children write; keep no transaction open here
            evict_all()
            cold = measure_in_child()
            warm = measure_in_child()
            for name, figures in (("cold", cold), ("warm", warm)):
                assert figures["state"] == "finished", figures
                assert figures["problems"] == 0, figures
                assert figures["documents"] == total, figures
                rows.append((total, name, figures))
                print(
                    f"  {label(total):>5s} {name}: {figures['seconds']:.1f} s, "
                    f"peak RSS {figures['peak_mb']:.0f} MB",
                )
        if workers:
            compare(workers, part)
    finally:
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)  # gigabytes of files
    print(
        f"\n{'documents':>9s} {'cache':>5s} {'files':>7s} {'MB read':>8s} {'seconds':>8s} "
        f"{'docs/s':>8s} {'files/s':>8s} {'MB/s':>7s} {'RSS before':>10s} {'peak RSS':>9s}"
        f" {'heap +':>7s} {'mapped +':>8s}",
    )
    for total, name, f in rows:
        mb = f["bytes"] / 1e6
        print(
            f"{label(total):>9s} {name:>5s} {f['files']:7,d} {mb:8,.0f} "
            f"{f['seconds']:8.1f} {f['documents'] / f['seconds']:8,.0f} "
            f"{f['files'] / f['seconds']:8,.0f} {mb / f['seconds']:7,.0f} "
            f"{f['baseline_mb']:8.0f}MB {f['peak_mb']:7.0f}MB "
            f"{f['anon_growth_mb']:5.1f}MB {f['file_growth_mb']:6.1f}MB",
        )
    peaks = [f["peak_mb"] for _, _, f in rows]
    heap = [f["anon_growth_mb"] for _, _, f in rows]
    print(
        f"\npeak RSS across sizes: {min(peaks):.0f}–{max(peaks):.0f} MB; the check's heap "
        f"grew by {min(heap):.1f}–{max(heap):.1f} MB ({label(sizes[-1])} documents are "
        f"{sizes[-1] / sizes[0]:.0f}× {label(sizes[0])}). 'mapped +' is the database "
        "file SQLite maps into memory (paperless sets mmap_size 128 MB), not the check's.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes of the parallel comparison (default 2; 0: none)",
    )
    parser.add_argument(
        "--part",
        type=int,
        default=100,
        help="documents per part in the parallel comparison (default 100)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        help="document counts to measure at, ascending (default: 5000 20000)",
    )
    parser.add_argument(
        "--kb",
        type=int,
        default=30,
        help="size of each small original and archive version in KB (default 30)",
    )
    parser.add_argument(
        "--large",
        type=int,
        default=3,
        help="documents with large files (default 3)",
    )
    parser.add_argument(
        "--large-mb",
        type=int,
        default=50,
        help="size of each large original and archive version in MB (default 50)",
    )
    args = parser.parse_args()
    if args.child:
        child()
        return
    if args.worker is not None:
        worker_child(args.worker)
        return
    with throw_away_database("fixity", required=False) as ready:
        if ready:
            run(
                sorted(args.sizes),
                args.kb,
                args.large,
                args.large_mb,
                args.workers,
                args.part,
            )


if __name__ == "__main__":
    main()
