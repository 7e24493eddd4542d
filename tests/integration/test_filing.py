"""Filing review 归档: completeness, every step by role, archive codes, hand-over, deadlines."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from documents.models import CustomField
from documents.models import CustomFieldInstance
from guardian.shortcuts import get_users_with_perms

from svc_archive_plugin.models import ArchiveCodeSeries
from svc_archive_plugin.models import CalendarDay
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import deadlines
from svc_archive_plugin.services import filing
from svc_archive_plugin.services.reminders import remind_overdue_filings
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import complete

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/dossiers/"


def test_completeness_lists_present_and_missing(dossier):
    add_document(dossier, "HT")

    result = filing.completeness(dossier)

    assert result.required == ("FP", "HT", "KH", "SS")
    assert result.present == ("HT",)
    assert result.missing == ("FP", "KH", "SS")
    assert result.documents == 1


def test_incomplete_dossier_is_refused_with_what_is_missing(
    dossier,
    people,
    api_client,
):
    add_document(dossier, "HT")
    api_client.force_authenticate(people["clerk"])

    response = api_client.post(f"{API}{dossier.pk}/submit/")

    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "The dossier is incomplete; missing: FP 费用结算与发票, KH 客户基本信息, SS 实施记录."
    )
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.COLLECTING


def test_archive_manager_can_accept_an_incomplete_dossier_with_a_reason(
    dossier,
    people,
    api_client,
):
    api_client.force_authenticate(people["clerk"])
    assert (
        api_client.post(
            f"{API}{dossier.pk}/accept_incomplete/",
            {"reason": "x"},
        ).status_code
        == 403
    )
    api_client.force_authenticate(people["manager"])
    assert (
        api_client.post(
            f"{API}{dossier.pk}/accept_incomplete/",
            {"reason": " "},
        ).status_code
        == 409
    )

    response = api_client.post(
        f"{API}{dossier.pk}/accept_incomplete/",
        {"reason": "发票由财务另行归档"},
    )

    assert response.status_code == 200
    api_client.force_authenticate(people["clerk"])
    assert api_client.post(f"{API}{dossier.pk}/submit/").json()["state"] == "submitted"


def test_the_whole_path_through_the_api(dossier, people, api_client):
    documents = complete(dossier, owner=people["clerk"])

    def step(who, name, **data):
        api_client.force_authenticate(people[who])
        return api_client.post(f"{API}{dossier.pk}/{name}/", data)

    assert step("clerk", "submit").json()["state"] == "submitted"
    assert step("head", "approve").json()["state"] == "approved"
    assert step("manager", "receive").json()["state"] == "received"
    filed = step("manager", "file").json()

    # The schedule keeps contracts, customer particulars and invoices 30 years: the
    # dossier takes the longest class of its records.
    assert filed["state"] == "filed"
    assert filed["retention"] == "important"
    assert filed["archive_code"] == "SVC-SH·2026-D30-工程部-0001"
    history = api_client.get(f"{API}{dossier.pk}/history/").json()
    assert [(e["action"], e["actor"]) for e in history] == [
        ("submit", "clerk"),
        ("approve", "head"),
        ("receive", "manager"),
        ("file", "manager"),
    ]
    code_field = CustomField.objects.get(name="档号")
    for document in documents:
        document.refresh_from_db()
        assert document.owner.username == "archive-records"
        assert not document.owner.is_active
        assert people["clerk"] in get_users_with_perms(document)
        assert (
            CustomFieldInstance.objects.get(
                document=document,
                field=code_field,
            ).value_text
            == filed["archive_code"]
        )


def test_a_return_carries_its_reasons_and_the_dossier_goes_round_again(dossier, people):
    complete(dossier)
    filing.submit(dossier, people["clerk"])

    with pytest.raises(filing.FilingError, match="Say why"):
        filing.return_dossier(dossier, people["head"], "  ")
    filing.return_dossier(dossier, people["head"], "合同缺少盖章页")
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.RETURNED
    assert dossier.filing_events.get(action="return").reason == "合同缺少盖章页"

    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.return_dossier(dossier, people["manager"], "目录不全")
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.RETURNED
    assert [e.action for e in dossier.filing_events.order_by("pk")] == [
        "submit",
        "return",
        "submit",
        "approve",
        "return",
    ]


@pytest.mark.parametrize(
    ("state", "who", "step", "expected"),
    [
        # Wrong role for the step.
        ("submitted", "clerk", filing.approve, "permission 'approve_dossier'"),
        ("submitted", "sales_head", filing.approve, "Only members of 工程部"),
        ("approved", "head", filing.receive, "permission 'file_dossier'"),
        ("received", "head", filing.file_dossier, "permission 'file_dossier'"),
        ("collecting", "outsider", filing.submit, "Only members of 工程部"),
        ("collecting", "manager", filing.submit, "Only members of 工程部"),
        # Wrong state for the step.
        (
            "collecting",
            "head",
            filing.approve,
            "needs it to be: Submitted by the department",
        ),
        (
            "submitted",
            "manager",
            filing.receive,
            "needs it to be: Approved by the department head",
        ),
        (
            "filed",
            "manager",
            filing.file_dossier,
            "needs it to be: Received by the archive department",
        ),
        (
            "filed",
            "clerk",
            filing.submit,
            "needs it to be: Collecting, Returned for correction",
        ),
    ],
)
def test_refused_steps(dossier, people, state, who, step, expected):
    complete(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(state=state)
    dossier.refresh_from_db()

    with pytest.raises(filing.FilingError, match=expected):
        step(dossier, people[who])

    dossier.refresh_from_db()
    assert dossier.state == state
    assert not dossier.filing_events.exists()


def test_return_by_role(dossier, people):
    complete(dossier)
    filing.submit(dossier, people["clerk"])
    with pytest.raises(filing.FilingForbidden):
        filing.return_dossier(dossier, people["clerk"], "no")
    filing.approve(dossier, people["head"])
    with pytest.raises(filing.FilingForbidden):
        filing.return_dossier(
            dossier,
            people["head"],
            "the archive department reviews now",
        )
    Dossier.objects.filter(pk=dossier.pk).update(state="collecting")
    with pytest.raises(filing.FilingError, match="cannot be returned"):
        filing.return_dossier(dossier, people["manager"], "x")


def test_nobody_approves_or_files_their_own_submission(dossier, people, api_client):
    complete(dossier)
    api_client.force_authenticate(people["head"])
    api_client.post(f"{API}{dossier.pk}/submit/")

    response = api_client.post(f"{API}{dossier.pk}/approve/")

    assert response.status_code == 403
    assert response.json()["detail"] == "Nobody approves or files their own submission."
    root = UserFactory(username="root", superuser=True)
    root.groups.add(people["engineering"])
    Dossier.objects.filter(pk=dossier.pk).update(
        state="collecting",
        retention="permanent",
    )
    filing.submit(dossier, root)
    filing.approve(dossier, people["head"])
    filing.receive(dossier, root)
    with pytest.raises(filing.FilingForbidden, match="own submission"):
        filing.file_dossier(dossier, root)


def test_admin_actions_and_return_form(client, dossier, people):
    complete(dossier)
    people["clerk"].is_staff = True
    people["clerk"].save()
    client.force_login(people["clerk"])

    client.post(
        "/admin/svc_archive_plugin/dossier/",
        {"action": "submit_selected", "_selected_action": [dossier.pk]},
    )
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
    people["head"].is_staff = True
    people["head"].save()
    client.force_login(people["head"])
    page = client.get(
        f"/admin/svc_archive_plugin/dossier/{dossier.pk}/change/",
    ).content.decode()
    assert "missing" in page and "Return with reasons" in page
    client.post(
        f"/admin/svc_archive_plugin/dossier/{dossier.pk}/return/",
        {"reason": "缺少验收单"},
    )
    dossier.refresh_from_db()
    assert dossier.state == "returned"
    assert dossier.filing_events.last().reason == "缺少验收单"


def test_archive_codes_number_each_series_and_report_gaps(dossier, people):
    other = ServiceProject.objects.create(
        code="P2",
        name="x",
        customer=dossier.project.customer,
        service_type=dossier.project.service_type,
        department=people["engineering"],
        end_date=datetime.date(2026, 3, 1),
    )
    for d in (dossier, other.dossier):
        Dossier.objects.filter(pk=d.pk).update(retention="ordinary")
        d.refresh_from_db()
        filing.assign_archive_code(d)
    assert other.dossier.archive_code == "SVC-SH·2026-D10-工程部-0002"
    assert (
        filing.assign_archive_code(dossier) == "SVC-SH·2026-D10-工程部-0001"
    )  # stable
    assert filing.archive_code_gaps() == {}

    ArchiveCodeSeries.objects.filter(series="SVC-SH·2026-D10-工程部-").update(
        last_number=4,
    )

    assert filing.archive_code_gaps() == {"SVC-SH·2026-D10-工程部-": [3, 4]}


def test_template_and_fonds_are_configurable(dossier, settings):
    settings.SVC_ARCHIVE_FONDS = "Z001"
    settings.SVC_ARCHIVE_ARCHIVE_CODE_TEMPLATE = "{fonds}/{year}/{retention}/{seq:03}"
    Dossier.objects.filter(pk=dossier.pk).update(retention="permanent")
    dossier.refresh_from_db()

    assert filing.assign_archive_code(dossier) == "Z001/2026/Y/001"
    dossier.refresh_from_db()
    assert dossier.archive_series == "Z001/2026/Y/"


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="row locks are PostgreSQL's; SQLite serialises every write",
)
@pytest.mark.django_db(transaction=True)
def test_two_filings_at_once_never_share_a_number(provisioned):
    customer = Customer.objects.create(code="C9", name="并发客户")
    service_type = ServiceType.objects.get(code="JS")
    dossiers = []
    for i in range(8):
        project = ServiceProject.objects.create(
            code=f"CC{i}",
            name="x",
            customer=customer,
            service_type=service_type,
            end_date=datetime.date(2026, 1, 5),
        )
        Dossier.objects.filter(project=project).update(retention="important")
        dossiers.append(Dossier.objects.get(project=project))
    barrier = threading.Barrier(len(dossiers))
    errors = []

    def file_one(dossier):
        try:
            barrier.wait()
            filing.assign_archive_code(dossier)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_one, args=(d,)) for d in dossiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    numbers = sorted(
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).values_list(
            "archive_number",
            flat=True,
        ),
    )
    assert numbers == list(range(1, 9))


def golden_week():
    for i in range(7):
        CalendarDay.objects.create(
            date=datetime.date(2026, 10, 1) + datetime.timedelta(days=i),
            kind="holiday",
        )
    CalendarDay.objects.create(date=datetime.date(2026, 10, 10), kind="workday")


def test_deadlines_across_the_holiday_and_make_up_day(dossier):
    golden_week()

    assert deadlines.collection_deadline(dossier.project) == datetime.date(2026, 10, 20)
    assert deadlines.filing_deadline(dossier.project) == datetime.date(2026, 11, 3)
    ServiceProject.objects.filter(pk=dossier.project.pk).update(is_major=True)
    dossier.project.refresh_from_db()
    assert deadlines.filing_deadline(dossier.project) == datetime.date(2026, 10, 20)


def test_overdue_and_due_soon_queues(dossier, api_client, people):
    golden_week()

    assert list(deadlines.overdue(datetime.date(2026, 11, 3))) == []
    assert list(deadlines.due_soon(datetime.date(2026, 11, 3))) == [dossier]
    assert list(deadlines.overdue(datetime.date(2026, 11, 4))) == [dossier]
    assert list(deadlines.due_soon(datetime.date(2026, 10, 20))) == []
    Dossier.objects.filter(pk=dossier.pk).update(state="filed")
    assert list(deadlines.overdue(datetime.date(2026, 12, 1))) == []


def test_a_dossier_the_archive_department_received_is_no_longer_overdue(
    dossier,
    people,
    settings,
):
    golden_week()
    settings.EMAIL_ENABLED = True
    complete(dossier)
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    assert list(deadlines.overdue(datetime.date(2026, 11, 4))) == [dossier]

    filing.receive(dossier, people["manager"])

    assert list(deadlines.overdue(datetime.date(2026, 11, 4))) == []
    assert list(deadlines.due_soon(datetime.date(2026, 11, 3))) == []
    # Nor is its department's head reminded of it.
    assert remind_overdue_filings() == 0


def test_overdue_reminder_goes_to_the_departments_head(dossier, people, settings):
    settings.EMAIL_ENABLED = True

    sent = remind_overdue_filings()

    assert sent == 1
    [message] = mail.outbox
    assert message.to == ["head@example.com"]
    assert "P2026-07 机房维修" in message.body


def test_a_second_run_the_same_day_sends_nothing_again(dossier, people, settings):
    """The task queued twice (two workers each take one) mails each head once a day."""
    settings.EMAIL_ENABLED = True

    assert remind_overdue_filings() == 1
    assert remind_overdue_filings() == 0

    assert [m.to for m in mail.outbox] == [["head@example.com"]]


def test_a_reminder_that_could_not_be_sent_is_tried_again(
    dossier,
    people,
    settings,
    monkeypatch,
):
    settings.EMAIL_ENABLED = True
    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        lambda self, messages: (_ for _ in ()).throw(OSError("mail server down")),
    )
    with pytest.raises(OSError, match="mail server down"):
        remind_overdue_filings()
    monkeypatch.undo()

    assert remind_overdue_filings() == 1
    assert [m.to for m in mail.outbox] == [["head@example.com"]]


def test_no_reminder_without_a_mail_server(dossier, settings):
    settings.EMAIL_ENABLED = False
    assert remind_overdue_filings() == 0
    assert mail.outbox == []


def test_reminder_is_in_the_beat_schedule_and_can_be_changed_or_disabled(settings):
    from svc_archive_plugin.beat import REMINDER
    from svc_archive_plugin.beat import install_beat_schedule

    install_beat_schedule()
    entry = settings.CELERY_BEAT_SCHEDULE[REMINDER]
    assert entry["task"] == "svc_archive_plugin.tasks.remind_overdue_filings"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {0})

    settings.SVC_ARCHIVE_FILING_REMINDER_CRON = "30 6 * * mon-fri"
    install_beat_schedule()
    assert settings.CELERY_BEAT_SCHEDULE[REMINDER]["schedule"].hour == {6}

    settings.SVC_ARCHIVE_FILING_REMINDER_CRON = "disable"
    install_beat_schedule()
    assert REMINDER not in settings.CELERY_BEAT_SCHEDULE


def test_reminder_task_runs(dossier, people, settings):
    from svc_archive_plugin.tasks import remind_overdue_filings as task

    settings.EMAIL_ENABLED = True
    assert task.apply().get() == 1


def test_approve_receive_and_file_through_the_admin(client, dossier, people):
    complete(dossier)
    filing.submit(dossier, people["clerk"])
    Dossier.objects.filter(pk=dossier.pk).update(retention="permanent")
    url = "/admin/svc_archive_plugin/dossier/"
    for who in ("head", "manager"):
        people[who].is_staff = True
        people[who].save()

    client.force_login(people["head"])
    client.post(url, {"action": "approve_selected", "_selected_action": [dossier.pk]})
    client.force_login(people["manager"])
    client.post(url, {"action": "receive_selected", "_selected_action": [dossier.pk]})
    response = client.post(
        url,
        {"action": "file_dossier_selected", "_selected_action": [dossier.pk]},
        follow=True,
    )

    dossier.refresh_from_db()
    assert dossier.state == "filed"
    assert dossier.archive_code == "SVC-SH·2026-Y-工程部-0001"
    assert "1 dossier: File the dossiers." in response.content.decode()


def test_a_refused_admin_action_says_why_and_changes_nothing(client, dossier, people):
    complete(dossier)
    filing.submit(dossier, people["clerk"])
    people["clerk"].is_staff = True
    people["clerk"].save()
    client.force_login(people["clerk"])

    response = client.post(
        "/admin/svc_archive_plugin/dossier/",
        {"action": "approve_selected", "_selected_action": [dossier.pk]},
        follow=True,
    )

    assert (
        "needs the permission &#x27;approve_dossier&#x27;" in response.content.decode()
    )
    dossier.refresh_from_db()
    assert dossier.state == "submitted"


def test_gap_report_command(dossier):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("svc_archive_code_gaps", stdout=out)
    assert out.getvalue() == "No gaps in any archive-code series.\n"

    ArchiveCodeSeries.objects.create(series="SVC-XM·2025-Y-00-", last_number=2)
    out = StringIO()
    call_command("svc_archive_code_gaps", stdout=out)
    assert out.getvalue() == "SVC-XM·2025-Y-00-: 1, 2\n"
