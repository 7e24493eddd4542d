"""The plugin's API against its own OpenAPI schema: a bounded property-based run.

Schemathesis reads ``/api/schema/`` of the end-to-end instance, keeps the operations under
``/api/svc_archive/`` and, for each one, sends generated requests as a superuser and as a
staff member (员工). Every answer must be no server error, of a declared content type, a
declared status or a client error the API documents by convention (400, 403, 404, 409),
and, where declared, conform to the response schema. Half the generated requests of an
operation on one object name an object that exists, so real answers are checked too.

Runs last in the session (see ``conftest.py``): it writes into the shared instance.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import Verbosity
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import content_type_conformance
from schemathesis.checks import not_a_server_error
from schemathesis.checks import response_schema_conformance
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from tests.e2e.conftest import ADMIN
from tests.e2e.conftest import CONTRACT_RUNS
from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import as_user
from tests.e2e.conftest import ask_for_access

if TYPE_CHECKING:
    import httpx

pytestmark = [pytest.mark.e2e, pytest.mark.contract]

API = "/api/svc_archive/"
ACCEPT = "application/json; version=10"
# Bounded for CI on two cores: about 90 operations, twice.
EXAMPLES = 15
# Past this many seconds for one person, the remaining operations get REDUCED examples.
BUDGET = 240
REDUCED = 2
STAFF = "contract-staff"
# Statuses the API answers without declaring them: DRF's validation errors, paperless's
# permissions, unknown objects, and the plugin's refused steps.
CLIENT_ERRORS = {400, 403, 404, 409}
# Operations that would destroy what the rest of the instance holds: deleting register
# entries, carrying out a destruction (removes the records' files), lifting a hold.
SKIPPED = (
    ("DELETE", None),
    ("POST", f"{API}destruction_lists/{{id}}/execute/"),
    ("POST", f"{API}holds/{{id}}/release/"),
)
CHECKS = (not_a_server_error, content_type_conformance, response_schema_conformance)


@dataclass
class Run:
    """What one person's run did and found."""

    person: str
    operations: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    cases: int = 0
    reduced: int = 0
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    # (kind, operation, status) -> the first request that showed it, and its answer
    findings: dict[tuple[str, str, int], str] = field(default_factory=dict)

    def record(self, kind: str, case, response, detail: str = "") -> None:
        self.counts[kind] += 1
        key = (kind, f"{case.method} {case.path}", response.status_code)
        if key not in self.findings:
            request = response.request
            body = request.body or b""
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            self.findings[key] = (
                f"{request.method} {request.url}"
                + (f"\n      body: {body[:2000]}" if body else "")
                + f"\n      -> {response.status_code}: {detail[:600]}"
            )

    def summary(self) -> str:
        lines = [
            f"{self.person}: {len(self.operations)} operations covered"
            f" ({len(self.skipped)} skipped), {self.cases} cases in {self.seconds:.0f} s"
            + (
                f" ({self.reduced} operations reduced to {REDUCED})"
                if self.reduced
                else ""
            )
            + " (answers: "
            + ", ".join(f"{n} × {code}" for code, n in sorted(self.statuses.items()))
            + ")"
            + f"; server errors: {self.counts['server error']},"
            f" schema violations: {self.counts['schema violation']},"
            f" undeclared statuses: {self.counts['undeclared status']},"
            f" content-type violations: {self.counts['content type']}",
        ]
        lines += [
            f"  {kind}: {operation}\n    {example}"
            for (kind, operation, _status), example in sorted(self.findings.items())
        ]
        return "\n".join(lines)


def make_staff(admin: httpx.Client) -> None:
    """A plain member of 员工 in a department of their own."""
    department = admin.post(
        "/api/groups/",
        json={"name": "契约测试部", "permissions": []},
    )
    assert department.status_code == 201, department.text
    groups = {
        g["name"]: g["id"]
        for g in admin.get("/api/groups/", params={"page_size": 100}).json()["results"]
    }
    response = admin.post(
        "/api/users/",
        json={
            "username": STAFF,
            "password": USER_PASSWORD,
            "groups": [groups["员工"], department.json()["id"]],
        },
    )
    assert response.status_code == 201, response.text


def seed(admin: httpx.Client, staff: httpx.Client) -> None:
    """The contract's own objects, each with the fields that stay empty until later."""
    service_type = admin.get(f"{API}service_types/").json()["results"][0]
    customer = admin.post(
        f"{API}customers/",
        json={"code": "CT01", "name": "契约测试客户"},
    )
    assert customer.status_code == 201, customer.text
    project = admin.post(
        f"{API}projects/",
        json={
            "code": "PCT-01",
            "name": "契约测试项目",
            "customer": customer.json()["id"],
            "service_type": service_type["id"],
            "end_date": (
                datetime.date.today() - datetime.timedelta(days=30)
            ).isoformat(),
        },
    )
    assert project.status_code == 201, project.text
    dossier = project.json()["dossier"]
    # Received by the archive, on a shelf: an inventory round lists it.
    steps = (
        (admin, "accept_incomplete", {"reason": "契约测试"}),
        (staff, "submit", {}),
        (admin, "approve", {}),
        (admin, "receive", {}),
    )
    for person, step, body in steps:
        response = person.post(f"{API}dossiers/{dossier}/{step}/", json=body)
        assert response.status_code == 200, f"{step}: {response.text}"
    shelved = admin.patch(
        f"{API}dossiers/{dossier}/",
        json={"location_cabinet": "CT", "location_shelf": "1", "location_box": "1"},
    )
    assert shelved.status_code == 200, shelved.text
    ask_for_access(staff, dossier, "契约测试")
    loan = staff.post(
        f"{API}loans/",
        json={"dossier": dossier, "reason": "契约测试", "days": 5},
    )
    assert loan.status_code == 201, loan.text
    hold = admin.post(
        f"{API}holds/",
        json={
            "name": "契约测试冻结",
            "reason": "契约测试",
            "customers": [customer.json()["id"]],
        },
    )
    assert hold.status_code == 201, hold.text
    inventory = admin.post(f"{API}inventory_rounds/", json={"name": "契约测试盘点"})
    assert inventory.status_code == 201, inventory.text
    found = admin.post(
        f"{API}inventory_rounds/{inventory.json()['id']}/unlisted/",
        json={"archive_code": "CT-UNLISTED", "found_at": "A-1"},
    )
    assert found.status_code in (200, 201), found.text


def existing_ids(admin: httpx.Client) -> dict[str, list[int]]:
    """Ids of what the instance holds, by collection (the first page of each)."""
    keys = {"retention": "document", "destruction_register": "sequence"}
    ids = {}
    for collection in admin.get(API).json():
        response = admin.get(f"{API}{collection}/", params={"page_size": 25})
        body = response.json() if response.status_code == 200 else {}
        if isinstance(body, dict) and "results" in body:
            key = keys.get(collection, "id")
            ids[collection] = [row[key] for row in body["results"] if key in row]
    return ids


def strategy_for(operation, ids: dict[str, list[int]]):
    """Generated requests; for one object, half of them name one that exists."""
    generated = operation.as_strategy()
    names = [p.name for p in operation.path_parameters]
    collection = operation.path.removeprefix(API).split("/", 1)[0]
    known = ids.get(collection)
    if len(names) != 1 or not known:
        return generated
    name = names[0]
    existing = st.sampled_from(known).flatmap(
        lambda pk: operation.as_strategy(path_parameters={name: pk}),
    )
    return st.one_of(existing, generated)


def skipped(operation) -> bool:
    return any(
        operation.method.upper() == method and path in (None, operation.path)
        for method, path in SKIPPED
    )


def send_cases(run: Run, operation, ids, examples: int, session, base_url: str) -> None:
    """Send ``examples`` generated requests for one operation and check each answer."""
    documented = {
        int(code) for code in operation.definition.raw["responses"] if code.isdigit()
    }

    @settings(
        max_examples=examples,
        derandomize=True,  # the same requests on every run
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @given(case=strategy_for(operation, ids))
    def send(case):
        response = case.call(base_url=base_url, session=session, timeout=60)
        run.cases += 1
        run.statuses[response.status_code] += 1
        for check, kind in zip(
            CHECKS,
            ("server error", "content type", "schema violation"),
            strict=True,
        ):
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as failures:
                detail = "; ".join(f.title for f in failures.exceptions)
                if kind == "schema violation":
                    detail = str(failures.exceptions[0].message)
                run.record(kind, case, response, detail or response.text)
        status = response.status_code
        if status < 500 and status not in documented | CLIENT_ERRORS:
            run.record("undeclared status", case, response, response.text)

    send()


def fuzz(schema, base_url: str, auth: tuple[str, str], ids, person: str) -> Run:
    run = Run(person=person)
    # A token, not the password: paperless would hash it again on every request.
    username, password = auth
    token = requests.post(
        f"{base_url}/api/token/",
        data={"username": username, "password": password},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token.json()['token']}"
    session.headers["Accept"] = ACCEPT
    started = time.monotonic()
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(
                f"the schema has an operation Schemathesis cannot read: {result.err()}",
            )
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if skipped(operation):
            run.skipped.append(label)
            continue
        examples = EXAMPLES
        if time.monotonic() - started > BUDGET:
            examples = REDUCED
            run.reduced += 1
        send_cases(run, operation, ids, examples, session, base_url)
        run.operations.add(label)
    run.seconds = time.monotonic() - started
    return run


@pytest.fixture(scope="module")
def contract_schema(paperless):
    with paperless.client() as admin:
        make_staff(admin)
        with as_user(paperless, STAFF) as staff:
            seed(admin, staff)
        ids = existing_ids(admin)
    config = schemathesis.Config.from_dict(
        # Signed in as each person; no generated credentials.
        {"generation": {"with-security-parameters": False}},
    )
    schema = schemathesis.openapi.from_url(
        f"{paperless.base_url}/api/schema/?format=json",
        auth=ADMIN,
        headers={"Accept": ACCEPT},
        config=config,
    ).include(path_regex=f"^{API}")
    return schema, ids


@pytest.mark.parametrize(
    "person",
    [
        pytest.param(ADMIN, id="superuser"),
        pytest.param((STAFF, USER_PASSWORD), id="staff"),
    ],
)
def test_every_operation_answers_as_its_schema_says(
    paperless,
    contract_schema,
    person,
    request,
):
    schema, ids = contract_schema
    label = "superuser" if person == ADMIN else "staff (员工)"
    run = fuzz(schema, paperless.base_url, person, ids, label)
    request.config.stash.setdefault(CONTRACT_RUNS, []).append(run.summary())
    assert len(run.operations) + len(run.skipped) == len(
        list(schema.get_all_operations()),
    )
    assert run.cases >= len(run.operations)
    assert not run.findings, run.summary()
