"""The chairs' mail page: write to the people of a desk search (or to the late reviewers)
with merge fields, preview the mail of any recipient, hold it in the outbox, release it.

A view of the decision board (`DecisionBoardAdmin` mixes `MailComposeViews` in), so that
the papers are selected by the desk's own search and filters (`_condition`): the page
mails exactly the papers the desk showed. Every rule is the service's
(`reviews.services.mail`); the form only checks what a person typed.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from workshop.errors import ServiceError
from workshop.models import Workshop
from workshop.plurals import counted
from workshop.tracks import WHOLE_WORKSHOP, chair_scope
from workshop.validators import OneLineInputs

from ..selectors.mail import CAMPAIGN_KIND, RecipientKind, mail_campaigns
from ..services import mail as mail_services

# The desk's filters besides the search, carried from the desk to the mail page unchanged.
DESK_FILTERS = ("topic", "type", "decision", "status")
LISTED = 200  # recipients listed on the page (the count and the preview cover all)


class MailComposeForm(OneLineInputs, forms.Form):
    recipients = forms.ChoiceField(
        label="Send to", choices=RecipientKind.choices, initial=RecipientKind.CONTACT_AUTHORS
    )
    q = forms.CharField(
        label="Papers (the desk's search)", required=False, max_length=500,
        help_text="Empty: every submitted or decided paper. E.g. decision:accept camera:no",
    )  # fmt: skip
    subject = forms.CharField(label="Subject", required=False, max_length=200)
    body = forms.CharField(
        label="Text", required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 70}),
    )  # fmt: skip
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("recipients", "")
        for name in ("subject", "body"):
            for problem in mail_services.merge_fields_problems(data.get(name, ""), kind=kind):
                self.add_error(name, problem)
        if "\n" in data.get("subject", "") or "\r" in data.get("subject", ""):
            self.add_error("subject", "The subject is one line.")
        return data


class MailComposeViews:
    """The mail page, for the decision board's admin (which provides `_condition`,
    `chaired_workshop`, `admin_site` and `message_user`)."""

    def mail_urls(self) -> list:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("mail/<int:workshop_id>/", wrap(self.mail_compose_view),
                 name="reviews_mail_compose"),
        ]  # fmt: skip

    def mail_compose_view(self, request: HttpRequest, workshop_id: int) -> HttpResponse:
        """GET: the form (from the desk: its search and filters filled in). POST `do`:
        `preview` (recipients, count, one recipient's mail), `hold` (into the outbox,
        held), `release` or `discard` (one held mail, `campaign`)."""
        workshop = self.chaired_workshop(request, workshop_id)  # type: ignore[attr-defined]
        if request.method == "POST":
            action = request.POST.get("do", "preview")
            if action in ("release", "discard"):
                return self._mail_act(request, workshop, action)
            return self._mail_compose(request, workshop, request.POST, action)
        initial = {
            "recipients": request.GET.get("recipients", RecipientKind.CONTACT_AUTHORS),
            "q": request.GET.get("q", ""),
            "token": secrets.token_urlsafe(24),
        }
        form = MailComposeForm(initial=initial)
        carried = {k: request.GET[k] for k in DESK_FILTERS if request.GET.get(k)}
        draft = None
        if "q" in request.GET or "recipients" in request.GET:
            # From the desk: who the search reaches, before a word is written.
            condition, error = self._condition(workshop, request.GET)  # type: ignore[attr-defined]
            if error:
                self.message_user(  # type: ignore[attr-defined]
                    request, f"The search cannot be read: {error}.", messages.ERROR
                )
            elif initial["recipients"] in RecipientKind.values:
                draft = mail_services.mail_campaign_compose(
                    workshop=workshop, actor=request.user, kind=initial["recipients"],
                    subject="", body="", condition=condition,
                )  # fmt: skip
        return self._mail_page(request, workshop, form, carried, draft=draft)

    def _mail_compose(self, request: HttpRequest, workshop: Workshop, data: QueryDict,
                      action: str) -> HttpResponse:  # fmt: skip
        form = MailComposeForm(data)
        carried = {k: data[k] for k in DESK_FILTERS if data.get(k)}
        draft = None
        if form.is_valid():
            condition, error = self._condition(workshop, data)  # type: ignore[attr-defined]
            if error:
                form.add_error("q", f"The search cannot be read: {error}.")
            elif action == "hold":
                return self._mail_hold(request, workshop, form, condition, carried)
            else:
                draft = self._mail_draft(request, workshop, form, condition)
        return self._mail_page(request, workshop, form, carried, draft=draft)

    def _mail_draft(self, request: HttpRequest, workshop: Workshop, form: MailComposeForm,
                    condition: Any) -> mail_services.CampaignDraft | None:  # fmt: skip
        data = form.cleaned_data  # a field refused by `_mail_hold` has left it: preview empty
        try:
            return mail_services.mail_campaign_compose(
                workshop=workshop, actor=request.user, kind=data["recipients"],
                subject=data.get("subject", ""), body=data.get("body", ""), condition=condition,
            )  # fmt: skip
        except ServiceError as exc:
            form.add_error(None, exc.message)
            return None

    def _mail_hold(self, request: HttpRequest, workshop: Workshop, form: MailComposeForm,
                   condition: Any, carried: dict[str, str]) -> HttpResponse:  # fmt: skip
        data = form.cleaned_data
        for name in ("subject", "body"):
            if not data[name].strip():
                form.add_error(name, "Write the mail first.")
        if not form.is_valid():
            draft = self._mail_draft(request, workshop, form, condition)
            return self._mail_page(request, workshop, form, carried, draft=draft)
        try:
            held = mail_services.mail_campaign_hold(
                workshop=workshop, chair=request.user, token=data["token"],
                kind=data["recipients"], subject=data["subject"], body=data["body"],
                query=data["q"], condition=condition,
            )  # fmt: skip
        except ServiceError as exc:
            form.add_error(None, exc.message)
            draft = self._mail_draft(request, workshop, form, condition)
            return self._mail_page(request, workshop, form, carried, draft=draft)
        if held.created:
            self.message_user(  # type: ignore[attr-defined]
                request,
                f"{counted(held.mails, 'mail')} held for release. Nothing is sent until you "
                "release them below.",
                messages.SUCCESS,
            )
        else:
            self.message_user(  # type: ignore[attr-defined]
                request,
                f"This mail was held already ({counted(held.mails, 'mail')}); nothing was added.",
                messages.INFO,
            )
        return redirect(reverse("admin:reviews_mail_compose", args=[workshop.pk]))

    def _mail_act(self, request: HttpRequest, workshop: Workshop, action: str) -> HttpResponse:
        campaign = request.POST.get("campaign", "")
        try:
            if action == "release":
                count = mail_services.mail_campaign_release(
                    workshop=workshop, chair=request.user, campaign_id=campaign
                )
                text = (
                    f"{counted(count, 'mail')} released for delivery."
                    if count
                    else ("No mail of this campaign is held any more: nothing was released.")
                )
            else:
                count = mail_services.mail_campaign_discard(
                    workshop=workshop, chair=request.user, campaign_id=campaign
                )
                text = f"{counted(count, 'held mail')} discarded."
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
        else:
            self.message_user(  # type: ignore[attr-defined]
                request, text, messages.SUCCESS if count else messages.INFO
            )
        return redirect(reverse("admin:reviews_mail_compose", args=[workshop.pk]))

    def _mail_page(self, request: HttpRequest, workshop: Workshop, form: MailComposeForm,
                   carried: dict[str, str], *, draft: Any) -> HttpResponse:  # fmt: skip
        chosen = request.POST.get("preview", "") if request.method == "POST" else ""
        desk = {"workshop": workshop.pk, **carried}
        if form.is_bound and form.is_valid() and form.cleaned_data.get("q"):
            desk["q"] = form.cleaned_data["q"]
        elif not form.is_bound and form.initial.get("q"):
            desk["q"] = form.initial["q"]
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": f"Mail to the people of {workshop.short_name}",
            "opts": self.model._meta,  # type: ignore[attr-defined]
            "workshop": workshop,
            "form": form,
            "carried": carried,
            "draft": draft,
            "listed": draft.mails[:LISTED] if draft else [],
            "preview": draft.preview(chosen) if draft else None,
            "fields": mail_services.MERGE_FIELDS,
            "campaigns": [  # a track chair's own only (issue 27)
                c for c in mail_campaigns(workshop)
                if chair_scope(request.user, workshop) is WHOLE_WORKSHOP
                or c.entry.actor_id == request.user.pk
            ],
            "desk_url": reverse("admin:reviews_decisionboard_changelist") + "?" + urlencode(desk),
            "outbox_url": reverse("admin:workshop_outgoingmail_changelist") + "?"
            + urlencode({"workshop__id__exact": workshop.pk, "kind": CAMPAIGN_KIND,
                         "status__exact": "held"}),
        }  # fmt: skip
        return TemplateResponse(request, "admin/reviews/mail_compose.html", context)
