"""Shared admin for evidence: shown to those allowed to see it, never added, edited or deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.admin.base import PeopleByName
from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.steps import take

if TYPE_CHECKING:
    from svc_archive_plugin.steps import Step


class EvidenceAdmin(PluginAdmin):
    """Read-only: the rows are written by the services, never through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class NextStepsColumns:
    """Mixin for a list of objects that move by steps: the row's buttons, what it waits for.

    ``next_steps(request, obj)`` gives the steps the viewer may take on the row now (the
    service's ``allowed_steps``), ``waiting_for(obj)`` what the row waits for; each button
    opens the step's page on the admin of ``step_model_name`` (this list's own model
    unless a desk screen names the register's). Put it before the ``ModelAdmin``.
    """

    step_model_name: str = ""
    step_labels: dict[str, str]

    def next_steps(self, request, obj) -> list[str]:
        raise NotImplementedError

    def waiting_for(self, obj) -> str:
        raise NotImplementedError

    def step_url_name(self, step: str) -> str:
        model_name = self.step_model_name or self.opts.model_name
        return f"{self.opts.app_label}_{model_name}_{step}"

    def step_buttons(self, request, obj) -> list[tuple[str, str, str]]:
        """(url, label, step) of each step the viewer may take on ``obj`` now."""
        return [
            (
                reverse(f"admin:{self.step_url_name(step)}", args=[obj.pk]),
                self.step_labels[step],
                step,
            )
            for step in self.next_steps(request, obj)
        ]

    @admin.display(description=_("waiting for"))
    def waiting(self, obj) -> str:
        # Wide enough to read as a phrase, not one character a line, in a narrow table.
        return format_html(
            '<span class="svc-waiting" style="display: inline-block; min-width: 9em">'
            "{}</span>",
            self.waiting_for(obj) or "—",
        )

    def get_list_display(self, request):
        @admin.display(description=_("next steps"))
        def next_step_buttons(obj) -> str:
            return format_html_join(
                " ",
                '<a class="button svc-step-button" data-step="{}" href="{}" '
                'style="display: inline-block; margin: 2px 0; min-width: 6em">{}</a>',
                (
                    (step, url, label)
                    for url, label, step in self.step_buttons(request, obj)
                ),
            )

        # Next to the state, so they stay in view however wide the rest of the row is.
        columns = list(super().get_list_display(request))
        at = columns.index("state") + 1 if "state" in columns else len(columns)
        columns[at:at] = ["waiting", next_step_buttons]
        return columns


class StepsAdmin(NextStepsColumns):
    """Mixin for objects that move by steps (dossiers, loans, requests, destruction lists).

    ``steps`` is the object's table in ``svc_archive_plugin.steps``, shared with the API.
    Each step has a URL and a form page (``step_view``): ``step_form`` (or the step's own
    in ``step_forms``) with fields named as the step's inputs. The object's page shows, as
    buttons, the steps ``next_steps(request, obj)`` says the viewer may take now. Put it
    before the ``ModelAdmin`` in the bases.
    """

    steps: dict[str, Step]
    step_form: type[forms.Form]
    step_forms: dict[str, type[forms.Form]] = {}

    @property
    def step_labels(self) -> dict[str, str]:
        return {name: step.label for name, step in self.steps.items()}

    def step_object(self, request, pk: int):
        """The object the step is taken on, if this person may see it (else ``Http404``)."""
        raise NotImplementedError

    def step_form_for(self, name: str, data=None) -> forms.Form:
        step = self.steps[name]
        # A step that takes nothing asks nothing: its page only confirms.
        form_class = self.step_forms.get(name, self.step_form if step.inputs else None)
        return step_form(step, form_class or forms.Form, data)

    def step_view(self, request, pk: int, step: str):
        obj = self.step_object(request, pk)
        form = self.step_form_for(
            step,
            request.POST if request.method == "POST" else None,
        )
        if request.method == "POST" and form.is_valid():
            try:
                take(self.steps[step], obj, request.user, form.cleaned_data)
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, self.steps[step].label, messages.SUCCESS)
                return redirect(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                    pk,
                )
        return form_page(
            self,
            request,
            title=self.steps[step].label,
            form=form,
            original=obj,
        )

    def run_step_on_each(self, request, queryset, name: str, done_message):
        """The admin action that takes step ``name`` on each selected row."""
        form_class = self.step_forms.get(name, self.step_form)
        return take_on_each(
            self,
            request,
            queryset,
            self.steps[name],
            form_class,
            done_message,
        )

    def get_urls(self):
        return [
            *(
                path(
                    f"<int:pk>/{step}/",
                    self.admin_site.admin_view(self.step_view),
                    {"step": step},
                    name=self.step_url_name(step),
                )
                for step in self.step_labels
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # get_object: None (Django's "does not exist") for a bad or foreign id, not a 500.
        obj = self.get_object(request, unquote(object_id))
        extra = {"steps": self.step_buttons(request, obj) if obj is not None else []}
        return super().change_view(
            request,
            object_id,
            form_url,
            {**extra, **(extra_context or {})},
        )


def step_form(step: Step, form_class: type[forms.Form], data=None) -> forms.Form:
    """The step's form; its first input is required where the step needs it."""
    form = form_class(data)
    if step.required and step.inputs and step.inputs[0] in form.fields:
        form.fields[step.inputs[0]].required = True
    return form


def take_on_each(modeladmin, request, queryset, step: Step, form_class, done_message):
    """An admin action that takes ``step`` on each selected row (see ``run_on_each``)."""
    return run_on_each(
        modeladmin,
        request,
        queryset,
        label=step.label,
        form=step_form(
            step,
            form_class,
            request.POST if "apply" in request.POST else None,
        ),
        run=lambda row, user, data: take(step, row, user, data),
        error=Refused,
        done_message=done_message,
    )


class EvidenceInline(PeopleByName, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def form_page(
    modeladmin,
    request,
    *,
    title: str,
    form,
    original=None,
    intro: str = "",
    hidden: list[tuple[str, str]] | None = None,
):
    """Render a step's form in the admin's frame (breadcrumbs back to the object)."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "original": original,
        "title": title,
        "intro": intro,
        "form": form,
        "hidden": hidden or [],
    }
    return TemplateResponse(request, "admin/svc_archive_plugin/form.html", context)


class DepartmentFilter(admin.RelatedFieldListFilter):
    """Departments only: the role groups (档案管理员, 员工, …) are not departments."""

    def field_choices(self, field, request, model_admin):
        from svc_archive_plugin.services.people import role_group_ids

        roles = role_group_ids()
        return [
            (pk, name)
            for pk, name in field.get_choices(include_blank=False)
            if pk not in roles
        ]


def action_fields(request, queryset) -> list[tuple[str, str]]:
    """Hidden fields that bring an admin action's form back to the same action and rows."""
    return [("action", request.POST.get("action", "")), ("apply", "1")] + [
        (ACTION_CHECKBOX_NAME, str(pk)) for pk in queryset.values_list("pk", flat=True)
    ]


def run_on_each(
    modeladmin,
    request,
    queryset,
    *,
    label: str,
    form,
    run,
    error: type[Exception],
    done_message,
):
    """An admin action that takes one step on each selected row.

    Shows ``form`` until it is valid; then runs ``run(row, user, cleaned_data)`` per row,
    reporting each refusal (``error``) by row and the number done.
    """
    if not (form.is_bound and form.is_valid()):
        return form_page(
            modeladmin,
            request,
            title=label,
            form=form,
            hidden=action_fields(request, queryset),
        )
    done = 0
    for row in queryset:
        try:
            run(row, request.user, form.cleaned_data)
        except error as exc:
            modeladmin.message_user(request, f"{row}: {exc}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)
    return None
