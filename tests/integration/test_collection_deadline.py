"""The collection deadline 收集期限: its queue in the admin, the work page, the daily reminder.

A dossier counts as collected once its department submits it; until then, a dossier whose
collection deadline (``COLLECTION_DAYS`` working days after the project's end, fewer for a
major project) is past or within ``COLLECTION_DUE_SOON_DAYS`` working days is listed.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from documents.models import UiSettings

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import deadlines
from svc_archive_plugin.services.reminders import remind_collection_deadlines

pytestmark = pytest.mark.django_db
DOSSIERS = "/admin/svc_archive_plugin/dossier/"
# A Monday in November, far from any holiday: 10 working days after 2026-11-03 is
# 2026-11-17, and "due soon" reaches 2026-11-19.
TODAY = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()


@pytest.fixture
def projects(people):
    customer = Customer.objects.create(code="C600", name="杭州某电子有限公司")
    repair = ServiceType.objects.get(code="WX")
    sales = Group.objects.get(name="销售部")

    def dossier(code, name, end, department=people["engineering"], **extra):
        return ServiceProject.objects.create(
            code=code,
            name=name,
            customer=customer,
            service_type=repair,
            department=department,
            end_date=end,
            **extra,
        ).dossier

    made = {
        "late": dossier("P2026-61", "机房巡检", datetime.date(2026, 10, 15)),
        "near": dossier("P2026-62", "网络改造", datetime.date(2026, 11, 3)),
        "far": dossier("P2026-63", "空调保养", datetime.date(2026, 11, 13)),
        # Five working days for a major project: due 2026-11-13, so late.
        "major": dossier(
            "P2026-64",
            "数据中心搬迁",
            datetime.date(2026, 11, 6),
            is_major=True,
        ),
        "submitted": dossier("P2026-65", "门禁维修", datetime.date(2026, 10, 15)),
        "sales": dossier("P2026-66", "客户培训", datetime.date(2026, 10, 20), sales),
    }
    Dossier.objects.filter(pk=made["submitted"].pk).update(
        state=Dossier.State.SUBMITTED,
    )
    return made


def staff(*users):
    for user in users:
        user.is_staff = True
        user.save()


def listed(client, user, query: str) -> set[str]:
    """The project codes the dossier list shows with ``query``."""
    client.force_login(user)
    response = client.get(f"{DOSSIERS}?{query}", HTTP_ACCEPT_LANGUAGE="zh-cn")
    assert response.status_code == 200
    html = response.content.decode()
    return {code for code in (f"P2026-6{n}" for n in range(1, 7)) if f"{code} " in html}


def test_the_queue_lists_dossiers_near_or_past_their_collection_deadline(
    client,
    people,
    projects,
    today,
):
    manager = people["manager"]
    staff(manager)

    assert listed(client, manager, "collection=overdue") == {
        "P2026-61",
        "P2026-64",
        "P2026-66",
    }
    assert listed(client, manager, "collection=due_soon") == {"P2026-62"}
    # The filter is offered under its own name, next to the filing deadline's.
    client.force_login(manager)
    page = client.get(DOSSIERS, HTTP_ACCEPT_LANGUAGE="zh-cn").content.decode()
    assert "收集期限" in page
    assert "归档期限" in page


def test_the_work_page_shows_each_person_their_departments_collection_due(
    client,
    people,
    projects,
    today,
):
    from tests.integration.test_work_page import count
    from tests.integration.test_work_page import page
    from tests.integration.test_work_page import section

    staff(people["head"], people["sales_head"], people["manager"])

    head = page(client, people["head"])
    assert count(head, "collection_due") == 3
    assert "收集期限临近或已过的案卷" in head
    assert "P2026-62 网络改造" in section(head, "collection_due")
    assert "P2026-63" not in section(head, "collection_due")
    assert count(page(client, people["sales_head"]), "collection_due") == 1
    assert count(page(client, people["manager"]), "collection_due") == 4
    # Its queue is the dossier list with the same rows.
    assert listed(client, people["head"], "waiting=collection_due") == {
        "P2026-61",
        "P2026-62",
        "P2026-64",
    }


def test_submitting_ends_the_collection_deadline(projects, today):
    assert projects["submitted"] not in deadlines.collection_overdue()
    Dossier.objects.filter(pk=projects["late"].pk).update(
        state=Dossier.State.RETURNED,
    )
    assert projects["late"] not in deadlines.collection_overdue()


def test_each_head_gets_one_reminder_in_their_language(
    people,
    projects,
    settings,
    today,
):
    settings.EMAIL_ENABLED = True
    UiSettings.objects.update_or_create(
        user=people["head"],
        defaults={"settings": {"language": "zh-cn"}},
    )

    sent = remind_collection_deadlines()

    assert sent == 2  # 工程部's head and 销售部's head, one mail each
    by_reader = {m.to[0]: m for m in mail.outbox}
    assert len(by_reader) == len(mail.outbox) == 2
    head = by_reader["head@example.com"]
    assert head.subject == "档案收集期限提醒：3 个案卷"
    assert head.body == (
        "以下服务项目的案卷仍在收集中（2026年11月16日），请收集齐档案材料并提交归档：\n"
        "\n"
        "已超过收集期限：\n"
        "- P2026-61 机房巡检（杭州某电子有限公司）：应于 2026年10月29日 前收集完毕\n"
        "- P2026-64 数据中心搬迁（杭州某电子有限公司）：应于 2026年11月13日 前收集完毕\n"
        "\n"
        "收集期限在 3 个工作日内：\n"
        "- P2026-62 网络改造（杭州某电子有限公司）：应于 2026年11月17日 前收集完毕\n"
    )
    assert "P2026-66" not in head.body
    assert "P2026-66 客户培训" in by_reader["sales@example.com"].body


def test_a_second_collection_reminder_run_the_same_day_sends_nothing(
    projects,
    settings,
    today,
):
    settings.EMAIL_ENABLED = True

    assert remind_collection_deadlines() == 2
    assert remind_collection_deadlines() == 0
    assert len(mail.outbox) == 2


def test_no_collection_reminder_without_a_mail_server(projects, settings, today):
    settings.EMAIL_ENABLED = False

    assert remind_collection_deadlines() == 0
    assert mail.outbox == []


def test_the_reminder_is_in_the_beat_schedule_and_can_be_disabled(settings):
    from svc_archive_plugin.beat import COLLECTION
    from svc_archive_plugin.beat import install_beat_schedule

    install_beat_schedule()
    entry = settings.CELERY_BEAT_SCHEDULE[COLLECTION]
    assert entry["task"] == "svc_archive_plugin.tasks.remind_collection_deadlines"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {0})

    settings.SVC_ARCHIVE_COLLECTION_REMINDER_CRON = "disable"
    install_beat_schedule()
    assert COLLECTION not in settings.CELERY_BEAT_SCHEDULE
