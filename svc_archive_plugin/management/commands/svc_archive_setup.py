"""Provision the service-archive vocabulary (SPEC §1); safe to run again."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import transaction

from svc_archive_plugin.services import items
from svc_archive_plugin.services import record_links
from svc_archive_plugin.services import saved_views
from svc_archive_plugin.services.capture import create_type_folders
from svc_archive_plugin.services.provisioning import ProvisioningError
from svc_archive_plugin.services.provisioning import provision
from svc_archive_plugin.services.vocabulary import DEFAULT_LANGUAGE
from svc_archive_plugin.services.vocabulary import LANGUAGES


class Command(BaseCommand):
    help = (
        "Create the service-archive document types, archive categories, custom fields, "
        "retention tags, groups and the roles' saved views. Idempotent: existing objects are reused, never overwritten."
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
            with transaction.atomic():
                report = provision(options["language"])
                saved_views.provision(options["language"], report)
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc
        offered = saved_views.offer_to_members()
        if offered:
            report.created.append(f"{offered} saved views on members' dashboards")
        # Records of before the link, or of another PAPERLESS_URL, get theirs now.
        linked = record_links.refresh_all()
        if linked:
            report.created.append(f"{linked} links to record pages (档案详情)")
        # Records numbered before the 件号 field existed show their numbers now.
        shown = items.mirror_all()
        if shown:
            report.created.append(f"{shown} item numbers (件号) shown")
        consumption_dir = Path(settings.CONSUMPTION_DIR)
        if consumption_dir.is_dir():
            report.created.extend(
                f"folder {folder}" for folder in create_type_folders(consumption_dir)
            )
        if options["verbosity"] > 0:
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
