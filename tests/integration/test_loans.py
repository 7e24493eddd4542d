"""Loans 借阅: request → two approvals → issue → renewal → return → inspection, by role.

Each step is refused to the wrong person with a message saying why, the item is out
once (the database decides, even for two desks at once), and an item out on loan can
be neither deleted nor destroyed.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.utils import timezone
from documents.models import CustomFieldInstance
from documents.models import Document

from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import LoanLiability
from svc_archive_plugin.services import loans
from svc_archive_plugin.services.calendar import working_day_deadline
from svc_archive_plugin.services.protection import RecordProtected
from svc_archive_plugin.services.protection import check
from tests.e2e.smtp import SMTPSink
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db

Action = LoanEvent.Action


@pytest.fixture
def shelved(dossier):
    """The repair dossier, on its shelf, with a contract and a work record."""
    dossier.location_cabinet, dossier.location_shelf, dossier.location_box = (
        "A01",
        "03",
        "12",
    )
    dossier.save()
    add_document(dossier, "HT", title="维修合同")
    add_document(dossier, "SS", title="维修记录")
    return dossier


@pytest.fixture
def desk(people):
    """A second archive manager at the desk."""
    user = UserFactory(username="desk2")
    user.groups.add(Group.objects.get(name="档案管理员"))
    return user


def borrow(people, dossier, who="clerk", days=5):
    return loans.request_loan(
        people[who],
        reason="客户回访核对原件",
        days=days,
        dossier=dossier,
    )


def approved(people, dossier, who="clerk"):
    loan = borrow(people, dossier, who)
    loans.approve(loan, people["sales_head" if who == "outsider" else "head"])
    return loans.approve(loan, people["manager"])


def out(people, dossier, desk, who="clerk"):
    return loans.issue(approved(people, dossier, who), desk)


def actions(loan):
    return list(loan.events.values_list("action", flat=True))


def field_text(document_id, name):
    return (
        CustomFieldInstance.objects.filter(document_id=document_id, field__name=name)
        .values_list("value_text", flat=True)
        .first()
    )


def test_the_whole_loan(people, shelved, desk):
    """Request → two approvals → issue → renewal → return with pages missing."""
    loan = borrow(people, shelved)
    assert loan.number.startswith(f"JY-{timezone.localdate():%Y}-")
    assert (loan.state, loan.department) == ("requested", people["engineering"])

    loans.approve(loan, people["head"], "同意")
    loan.refresh_from_db()
    assert loan.state == "requested"  # one approval of two
    loans.approve(loan, people["manager"])
    loan.refresh_from_db()
    assert loan.state == "approved"

    loan = loans.issue(loan, desk)
    today = timezone.localdate()
    assert loan.state == "issued"
    assert loan.location_out == "A01-03-12"
    assert loan.due == working_day_deadline(today, 5)
    contract = Document.objects.get(title="维修合同")
    assert "借出" in set(contract.tags.values_list("name", flat=True))
    assert loan.number in field_text(contract.pk, "存放位置")

    loans.request_renewal(loan, people["clerk"], 3, "尚未核对完")
    loans.approve(loan, people["manager"])
    loan = loans.approve(loan, people["head"])
    assert loan.renewals == 1
    assert loan.due == working_day_deadline(working_day_deadline(today, 5), 3)
    assert loan.renewal_days is None

    loans.receive(loan, desk)
    loan = loans.inspect(loan, desk, Loan.Condition.PAGES_MISSING, "缺第3页")
    assert loan.state == "closed"
    assert loan.out_key is None
    liability = LoanLiability.objects.get(loan=loan)
    assert (liability.borrower, liability.condition, liability.note) == (
        people["clerk"],
        "pages_missing",
        "缺第3页",
    )
    assert "借出" not in set(contract.tags.values_list("name", flat=True))
    assert field_text(contract.pk, "存放位置") == "A01-03-12"
    assert actions(loan) == [
        Action.REQUEST,
        Action.APPROVE_HEAD,
        Action.APPROVE_ARCHIVE,
        Action.ISSUE,
        Action.REQUEST_RENEWAL,
        Action.APPROVE_RENEWAL_ARCHIVE,
        Action.APPROVE_RENEWAL_HEAD,
        Action.RENEW,
        Action.RETURN,
        Action.INSPECT,
    ]


def test_an_intact_return_records_no_liability(people, shelved, desk):
    loan = out(people, shelved, desk)
    loans.receive(loan, desk)
    loans.inspect(loan, desk, Loan.Condition.INTACT)
    assert not LoanLiability.objects.exists()


def test_a_lost_item_says_so_where_it_was_kept(people, shelved, desk):
    loan = out(people, shelved, desk)
    loans.receive(loan, desk)
    with pytest.raises(loans.LoanError, match="note"):
        loans.inspect(loan, desk, Loan.Condition.LOST, "")
    loans.inspect(loan, desk, Loan.Condition.LOST, "借阅人称遗失于出差途中")
    contract = Document.objects.get(title="维修合同")
    assert field_text(contract.pk, "存放位置") == f"Lost on loan {loan.number}"
    assert LoanLiability.objects.get(loan=loan).condition == "lost"


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("clerk", "own loan"),
        ("sales_head", "head of 工程部"),
        ("outsider", "head of 工程部"),
    ],
)
def test_approval_is_refused_to_the_wrong_people(people, shelved, who, error):
    loan = borrow(people, shelved)
    with pytest.raises(loans.LoanForbidden, match=error):
        loans.approve(loan, people[who])
    loan.refresh_from_db()
    assert (loan.head_approved_by, loan.archive_approved_by) == (None, None)


def test_one_person_gives_one_approval_only(people, shelved):
    """A department head who is also the archive head still needs a second person."""
    both = people["head"]
    both.groups.add(Group.objects.get(name="档案管理员"))
    loan = borrow(people, shelved)
    loans.approve(loan, both)
    with pytest.raises(loans.LoanForbidden, match="someone else"):
        loans.approve(loan, both)
    loans.approve(loan, people["manager"])
    loan.refresh_from_db()
    assert loan.state == "approved"


def test_a_head_cannot_approve_their_own_loan(people, shelved):
    loan = borrow(people, shelved, who="head")
    with pytest.raises(loans.LoanForbidden, match="own loan"):
        loans.approve(loan, people["head"])


def test_refusal_needs_a_reason_and_ends_the_loan(people, shelved, desk):
    loan = borrow(people, shelved)
    with pytest.raises(loans.LoanError, match="reason"):
        loans.refuse(loan, people["head"], "")
    with pytest.raises(loans.LoanForbidden):
        loans.refuse(loan, people["outsider"], "不行")
    loans.refuse(loan, people["manager"], "原件正在整理")
    loan.refresh_from_db()
    assert loan.state == "refused"
    with pytest.raises(loans.LoanError, match="approved"):
        loans.issue(loan, desk)


def test_only_the_desk_issues_and_never_to_itself(people, shelved, desk):
    loan = approved(people, shelved)
    with pytest.raises(loans.LoanForbidden, match="desk"):
        loans.issue(loan, people["head"])
    mine = approved(people, shelved, who="outsider")
    mine.borrower = desk  # the desk officer borrowing for themselves
    mine.save()
    with pytest.raises(loans.LoanForbidden, match="themselves"):
        loans.issue(mine, desk)


def test_an_item_is_out_once(people, shelved, desk):
    """No onward lending: a second borrower waits until the item is back."""
    second = approved(people, shelved, who="outsider")  # asked while on the shelf
    first = out(people, shelved, desk)
    with pytest.raises(
        loans.LoanError,
        match=f"out already \\({first.number} clerk\\)",
    ):
        loans.issue(second, people["manager"])
    second.refresh_from_db()
    assert second.state == "approved"
    loans.receive(first, desk)
    with pytest.raises(loans.LoanError, match="out already"):
        loans.issue(second, desk)  # back at the desk, not yet inspected and shelved
    loans.inspect(first, desk, Loan.Condition.INTACT)
    assert loans.issue(second, desk).state == "issued"


def test_renewal_rules(people, shelved, desk, settings):
    loan = out(people, shelved, desk)
    with pytest.raises(loans.LoanForbidden, match="borrower"):
        loans.request_renewal(loan, people["head"], 3, "再借")
    with pytest.raises(loans.LoanError, match="1 to 10"):
        loans.request_renewal(loan, people["clerk"], 11, "再借")
    loans.request_renewal(loan, people["clerk"], 2, "再借")
    with pytest.raises(loans.LoanError, match="already waiting"):
        loans.request_renewal(loan, people["clerk"], 2, "再借")
    loan = loans.refuse(loan, people["head"], "请按期归还")
    assert (loan.state, loan.renewal_days, loan.renewals) == ("issued", None, 0)

    settings.SVC_ARCHIVE_LOAN_MAX_RENEWALS = 0
    with pytest.raises(loans.LoanError, match="most allowed"):
        loans.request_renewal(loan, people["clerk"], 2, "再借")

    settings.SVC_ARCHIVE_LOAN_MAX_RENEWALS = 1
    Loan.objects.filter(pk=loan.pk).update(due=timezone.localdate())
    loan.refresh_from_db()
    with pytest.raises(loans.LoanError, match="before the due date"):
        loans.request_renewal(loan, people["clerk"], 2, "再借")


def test_the_period_is_bounded(people, shelved, settings):
    with pytest.raises(loans.LoanError, match="1 to 10 working days, not 11"):
        borrow(people, shelved, days=11)
    settings.SVC_ARCHIVE_LOAN_MAX_DAYS = 3
    with pytest.raises(loans.LoanError, match="1 to 3"):
        borrow(people, shelved, days=5)
    assert not Loan.objects.exists()


def test_bad_requests_are_refused(people, shelved):
    with pytest.raises(loans.LoanError, match="reason"):
        loans.request_loan(people["clerk"], reason=" ", days=2, dossier=shelved)
    with pytest.raises(loans.LoanError, match="one dossier or one document"):
        loans.request_loan(people["clerk"], reason="x", days=2)
    with pytest.raises(loans.LoanError, match="No such document"):
        loans.request_loan(people["clerk"], reason="x", days=2, document_id=99999)
    with pytest.raises(loans.LoanError, match="Electronic copies"):
        loans.request_loan(
            people["clerk"],
            reason="x",
            days=2,
            dossier=shelved,
            medium="electronic",
        )
    nobody = UserFactory(username="guest")
    with pytest.raises(loans.LoanForbidden):
        loans.request_loan(nobody, reason="x", days=2, dossier=shelved)


def test_cancel_before_issue_only(people, shelved, desk):
    loan = borrow(people, shelved)
    with pytest.raises(loans.LoanForbidden):
        loans.cancel(loan, people["outsider"])
    loans.cancel(loan, people["clerk"], "不需要了")
    loan.refresh_from_db()
    assert loan.state == "cancelled"
    for_desk = approved(people, shelved)
    loans.cancel(for_desk, desk, "借阅人离职")  # the desk may cancel too
    for_desk.refresh_from_db()
    assert for_desk.state == "cancelled"
    issued = out(people, shelved, desk)
    with pytest.raises(loans.LoanError, match="not yet issued"):
        loans.cancel(issued, people["clerk"])


def test_return_and_inspection_are_the_desks(people, shelved, desk):
    loan = out(people, shelved, desk)
    with pytest.raises(loans.LoanForbidden, match="desk"):
        loans.receive(loan, people["clerk"])
    with pytest.raises(loans.LoanError, match="returned"):
        loans.inspect(loan, desk, Loan.Condition.INTACT)
    loans.receive(loan, desk)
    with pytest.raises(loans.LoanForbidden, match="desk"):
        loans.inspect(loan, people["clerk"], Loan.Condition.INTACT)


def test_electronic_copies_when_configured(people, shelved, desk, settings):
    settings.SVC_ARCHIVE_LOAN_ELECTRONIC_COPIES = True
    paper = out(people, shelved, desk)
    copy = loans.request_loan(
        people["outsider"],
        reason="电子副本",
        days=2,
        dossier=shelved,
        medium="electronic",
    )
    loans.approve(copy, people["sales_head"])
    loans.approve(copy, people["manager"])
    copy = loans.issue(copy, desk)  # the paper original being out does not stop a copy
    assert (copy.state, copy.location_out) == ("issued", "")
    assert paper.state == "issued"


def test_an_item_on_loan_cannot_be_deleted(people, shelved, desk):
    contract = Document.objects.get(title="维修合同")
    loan = out(people, shelved, desk)
    with pytest.raises(RecordProtected, match=f"on loan {loan.number} to clerk"):
        check([contract.pk], path="test")
    loans.receive(loan, desk)
    loans.inspect(loan, desk, Loan.Condition.INTACT)
    check([contract.pk], path="test")  # back on the shelf: nothing holds it


def test_a_document_lent_alone_is_protected(people, dossier, desk):
    record = add_document(dossier, "FP", title="发票")
    loan = loans.request_loan(
        people["clerk"],
        reason="报销",
        days=1,
        document_id=record.pk,
    )
    loans.approve(loan, people["head"])
    loans.approve(loan, people["manager"])
    loans.issue(loan, desk)
    with pytest.raises(RecordProtected, match="on loan"):
        Document.objects.get(pk=record.pk).delete()


# Overdue reminders 催还 ---------------------------------------------------------------


def overdue(loan, days_late):
    due = timezone.localdate() - datetime.timedelta(days=days_late)
    Loan.objects.filter(pk=loan.pk).update(due=due)


def test_overdue_borrowers_are_reminded_once_a_day(people, shelved, desk, settings):
    settings.EMAIL_ENABLED = True
    people["clerk"].email = "clerk@example.com"
    people["clerk"].save()
    loan = out(people, shelved, desk)
    overdue(loan, 1)
    assert loans.remind_overdue() == 1
    [message] = mail.outbox
    assert message.to == ["clerk@example.com"]
    assert message.cc == []
    # The borrower chose no language in paperless: the site's (paperless's en-us).
    assert message.subject.startswith(f"Loan overdue: {loan.number}")
    assert loans.remind_overdue() == 0  # once a day
    assert actions(loan)[-1] == Action.REMIND


def test_the_head_hears_of_it_after_the_grace(people, shelved, desk, settings):
    settings.EMAIL_ENABLED = True
    settings.SVC_ARCHIVE_LOAN_REMINDER_GRACE_DAYS = 0
    people["clerk"].email = "clerk@example.com"
    people["clerk"].save()
    loan = out(people, shelved, desk)
    overdue(loan, 3)
    loans.remind_overdue()
    [message] = mail.outbox
    assert message.to == ["clerk@example.com"]
    assert message.cc == ["head@example.com"]  # 工程部's head, not 销售部's


def test_a_borrower_without_mail_is_chased_through_the_head(
    people,
    shelved,
    desk,
    settings,
):
    settings.EMAIL_ENABLED = True
    settings.SVC_ARCHIVE_LOAN_REMINDER_GRACE_DAYS = 0
    overdue(out(people, shelved, desk), 3)
    loans.remind_overdue()
    [message] = mail.outbox
    assert message.to == ["head@example.com"]


def test_no_mail_server_no_reminders(people, shelved, desk, settings):
    settings.EMAIL_ENABLED = False
    overdue(out(people, shelved, desk), 2)
    assert loans.remind_overdue() == 0
    assert mail.outbox == []


def test_returned_loans_are_not_reminded(people, shelved, desk, settings):
    settings.EMAIL_ENABLED = True
    loan = out(people, shelved, desk)
    overdue(loan, 2)
    loans.receive(loan, desk)
    assert loans.remind_overdue() == 0


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="row locks are PostgreSQL's; SQLite serialises every write",
)
@pytest.mark.django_db(transaction=True)
def test_two_desks_issuing_the_same_dossier_at_once(people, shelved, desk):
    first = approved(people, shelved)
    second = approved(people, shelved, who="outsider")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def issue(loan, officer):
        try:
            barrier.wait()
            results.append(loans.issue(loan, officer).number)
        except loans.LoanError as exc:
            errors.append(str(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=issue, args=(first, desk)),
        threading.Thread(target=issue, args=(second, people["manager"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1
    assert len(errors) == 1
    assert "out already" in errors[0]
    assert Loan.objects.filter(state="issued").count() == 1


def test_a_mail_server_that_is_down_is_retried_on_the_next_run(
    people,
    shelved,
    desk,
    settings,
):
    """A real SMTP server, stopped: the reminder is not marked sent, the next run sends it."""
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "archive@example.com"
    people["clerk"].email = "clerk@example.com"
    people["clerk"].save()
    loan = out(people, shelved, desk)
    overdue(loan, 1)
    server = SMTPSink()
    settings.EMAIL_PORT = port = server.port
    server.shutdown()
    server.server_close()  # down: nothing listens on its port any more

    assert loans.remind_overdue() == 0
    assert Action.REMIND not in actions(loan)
    server = SMTPSink(port)  # back up
    try:
        assert loans.remind_overdue() == 1  # not marked reminded, so sent now
        assert [to for to, _message in server.received] == [["clerk@example.com"]]
        assert loans.remind_overdue() == 0  # and only once
    finally:
        server.shutdown()
        server.server_close()
