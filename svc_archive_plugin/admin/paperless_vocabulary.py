"""paperless's custom-field and tag admins: the archive's ones stay while records use them."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from documents.admin import CustomFieldsAdmin
from documents.admin import TagAdmin
from documents.models import CustomField
from documents.models import Tag

from svc_archive_plugin.services import vocabulary_in_use as in_use


def _guarded_form(form_class, check, obj):
    class GuardedForm(form_class):
        def clean(self):
            data = super().clean()
            if obj is not None and "name" in data:
                try:
                    check(obj, name=data["name"])
                except in_use.VocabularyInUse as exc:
                    raise ValidationError(str(exc)) from exc
            return data

    return GuardedForm


class _InUseGuard:
    """Refuse deleting (listed where Django lists protected objects) and renaming."""

    in_use_check = None

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(
            objs,
            request,
        )
        found = in_use.refusals(type(self).in_use_check, *objs, delete=True)
        return to_delete, model_count, perms_needed, [*protected, *found]

    def get_form(self, request, obj=None, change=False, **kwargs):  # noqa: FBT002  (Django's signature)
        form = super().get_form(request, obj, change, **kwargs)
        return _guarded_form(form, type(self).in_use_check, obj)


class GuardedCustomFieldsAdmin(_InUseGuard, CustomFieldsAdmin):
    in_use_check = staticmethod(in_use.check_field_change)


class GuardedTagAdmin(_InUseGuard, TagAdmin):
    in_use_check = staticmethod(in_use.check_tag_change)


for model, model_admin in (
    (CustomField, GuardedCustomFieldsAdmin),
    (Tag, GuardedTagAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
