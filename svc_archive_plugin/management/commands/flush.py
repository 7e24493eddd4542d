"""Django's ``flush``, which on a test database empties the evidence tables too.

The evidence triggers refuse the ``TRUNCATE`` (PostgreSQL) or ``DELETE`` (SQLite) that
``flush`` sends, and Django's ``TransactionTestCase`` (and so pytest-django, and paperless's
own test suite with the plugin installed) flushes after every transactional test. While
Django's test environment is set up, this command runs inside the evidence maintenance
door; anywhere else it is Django's own, and the triggers refuse to empty the evidence.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.core.management.commands import flush
from django.test import utils as test_utils

from svc_archive_plugin.db_triggers import evidence_maintenance


def in_test_environment() -> bool:
    """Whether ``django.test.utils.setup_test_environment`` is in force (its own check)."""
    return hasattr(test_utils._TestState, "saved_data")


class Command(flush.Command):
    def handle(self, **options):
        door = (
            evidence_maintenance(options["database"])
            if in_test_environment()
            else nullcontext()
        )
        with door:
            return super().handle(**options)
