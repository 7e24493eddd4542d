"""The plugin's custom fields, select options and tags in paperless, while records use them.

Records carry their customer, project, category, 档号, retention and 密级 in the plugin's
custom fields, and their protection in its tags (冻结, 借出, 待销毁, the retention tags).
Deleting such a field or tag, renaming it away, or removing an option in use, would strip
or hide those facts on every record at once, so it is refused while any document (in the
trash too) uses it. Unused ones stay free; ``svc_archive_setup`` makes missing ones again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from django.utils.translation import gettext as _
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import Document
from documents.models import Tag

from svc_archive_plugin.models import ProvisionedObject

if TYPE_CHECKING:
    from collections.abc import Iterable


class VocabularyInUse(Exception):
    """A plugin field, option or tag that records use cannot be deleted or renamed."""


def _provisioned_ids(prefix: str) -> set[int]:
    return set(
        ProvisionedObject.objects.filter(key__startswith=prefix).values_list(
            "object_id",
            flat=True,
        ),
    )


def is_plugin_field(field: CustomField) -> bool:
    return field.pk in _provisioned_ids("custom_field.")


def plugin_tag_ids() -> set[int]:
    """The provisioned tags, and every tag under the retention root (定期N年 made later)."""
    ids = _provisioned_ids("tag.")
    root = ProvisionedObject.objects.filter(key="tag.retention").first()
    if root is not None:
        ids |= set(
            Tag.objects.filter(tn_parent_id=root.object_id).values_list(
                "pk",
                flat=True,
            ),
        )
    return ids


def _rule() -> str:
    return _(
        "(rule: the archive's fields and tags stay while records use them; "
        "svc_archive_setup provides them)",
    )


def check_field_change(
    field: CustomField,
    *,
    delete: bool = False,
    name: str | None = None,
    options: list[dict[str, Any]] | None = None,
) -> None:
    """Refuse deleting, renaming or removing options in use of a plugin custom field."""
    if field.pk is None or not is_plugin_field(field):
        return
    used = CustomFieldInstance.global_objects.filter(field=field)
    if delete or (name is not None and name.strip() != field.name):
        count = used.count()
        if count:
            what = _("deleted") if delete else _("renamed")
            raise VocabularyInUse(
                _(
                    "The custom field %(name)s cannot be %(what)s: %(count)s document(s) "
                    "carry it as archive records %(rule)s.",
                )
                % {"name": field.name, "what": what, "count": count, "rule": _rule()},
            )
    if options is not None and field.data_type == CustomField.FieldDataType.SELECT:
        kept = {o.get("id") for o in options if isinstance(o, dict)}
        labels = {
            o.get("id"): o.get("label", "")
            for o in field.extra_data.get("select_options", [])
        }
        removed = set(labels) - kept
        in_use = sorted(
            {
                labels[v]
                for v in used.filter(value_select__in=removed)
                .values_list("value_select", flat=True)
                .distinct()
            },
        )
        if in_use:
            raise VocabularyInUse(
                _(
                    "The option(s) %(options)s of %(name)s cannot be removed: documents "
                    "use them %(rule)s.",
                )
                % {"options": ", ".join(in_use), "name": field.name, "rule": _rule()},
            )


def _tag_documents(tag: Tag) -> int:
    pks = {tag.pk, *tag.get_descendants_pks()}
    return (
        Document.tags.through.objects.filter(tag_id__in=pks)
        .values("document_id")
        .distinct()
        .count()
    )


def check_tag_change(
    tag: Tag,
    *,
    delete: bool = False,
    name: str | None = None,
) -> None:
    """Refuse deleting or renaming a plugin tag (or one above it) that documents carry."""
    if tag.pk is None:
        return
    if not delete and (name is None or name.strip() == tag.name):
        return
    plugin = plugin_tag_ids()
    if tag.pk not in plugin and not (
        delete and plugin & set(tag.get_descendants_pks())
    ):
        return
    count = _tag_documents(tag)
    if count:
        what = _("deleted") if delete else _("renamed")
        raise VocabularyInUse(
            _(
                "The tag %(name)s cannot be %(what)s: %(count)s document(s) carry it "
                "(or a tag under it) as archive records %(rule)s.",
            )
            % {"name": tag.name, "what": what, "count": count, "rule": _rule()},
        )


def check_tags_delete(tags: Iterable[Tag]) -> None:
    for tag in tags:
        check_tag_change(tag, delete=True)


def refusals(check, *objects: Any, **kwargs: Any) -> list[str]:
    """The refusals ``check`` gives for each object (for the admin's protected list)."""
    found = []
    for obj in objects:
        try:
            check(obj, **kwargs)
        except VocabularyInUse as exc:
            found.append(str(exc))
    return found
