"""Settings of the plugin: defaults, ``PAPERLESS_SVC_ARCHIVE_*`` parsing and validation.

Read lazily through ``archive_settings`` and cached until Django's ``setting_changed``,
so ``override_settings(SVC_ARCHIVE_<NAME>=...)`` works in tests. A Django setting
``SVC_ARCHIVE_<NAME>`` wins over the environment, which wins over the default.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from paperless.settings.parsers import get_bool_from_env
from paperless.settings.parsers import get_int_from_env
from paperless.settings.parsers import get_list_from_env

if TYPE_CHECKING:
    from collections.abc import Callable

ENV_PREFIX = "PAPERLESS_SVC_ARCHIVE_"
SETTINGS_PREFIX = "SVC_ARCHIVE_"


def _whole_number(env_key: str, default: int) -> int:
    try:
        value = get_int_from_env(env_key, default)
    except ValueError:
        raise ValueError(
            f"must be a whole number, got {os.environ[env_key]!r}",
        ) from None
    return value


def _dates(env_key: str, default: list[datetime.date]) -> list[datetime.date]:
    raw = get_list_from_env(env_key, default=None)
    if raw is None:
        return default
    try:
        return sorted(datetime.date.fromisoformat(item) for item in raw)
    except ValueError as exc:
        raise ValueError(
            f"must be comma-separated dates as YYYY-MM-DD ({exc})",
        ) from None


def _bool(env_key: str, default: bool) -> bool:  # noqa: FBT001
    try:
        return get_bool_from_env(env_key, "true" if default else "false")
    except ValueError:
        raise ValueError(
            f"must be true or false, got {os.environ[env_key]!r}",
        ) from None


def _path(env_key: str, default: Path) -> Path:
    return Path(os.environ[env_key]) if os.environ.get(env_key) else default


def _holding_dir(value: Any) -> str | None:
    if value is None:
        return None
    consume = Path(settings.CONSUMPTION_DIR).resolve()
    inside = Path(value).resolve()
    if inside == consume or consume in inside.parents:
        return (
            "must be outside the consumption directory, or its files are consumed again"
        )
    return None


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _readable_file(value: Any) -> str | None:
    if not Path(value).is_file():
        return f"names no readable file: {value} (install fonts-wqy-microhei or set the path)"
    return None


def _text(env_key: str, default: str) -> str:
    return os.environ.get(env_key, default).strip() or default


def _non_empty(value: Any) -> str | None:
    return (
        None
        if isinstance(value, str) and value.strip()
        else f"must not be empty, got {value!r}"
    )


CODE_PARTS = ("fonds", "category", "year", "retention", "department", "seq")


def _code_template(value: Any) -> str | None:
    if not isinstance(value, str) or "{seq" not in value:
        return f"must contain {{seq}} (e.g. {{seq:04}}), got {value!r}"
    try:
        value.format(
            fonds="F",
            category="C",
            year="2026",
            retention="Y",
            department="D",
            seq=1,
        )
    except (KeyError, IndexError, ValueError) as exc:
        return f"may use only {{{'}, {'.join(CODE_PARTS)}}}: {exc!r} in {value!r}"
    return None


def _cron(value: Any) -> str | None:
    if value == "disable":
        return None
    if not isinstance(value, str) or len(value.split()) != 5:
        return f"must be a cron expression of 5 fields or 'disable', got {value!r}"
    return None


def _at_least(minimum: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            return f"must be a whole number of at least {minimum}, got {value!r}"
        return None

    return check


def _date_list(value: Any) -> str | None:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, datetime.date) for item in value
    ):
        return f"must be a list of dates, got {value!r}"
    return None


@dataclass(frozen=True)
class Setting:
    """One setting: its default, how the environment spells it, what is valid."""

    default: Any
    parse: Callable[[str, Any], Any]
    check: Callable[[Any], str | None]
    help: str


# SPEC §10: the values the policy leaves as [X].
SETTINGS: dict[str, Setting] = {
    "COLLECTION_DAYS": Setting(
        10,
        _whole_number,
        _at_least(1),
        "working days after the project end to collect its records (policy §2.2.4)",
    ),
    "FILING_DAYS": Setting(
        20,
        _whole_number,
        _at_least(1),
        "working days after the project end to transfer them for filing (policy §4.2)",
    ),
    "RETENTION_IMPORTANT": Setting(
        30,
        _whole_number,
        _at_least(1),
        "years an important record is kept (policy §5.3)",
    ),
    "RETENTION_ORDINARY": Setting(
        10,
        _whole_number,
        _at_least(1),
        "years an ordinary record is kept (policy §5.3)",
    ),
    "LOAN_MAX_DAYS": Setting(
        10,
        _whole_number,
        _at_least(1),
        "longest loan period in working days (policy §6.2.2)",
    ),
    "LOAN_MAX_RENEWALS": Setting(
        1,
        _whole_number,
        _at_least(0),
        "renewals (续借) a loan may have",
    ),
    "LOAN_ELECTRONIC_COPIES": Setting(
        default=False,
        parse=_bool,
        check=_is_bool,
        help="lend electronic copies too, recorded like paper loans",
    ),
    "LOAN_REMINDER_GRACE_DAYS": Setting(
        3,
        _whole_number,
        _at_least(0),
        "working days overdue after which the department head gets the reminder too",
    ),
    "LOAN_REMINDER_CRON": Setting(
        "0 9 * * *",
        _text,
        _cron,
        "when overdue borrowers are reminded (催还) (cron), or 'disable'",
    ),
    "ACCESS_PERIODS_CRON": Setting(
        "10 0 * * *",
        _text,
        _cron,
        "when access periods that began are granted and ended ones withdrawn (cron), "
        "or 'disable'",
    ),
    "FIXITY_CRON": Setting(
        "30 1 * * sun",
        _text,
        _cron,
        "when the fixity check (四性检测) recomputes every file's checksum (cron), "
        "or 'disable'",
    ),
    "FIXITY_CHUNK": Setting(
        500,
        _whole_number,
        _at_least(1),
        "documents per part of a fixity check: what one worker claims and commits at once",
    ),
    "FIXITY_PARALLEL": Setting(
        0,
        _whole_number,
        _at_least(0),
        "celery tasks that check a fixity run's parts in parallel; 0: as many as the "
        "worker runs at once (CELERY_WORKER_CONCURRENCY), at most 8",
    ),
    "FIXITY_STALE_AFTER": Setting(
        600,
        _whole_number,
        _at_least(3),
        "seconds without progress after which a fixity worker counts as dead: its part "
        "is claimed again, and a run nobody works on is interrupted (to be resumed)",
    ),
    "MAJOR_COLLECTION_DAYS": Setting(
        5,
        _whole_number,
        _at_least(1),
        "working days to collect the records of a major project (重大项目)",
    ),
    "MAJOR_FILING_DAYS": Setting(
        10,
        _whole_number,
        _at_least(1),
        "working days to transfer a major project's records for filing",
    ),
    "COVER_SHEETS": Setting(
        default=True,
        parse=_bool,
        check=_is_bool,
        help="look for a cover-sheet barcode on the first page of incoming PDFs",
    ),
    "FILING_STAMP": Setting(
        default=True,
        parse=_bool,
        check=_is_bool,
        help="put the filing stamp (归档章) on the archive version of filed records",
    ),
    "FILING_STAMP_CRON": Setting(
        "15 2 * * *",
        _text,
        _cron,
        "when filed records left without their filing stamp are stamped (cron), "
        "or 'disable'",
    ),
    "CJK_FONT": Setting(
        # TrueType outlines: fpdf2 mis-embeds CFF-based fonts such as Noto Sans CJK.
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        _path,
        _readable_file,
        "the CJK font embedded in printed sheets and registers",
    ),
    "HOLDING_DIR": Setting(
        None,  # <DATA_DIR>/svc-archive/held-scans
        _path,
        _holding_dir,
        "where failed scans are kept for the archive manager (default: under DATA_DIR)",
    ),
    "CAPTURE_SUMMARY_CRON": Setting(
        "30 7 * * *",
        _text,
        _cron,
        "when archive managers get the day's capture reports by mail",
    ),
    "FONDS": Setting(
        "SVC",
        _text,
        _non_empty,
        "fonds code (全宗号) at the head of archive codes",
    ),
    "ARCHIVE_CODE_TEMPLATE": Setting(
        "{fonds}-{category}·{year}-{retention}-{department}-{seq:04}",
        _text,
        _code_template,
        "archive code template (DA/T 13 style)",
    ),
    "RECORDS_ACCOUNT": Setting(
        "archive-records",
        _text,
        _non_empty,
        "username of the account that owns filed records",
    ),
    "FILING_DUE_SOON_DAYS": Setting(
        5,
        _whole_number,
        _at_least(1),
        "working days before a filing deadline from which a dossier counts as due soon",
    ),
    "COLLECTION_DUE_SOON_DAYS": Setting(
        3,
        _whole_number,
        _at_least(1),
        "working days before a collection deadline from which a dossier counts as due soon",
    ),
    "COLLECTION_REMINDER_CRON": Setting(
        "0 8 * * *",
        _text,
        _cron,
        "when the collection-deadline reminder runs (cron), or 'disable'",
    ),
    "FILING_REMINDER_CRON": Setting(
        "0 8 * * *",
        _text,
        _cron,
        "when the overdue-filing reminder runs (cron), or 'disable'",
    ),
    "RETENTION_FROM_NEXT_YEAR": Setting(
        default=True,
        parse=_bool,
        check=_is_bool,
        help="count retention from 1 January after the project end (else from the day)",
    ),
    "RETENTION_SWEEP_CRON": Setting(
        "30 1 * * *",
        _text,
        _cron,
        "when the retention sweep fills the appraisal queue (cron), or 'disable'",
    ),
    "DESTRUCTION_CHECKERS": Setting(
        2,
        _whole_number,
        _at_least(2),
        "people who check a destruction list against the files (清点核对)",
    ),
    "DESTRUCTION_SUPERVISORS": Setting(
        2,
        _whole_number,
        _at_least(2),
        "supervisors (监销人) who confirm a destruction before it is carried out",
    ),
    # A testing aid, never needed in production: the fault tests kill the worker while
    # it waits, right after a record's tombstone and before its files are removed.
    "DESTRUCTION_PAUSE_SECONDS": Setting(
        0,
        _whole_number,
        _at_least(0),
        "testing aid: seconds to wait after each record's tombstone (leave at 0)",
    ),
    "HOLIDAYS": Setting(
        [],
        _dates,
        _date_list,
        "days off on top of the national calendar (chinesecalendar); the admin's calendar wins",
    ),
    "MAKEUP_WORKDAYS": Setting(
        [],
        _dates,
        _date_list,
        "working days on top of the national calendar, e.g. 调休; the admin's calendar wins",
    ),
}


class ArchiveSettings:
    """Lazy, validated access to the plugin's settings, e.g. ``archive_settings.FILING_DAYS``."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in SETTINGS:
            raise AttributeError(name)
        if name not in self._cache:
            value, problem = self._load(name)
            if problem:
                raise ImproperlyConfigured(problem)
            self._cache[name] = value
        return self._cache[name]

    def _load(self, name: str) -> tuple[Any, str | None]:
        spec = SETTINGS[name]
        django_name = SETTINGS_PREFIX + name
        if hasattr(settings, django_name):
            source, value = django_name, getattr(settings, django_name)
        else:
            source = ENV_PREFIX + name
            try:
                value = spec.parse(source, spec.default)
            except ValueError as exc:
                return None, f"{source} {exc}."
        problem = spec.check(value)
        return value, (f"{source} {problem}." if problem else None)

    def errors(self) -> list[str]:
        """Return one precise message per invalid setting, for the system check."""
        problems = [p for name in SETTINGS if (p := self._load(name)[1])]
        if problems:
            return problems
        if self.MAJOR_FILING_DAYS < self.MAJOR_COLLECTION_DAYS:
            problems.append(
                f"{ENV_PREFIX}MAJOR_FILING_DAYS ({self.MAJOR_FILING_DAYS}) must not be shorter "
                f"than {ENV_PREFIX}MAJOR_COLLECTION_DAYS ({self.MAJOR_COLLECTION_DAYS}).",
            )
        if self.FILING_DAYS < self.COLLECTION_DAYS:
            problems.append(
                f"{ENV_PREFIX}FILING_DAYS ({self.FILING_DAYS}) must not be shorter than "
                f"{ENV_PREFIX}COLLECTION_DAYS ({self.COLLECTION_DAYS}): records are "
                "collected before they are transferred.",
            )
        if self.RETENTION_IMPORTANT <= self.RETENTION_ORDINARY:
            problems.append(
                f"{ENV_PREFIX}RETENTION_IMPORTANT ({self.RETENTION_IMPORTANT}) must be longer "
                f"than {ENV_PREFIX}RETENTION_ORDINARY ({self.RETENTION_ORDINARY}): important "
                "records are kept longer than ordinary ones.",
            )
        return problems

    def effective(self) -> dict[str, Any]:
        """Return every setting's effective value, JSON-friendly."""
        return {name: _json_friendly(getattr(self, name)) for name in SETTINGS}

    def reload(self) -> None:
        self._cache.clear()


def _json_friendly(value: Any) -> Any:
    if isinstance(value, list):
        return [item.isoformat() for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


archive_settings = ArchiveSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(SETTINGS_PREFIX):
        archive_settings.reload()


setting_changed.connect(_reload_on_change)
