"""Benchmark: query counts and times of the register and filing screens as rows grow.

Seeds a fresh instance in two steps (1,000 projects / 10,000 documents, then 10,000 projects /
100,000 documents) and measures, at each size, the REST API lists and the admin screens
(dossier changelist and its overdue queue, projects, customers, one dossier's page). A flat
query count across the two sizes is the point; the times are for reading.

    scripts/bench.sh registers          # SQLite; with PAPERLESS_DBHOST set, PostgreSQL
"""

from __future__ import annotations

import datetime
import random
import sys
import time
from pathlib import Path

from instance import throw_away_database

REPO = Path(__file__).resolve().parents[1]


def seed(projects: int, documents: int, offset: int) -> None:
    """Add ``projects`` projects (100 per customer) with dossiers, and ``documents`` documents."""
    from django.contrib.auth.models import Group
    from django.utils.crypto import get_random_string
    from documents.models import CustomField
    from documents.models import CustomFieldInstance
    from documents.models import Document
    from documents.models import DocumentType

    from svc_archive_plugin.models import Customer
    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import ServiceProject
    from svc_archive_plugin.models import ServiceType

    department = Group.objects.get_or_create(name="工程部")[0]
    service_types = list(ServiceType.objects.all())
    customers = Customer.objects.bulk_create(
        Customer(
            code=f"C{offset + i:06d}",
            name=f"客户{offset + i}",
            option_id=get_random_string(16),
        )
        for i in range(projects // 100)
    )
    start = datetime.date(2020, 1, 1)
    new_projects = ServiceProject.objects.bulk_create(
        ServiceProject(
            code=f"P{offset + i:07d}",
            name=f"项目{offset + i}",
            customer=customers[i // 100],
            service_type=service_types[i % len(service_types)],
            department=department,
            end_date=start + datetime.timedelta(days=(offset + i) % 2400),
            is_major=i % 10 == 0,
            option_id=get_random_string(16),
        )
        for i in range(projects)
    )
    Dossier.objects.bulk_create(
        Dossier(
            project=p,
            category_id=p.service_type.category_id,
            state=random.choice(Dossier.State.values),
        )
        for p in new_projects
    )
    project_field = CustomField.objects.get(name="服务项目")
    types = list(DocumentType.objects.filter(svc_archive_code__isnull=False))
    docs = Document.objects.bulk_create(
        (
            Document(
                title=f"doc {offset}-{i}",
                checksum=f"{offset:08d}{i:056d}",
                mime_type="application/pdf",
                document_type=types[i % len(types)],
            )
            for i in range(documents)
        ),
        batch_size=5000,
    )
    CustomFieldInstance.objects.bulk_create(
        (
            CustomFieldInstance(
                document=d,
                field=project_field,
                value_select=new_projects[i % projects].option_id,
            )
            for i, d in enumerate(docs)
        ),
        batch_size=5000,
    )


def measure(client) -> dict[str, tuple[int, float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from svc_archive_plugin.models import Dossier

    dossier = Dossier.objects.order_by("pk").first()
    urls = {
        "API projects": "/api/svc_archive/projects/",
        "API customers": "/api/svc_archive/customers/",
        "API dossiers": "/api/svc_archive/dossiers/",
        "API dossiers overdue": "/api/svc_archive/dossiers/?deadline=overdue",
        "admin dossiers": "/admin/svc_archive_plugin/dossier/",
        "admin dossiers overdue": "/admin/svc_archive_plugin/dossier/?deadline=overdue",
        "admin projects": "/admin/svc_archive_plugin/serviceproject/",
        "admin customers": "/admin/svc_archive_plugin/customer/",
        "admin one dossier": f"/admin/svc_archive_plugin/dossier/{dossier.pk}/change/",
        "API dossier completeness": f"/api/svc_archive/dossiers/{dossier.pk}/completeness/",
    }
    results = {}
    for name, url in urls.items():
        client.get(url, HTTP_ACCEPT="application/json; version=10")  # warm caches
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT="application/json; version=10")
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        results[name] = (len(queries), elapsed)
    return results


def run() -> None:
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("svc_archive_setup", verbosity=0)
    admin = User.objects.create_superuser("bench", "bench@example.com", "bench")
    client = Client()
    client.force_login(admin)
    print(f"database: {connection.vendor}")
    sizes = []
    total_projects = total_documents = 0
    for projects, documents in ((1_000, 10_000), (9_000, 90_000)):
        started = time.perf_counter()
        seed(projects, documents, total_projects)
        total_projects += projects
        total_documents += documents
        print(
            f"seeded to {total_projects:,} projects / {total_documents:,} documents "
            f"in {time.perf_counter() - started:.1f} s",
        )
        sizes.append(measure(client))
    small, large = sizes
    print(f"\n{'':28s} {'queries at':>19s}   {'time at':>17s}")
    print(
        f"{'screen':28s} {'1k prj':>9s} {'10k prj':>9s}   {'1k prj':>8s} {'10k prj':>8s}",
    )
    for name in small:
        (q1, t1), (q2, t2) = small[name], large[name]
        flag = "" if q1 == q2 else "   <-- grows"
        print(
            f"{name:28s} {q1:9d} {q2:9d}   {t1 * 1000:6.0f}ms {t2 * 1000:6.0f}ms{flag}",
        )


def main() -> None:
    with throw_away_database("registers", required=False):
        run()


if __name__ == "__main__":
    main()
