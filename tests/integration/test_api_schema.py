"""paperless's OpenAPI schema with the plugin: valid, without warnings, and true to the API."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    """The schema as paperless's own test builds it: validated, failing on any warning."""
    out = tmp_path_factory.mktemp("schema") / "schema.json"
    # Warnings are counted per process: only this generation's count.
    GENERATOR_STATS.reset()
    with django_db_blocker.unblock():
        call_command(
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--format",
            "openapi-json",
            "--file",
            str(out),
            skip_checks=True,
        )
    return json.loads(out.read_text())


def _props(schema: dict, component: str) -> dict:
    return schema["components"]["schemas"][component]["properties"]


def _response(schema: dict, path: str, method: str = "get") -> dict:
    operation = schema["paths"][f"/api/svc_archive/{path}"][method]
    return operation["responses"]


def test_schema_is_valid_and_includes_the_plugin(schema):
    paths = [p for p in schema["paths"] if p.startswith("/api/svc_archive/")]
    assert "/api/svc_archive/dossiers/{id}/history/" in paths
    assert "/api/svc_archive/loans/{id}/inspect/" in paths
    assert len(paths) > 50


def test_each_state_has_its_own_enum(schema):
    components = schema["components"]["schemas"]
    assert components["DossierStateEnum"]["enum"][0] == "collecting"
    assert components["AccessRequestStateEnum"]["enum"][0] == "pending"
    # The filing events' states are the dossier's.
    event = _props(schema, "FilingEvent")
    assert event["from_state"]["allOf"][0]["$ref"].endswith("/DossierStateEnum")


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("AccessLogEntry", "customer"),
        ("AccessLogEntry", "project"),
        ("AccessRequest", "department"),
        ("AccessRequest", "decided_by"),
        ("AccessRequest", "closed_by"),
        ("LegalHold", "released_by"),
        ("Loan", "department"),
        ("Loan", "head_approved_by"),
        ("Loan", "archive_approved_by"),
        ("Loan", "issued_by"),
        ("Loan", "received_by"),
        ("Loan", "inspected_by"),
        ("LoanEvent", "actor"),
        ("FixityRun", "started_by"),
        ("InventoryRound", "closed_by"),
        ("InventoryItem", "checked_by"),
    ],
)
def test_what_can_be_none_is_nullable(schema, component, field):
    assert _props(schema, component)[field].get("nullable") is True


@pytest.mark.parametrize(
    ("component", "field"),
    [("Dossier", "retention"), ("Loan", "condition")],
)
def test_blank_choices_are_declared(schema, component, field):
    refs = [
        c["$ref"].rsplit("/", 1)[-1] for c in _props(schema, component)[field]["oneOf"]
    ]
    assert "BlankEnum" in refs


def test_plain_lists_are_not_declared_paginated(schema):
    for path, method in (
        ("dossiers/{id}/history/", "get"),
        ("retention/appraise/", "post"),
    ):
        body = _response(schema, path, method)["200"]["content"]["application/json"]
        assert body["schema"]["type"] == "array", path
    parameters = schema["paths"]["/api/svc_archive/dossiers/{id}/history/"]["get"][
        "parameters"
    ]
    assert [p["name"] for p in parameters] == ["id"]


def test_unlisted_find_answers_201_or_200(schema):
    assert {"200", "201"} <= set(
        _response(schema, "inventory_rounds/{id}/unlisted/", "post"),
    )


def test_undocumented_query_parameters_are_declared(schema):
    dossiers = schema["paths"]["/api/svc_archive/dossiers/"]["get"]["parameters"]
    deadline = next(p for p in dossiers if p["name"] == "deadline")
    assert set(deadline["schema"]["enum"]) == {"overdue", "due_soon"}
    findings = schema["paths"]["/api/svc_archive/fixity_runs/{id}/findings/"]["get"]
    assert {"problem", "file", "document"} <= {
        p["name"] for p in findings["parameters"]
    }
