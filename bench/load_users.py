"""The simulated users of ``bench/load.py`` (a locustfile; runs in locust's own venv).

Reads what the seed made from the JSON file named by ``SVC_LOAD_SPEC``: the accounts'
API tokens, the documents each department may view that have files, a pool of documents
free to lend, documents to ask access to, search terms. ``SVC_LOAD_PLUGIN`` is "1" when
the users take the plugin's steps; otherwise only what paperless has is asked for, and
the heads and the desk wait.

- staff: search (full text ``?query=``, ``?title_content=``), list, view a document
  (details, preview, thumbnail), and with the plugin ask for a loan or for access;
- heads (the staff's departments): look at their to-do lists, approve the loans and access
  requests their staff asked for;
- the loan desk: give the archive's approval, issue, take back and inspect each loan.

Work passes from one user to the next through in-process queues (locust runs every user
in one process), so each step acts on a loan or request in the state it needs: an error
is the server's, not a race between two simulated users.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
from collections import deque
from pathlib import Path

from locust import HttpUser
from locust import between
from locust import events
from locust import task

SPEC = json.loads(Path(os.environ["SVC_LOAD_SPEC"]).read_text(encoding="utf-8"))
PLUGIN = os.environ.get("SVC_LOAD_PLUGIN") == "1"
ACCEPT = "application/json; version=10"
HEADS = len(SPEC["heads"])
LIST = "page=1&page_size=25&ordering=-created&truncate_content=true"
# Loans and access requests waiting for the next person: per department for the heads.
loans_for_head = [deque() for _ in range(HEADS)]
requests_for_head = [deque() for _ in range(HEADS)]
loans_for_desk = deque()  # (step, loan id)
lendable = iter(SPEC["lendable"])
# Document views answered 200 (details and previews: each is one access-log row).
VIEWS = ("GET /api/documents/{id}/", "GET /api/documents/{id}/preview/")
views = {name: 0 for name in VIEWS}
staff_numbers = itertools.count()
head_numbers = itertools.count()


class Archive(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    token = ""

    def on_start(self) -> None:
        self.client.headers.update(
            {"Authorization": f"Token {self.token}", "Accept": ACCEPT},
        )

    def post(self, url: str, body: dict, name: str):
        return self.client.post(url, json=body, name=name)


class Staff(Archive):
    weight = 1  # the users left over after the heads and the desk

    def on_start(self) -> None:
        n = next(staff_numbers)
        self.department = n % HEADS
        accounts = SPEC["staff"][self.department]
        self.token = accounts[(n // HEADS) % len(accounts)]
        self.viewable = SPEC["viewable"][self.department]
        super().on_start()

    @task(3)
    def search(self) -> None:
        term = random.choice(SPEC["terms"])
        self.client.get(
            f"/api/documents/?query={term}&page=1&page_size=25",
            name="GET /api/documents/?query=…",
        )

    @task(3)
    def title_content(self) -> None:
        term = random.choice(SPEC["terms"])
        self.client.get(
            f"/api/documents/?title_content={term}&{LIST}",
            name="GET /api/documents/?title_content=…",
        )

    @task(2)
    def document_list(self) -> None:
        self.client.get(f"/api/documents/?{LIST}", name="GET /api/documents/ (page 1)")

    @task(4)
    def view(self) -> None:
        self.client.get(
            f"/api/documents/{random.choice(self.viewable)}/",
            name="GET /api/documents/{id}/",
        )

    @task(2)
    def preview(self) -> None:
        self.client.get(
            f"/api/documents/{random.choice(self.viewable)}/preview/",
            name="GET /api/documents/{id}/preview/",
        )

    @task(2)
    def thumbnail(self) -> None:
        self.client.get(
            f"/api/documents/{random.choice(self.viewable)}/thumb/",
            name="GET /api/documents/{id}/thumb/",
        )

    @task(1)
    def ask_for_loan(self) -> None:
        if not PLUGIN:
            return
        document = next(lendable, None)
        if document is None:
            return
        response = self.post(
            "/api/svc_archive/loans/",
            {"document": document, "reason": "核对合同原件", "days": 7},
            "POST /api/svc_archive/loans/ (request)",
        )
        if response.status_code == 201:
            loans_for_head[self.department].append(response.json()["id"])

    @task(1)
    def ask_for_access(self) -> None:
        if not PLUGIN:
            return
        today = datetime.date.today()
        response = self.post(
            "/api/svc_archive/access_requests/",
            {
                "purpose": "项目复盘查阅",
                "starts": today.isoformat(),
                "ends": (today + datetime.timedelta(days=7)).isoformat(),
                "documents": random.sample(SPEC["access"], 2),
            },
            "POST /api/svc_archive/access_requests/",
        )
        if response.status_code == 201:
            requests_for_head[self.department].append(response.json()["id"])


class Head(Archive):
    fixed_count = HEADS

    def on_start(self) -> None:
        self.department = next(head_numbers) % HEADS
        self.token = SPEC["heads"][self.department]
        super().on_start()

    @task
    def work_through(self) -> None:
        if not PLUGIN:
            return
        self.client.get(
            "/api/svc_archive/loans/?state=requested",
            name="GET /api/svc_archive/loans/?state=requested",
        )
        loans = loans_for_head[self.department]
        if loans:
            loan = loans.popleft()
            response = self.post(
                f"/api/svc_archive/loans/{loan}/approve/",
                {"reason": "同意"},
                "POST /api/svc_archive/loans/{id}/approve/ (head)",
            )
            if response.ok:
                loans_for_desk.append(("approve", loan))
        self.client.get(
            "/api/svc_archive/access_requests/?state=pending",
            name="GET /api/svc_archive/access_requests/?state=pending",
        )
        requests = requests_for_head[self.department]
        if requests:
            self.post(
                f"/api/svc_archive/access_requests/{requests.popleft()}/approve/",
                {"reason": "同意"},
                "POST /api/svc_archive/access_requests/{id}/approve/",
            )


# The desk's steps, in order: each moves the loan on to the next.
DESK_STEPS = {
    "approve": ("issue", {"reason": "同意"}, "(archive)"),
    "issue": ("receive", {"reason": ""}, ""),
    "receive": ("inspect", {"reason": ""}, ""),
    "inspect": (None, {"condition": "intact", "note": ""}, ""),
}


class Desk(Archive):
    fixed_count = 1

    def on_start(self) -> None:
        self.token = SPEC["desk"]
        super().on_start()

    @task
    def work_through(self) -> None:
        if not PLUGIN:
            return
        self.client.get(
            "/api/svc_archive/loans/?state=approved",
            name="GET /api/svc_archive/loans/?state=approved",
        )
        if not loans_for_desk:
            return
        step, loan = loans_for_desk.popleft()
        following, body, note = DESK_STEPS[step]
        response = self.post(
            f"/api/svc_archive/loans/{loan}/{step}/",
            body,
            f"POST /api/svc_archive/loans/{{id}}/{step}/ {note}".rstrip(),
        )
        if response.ok and following:
            loans_for_desk.append((following, loan))


@events.request.add_listener
def count_view(name, response, exception, **kwargs) -> None:
    if name in views and exception is None and response.status_code == 200:
        views[name] += 1


@events.quitting.add_listener
def write_counts(environment, **kwargs) -> None:
    Path(os.environ["SVC_LOAD_COUNTS"]).write_text(json.dumps(views), encoding="utf-8")
