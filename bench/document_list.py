"""Benchmark: paperless's document list API, with and without the plugin, in one run.

Seeds a throw-away PostgreSQL database with the statistics benchmark's archive
(``bench/archive.py``: documents with their archive custom fields, tags, retention,
permissions, loans, access log), then asks paperless's own ``/api/documents/`` for pages
of 25 the way its UI lists the plugin's saved views (their custom fields as columns), as
a superuser and as a department head, in two fresh processes over the same database: one with ``PAPERLESS_APPS=svc_archive_plugin``, one without, each warmed
once and then asked for one round of the requests at a time, in turn (``bench/ab.py``).
Prints each request's median in both, the ratio of the medians and the spread (IQR,
min-max) of the per-round ratios.

    scripts/bench.sh document_list [--documents 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ab import Child  # noqa: E402
from ab import interleave  # noqa: E402
from ab import load_average  # noqa: E402
from ab import quartiles  # noqa: E402
from ab import serve  # noqa: E402

ACCEPT = "application/json; version=10"


def requests(fields: dict[str, int]) -> dict[str, str]:
    """The list requests the UI sends for the plugin's views (names -> query strings)."""
    columns = (
        "id,title,created,added,document_type,tags,custom_fields,owner,notes,page_count"
    )
    base = (
        f"page=1&page_size=25&ordering=-created&truncate_content=true&fields={columns}"
    )
    filed = json.dumps(["AND", [[fields["archive_code"], "exists", True]]])
    pending = json.dumps(
        [
            "AND",
            [
                [fields["project"], "exists", True],
                [fields["archive_code"], "exists", False],
            ],
        ],
    )
    return {
        "all documents, page 1": base,
        "all documents, a later page (40, or the last)": base.replace(
            "page=1&",
            "page=40&",
        ),
        "已归档档案 (filed)": f"{base}&custom_field_query={filed}",
        "待归档档案 (waiting to be filed)": f"{base}&custom_field_query={pending}",
    }


def child(spec: dict) -> None:
    """In a fresh Django (with or without the plugin): warm each request, then time one
    round of them whenever the parent asks."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    urls, counts = {}, {}
    for who, user_id in spec["people"].items():
        client = APIClient(HTTP_ACCEPT=ACCEPT)
        client.force_authenticate(User.objects.get(pk=user_id))
        for name, query in spec["requests"].items():
            if "page=40&" in query:  # fewer pages for a head: their last one
                first = client.get(
                    f"/api/documents/?{query.replace('page=40&', 'page=1&')}",
                )
                last = max(1, -(-first.json()["count"] // 25))
                query = query.replace("page=40&", f"page={min(40, last)}&")
            url = f"/api/documents/?{query}"
            response = client.get(url)  # warm-up
            assert response.status_code == 200, (
                url,
                response.status_code,
                response.content[:300],
            )
            key = f"{who}: {name}"
            urls[key] = (client, url)
            counts[key] = response.json()["count"]

    def handle(request: dict) -> dict:
        if request.get("counts"):
            return counts
        timings = {}
        for key, (client, url) in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            response.content
            timings[key] = time.perf_counter() - started
        return timings

    serve(handle)


def run(documents: int, repeat: int) -> None:
    from archive import new_archive
    from archive import seed
    from archive import seed_registers
    from instance import label
    from instance import start_paperless
    from loans import seed_people

    today, database, seconds = start_paperless()
    print(f"database: {database}, migrated in {seconds:.1f} s; as of {today}")
    world = new_archive()
    seed_people(world)
    seed_registers(world, today)
    print(f"\n{label(documents)} documents:")
    seed(world, documents, today)

    from django.db import connections

    from svc_archive_plugin.services import saved_views
    from svc_archive_plugin.services.provisioning import ProvisioningReport
    from svc_archive_plugin.services.provisioning import provisioned

    saved_views.provision("zh-hans", ProvisioningReport())
    fields = {
        key: provisioned(f"custom_field.{key}").pk
        for key in ("archive_code", "project")
    }
    from django.contrib.auth.models import User

    # A superuser sees every document; an archive manager sees in paperless only what
    # is shared with them, as anyone else (none of the seeded records).
    admin = User.objects.create_superuser("bench-admin", "admin@example.com", None)
    spec = {
        "people": {"superuser": admin.pk, "department head": world.head.pk},
        "requests": requests(fields),
    }
    connections.close_all()
    with_plugin = dict(os.environ, PAPERLESS_APPS="svc_archive_plugin")
    without = {k: v for k, v in os.environ.items() if k != "PAPERLESS_APPS"}
    argv = [sys.executable, __file__, "--child", json.dumps(spec)]
    children = (Child("with", argv, with_plugin), Child("without", argv, without))
    try:
        for c in children:
            c.ready()
        counts = children[0].ask({"counts": True})
        results = interleave(*children, [{}] * repeat, progress=False)
    finally:
        for c in children:
            c.close()
    print(
        f"\npaperless /api/documents/, 25 per page, {repeat} warm requests each, the "
        "two modes interleaved (bench/ab.py):",
    )
    print(
        f"{'request':58} {'rows':>9} {'with':>9} {'without':>9} {'ratio':>6}"
        "  per-pair ratios IQR, min-max",
    )
    for name, comparison in results.items():
        low, high = quartiles(comparison.pair_ratios)
        print(
            f"{name:58} {counts[name]:>9,} "
            f"{statistics.median(comparison.a) * 1000:>7.0f}ms "
            f"{statistics.median(comparison.b) * 1000:>7.0f}ms "
            f"{comparison.ratio:>6.2f}  {low:.2f}–{high:.2f}, "
            f"{min(comparison.pair_ratios):.2f}–{max(comparison.pair_ratios):.2f}",
        )
    print(load_average())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    from instance import throw_away_database

    with throw_away_database("document list", required=True) as ready:
        if ready:
            run(args.documents, args.repeat)


if __name__ == "__main__":
    main()
