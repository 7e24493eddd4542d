"""Provision the service-archive vocabulary (SPEC §1); safe to run again."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.services.provisioning import ProvisioningError
from svc_archive_plugin.services.provisioning import provision
from svc_archive_plugin.services.vocabulary import DEFAULT_LANGUAGE
from svc_archive_plugin.services.vocabulary import LANGUAGES


class Command(BaseCommand):
    help = (
        "Create the service-archive document types, archive categories, custom fields, "
        "retention tags and groups. Idempotent: existing objects are reused, never overwritten."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            default=DEFAULT_LANGUAGE,
            help=f"Language of the names of new objects (default {DEFAULT_LANGUAGE}).",
        )

    def handle(self, *args, **options) -> None:
        try:
            report = provision(options["language"])
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc
        for what in report.created:
            self.stdout.write(f"created  {what}")
        if options["verbosity"] > 1:
            for what in report.reused:
                self.stdout.write(f"reused   {what}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Service-archive vocabulary ready: {len(report.created)} created, "
                f"{len(report.reused)} already there.",
            ),
        )
