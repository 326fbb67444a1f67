"""Consents, sharing agreements, break-glass, the accounting of disclosures and the audit log.

Thin: the decisions are the policy's, the reads the selectors', the writes the services'."""

from __future__ import annotations

import base64
import csv
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from coresponse.agencies.models import Agency, Role
from coresponse.privacy import selectors, services
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import (
    AuditAction,
    AuditEvent,
    BreakGlass,
    ConsentKind,
    Purpose,
    RecipientClass,
)

DOCUMENT_LIMIT = 5 * 1024 * 1024
DOCUMENT_TYPES = {"image/png", "image/jpeg", "application/pdf"}
SIGNATURE_PREFIX = "data:image/png;base64,"


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices, initial=ConsentKind.PART2)
    recipient = forms.ChoiceField(label="Disclose to")
    categories = forms.MultipleChoiceField(
        choices=DataCategory.choices, widget=forms.CheckboxSelectMultiple, label="What"
    )
    purposes = forms.MultipleChoiceField(
        choices=[c for c in Purpose.choices if c[0] != Purpose.CRIMINAL_INVESTIGATION],
        widget=forms.CheckboxSelectMultiple,
        label="For what purpose",
    )
    description = forms.CharField(
        required=False,
        max_length=500,
        label="In the person's words",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    signed_by = forms.CharField(max_length=200, label="Signed by")
    expires_on = forms.DateField(
        required=False, label="Expires on", widget=forms.DateInput(attrs={"type": "date"})
    )
    expiry_event = forms.CharField(required=False, max_length=200, label="Or ends when")
    revocation_explained = forms.BooleanField(
        label="I told the person they may revoke this consent at any time, and how"
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    document = forms.FileField(required=False, label="Or upload the signed form (PDF or image)")

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.exclude(pk=person.agency_id).order_by("name")
        self.fields["recipient"].choices = [
            ("Agencies", [(f"agency:{a.pk}", a.name) for a in agencies]),
            (
                "Classes of recipient",
                [(f"class:{v}", label) for v, label in RecipientClass.choices],
            ),
        ]

    def clean(self):
        data = super().clean()
        if not data.get("expires_on") and not data.get("expiry_event"):
            self.add_error("expires_on", "Give a date or an event that ends the consent.")
        if data.get("expires_on") and data["expires_on"] <= timezone.localdate():
            self.add_error("expires_on", "The expiry date must be after today.")
        signature, upload = data.get("signature", ""), data.get("document")
        if not signature and not upload:
            self.add_error(None, "The person signs on the screen, or you upload the signed form.")
        if signature and not signature.startswith(SIGNATURE_PREFIX):
            self.add_error("signature", "The signature did not come through; sign again.")
        if upload is not None:
            if upload.size > DOCUMENT_LIMIT:
                self.add_error("document", "The file is larger than 5 MB.")
            elif upload.content_type not in DOCUMENT_TYPES:
                self.add_error("document", "Upload a PDF, PNG or JPEG.")
        if (
            DataCategory.SUBSTANCE_USE in data.get("categories", [])
            and data.get("kind") != ConsentKind.PART2
        ):
            self.add_error(
                "kind", "Substance-use records need a 42 CFR Part 2 consent, not a general release."
            )
        return data

    def document_bytes(self) -> tuple[bytes, str]:
        upload = self.cleaned_data.get("document")
        if upload is not None:
            return upload.read(), upload.content_type
        encoded = self.cleaned_data["signature"].removeprefix(SIGNATURE_PREFIX)
        try:
            return base64.b64decode(encoded, validate=True), "image/png"
        except ValueError:
            raise ValidationError("The signature did not come through; sign again.") from None


@login_required
def person_consents(request, pk):
    person = selectors.person_for(request.user, pk)
    if not selectors.may_manage_consents(request.user, person):
        raise Http404("No person found matching the query")
    form = ConsentForm(request.POST or None, request.FILES or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            document, document_type = form.document_bytes()
            consent = _record(request.user, person, form.cleaned_data, document, document_type)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Consent {consent.external_id} recorded and in force.")
            return redirect("privacy:person_consents", pk=person.pk)
    return render(
        request,
        "privacy/consents.html",
        {
            "person": person,
            "rows": selectors.consents_of(request.user, person),
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _record(user, person, data, document, document_type):
    kind, _, value = data["recipient"].partition(":")
    expires = None
    if data.get("expires_on"):
        expires = timezone.make_aware(datetime.combine(data["expires_on"], time(23, 59)))
    return services.record_consent(
        person=person,
        kind=data["kind"],
        to_agency=Agency.objects.get(pk=int(value)) if kind == "agency" else None,
        to_class=value if kind == "class" else "",
        categories=data["categories"],
        purposes=data["purposes"],
        description=data["description"],
        signed_by=data["signed_by"],
        signed_at=timezone.now(),
        expires_at=expires,
        expiry_event=data["expiry_event"],
        document=document,
        document_type=document_type,
        by=user,
    )


@login_required
@require_POST
def revoke(request, pk):
    consent = selectors.consent_for(request.user, pk)
    services.revoke_consent(consent, by=request.user, note=request.POST.get("note", "")[:300])
    messages.success(request, f"Consent {consent.external_id} revoked: no longer in force.")
    return redirect("privacy:person_consents", pk=consent.person_id)


@login_required
def consent_document(request, pk):
    consent = selectors.consent_for(request.user, pk)
    if not consent.document:
        raise Http404("No signed form on file")
    services.record(
        request.user,
        AuditAction.READ,
        "consent",
        consent.pk,
        detail="signed consent form opened",
        person_ids=[consent.person_id],
    )
    response = HttpResponse(bytes(consent.document), content_type=consent.document_type)
    response["Content-Disposition"] = f'inline; filename="consent-{consent.external_id}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def accounting(request, pk):
    person = selectors.person_for(request.user, pk)
    rows = selectors.accounting(request.user, person)
    if request.GET.get("format") == "csv":
        return _accounting_csv(request.user, person, rows)
    return render(request, "privacy/accounting.html", {"person": person, "rows": rows})


def _accounting_csv(user, person, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="disclosures-{person.external_id}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(["at", "who", "action", "record", "categories", "purpose", "basis", "detail"])
    for row in rows:
        e = row.event
        writer.writerow(
            [
                timezone.localtime(e.at).isoformat(),
                row.who,
                e.get_action_display(),
                row.record,
                ";".join(e.categories),
                e.purpose,
                e.reason,
                e.detail,
            ]
        )
    services.record(
        user,
        AuditAction.EXPORT,
        "accounting",
        person.pk,
        detail=f"accounting of disclosures exported ({len(rows)} entries)",
        person_ids=[person.pk],
        purpose=Purpose.AUDIT,
    )
    return response


class BreakGlassForm(forms.Form):
    justification = forms.CharField(
        min_length=services.JUSTIFICATION_MIN,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why does this emergency need the record?",
        help_text="Your name, this text and everything you open are recorded and reviewed by an "
        "auditor.",
    )


@login_required
def break_glass(request, pk):
    """Open a record in a medical emergency. The record may be one the viewer cannot see at
    all, so it is found by id (from a call, an encounter or the crisis alert), not listed."""
    from coresponse.people.models import Person

    if not services.may_break_glass(request.user):
        raise Http404("No person found matching the query")
    person = get_object_or_404(Person, pk=pk)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_glass(request.user, person, form.cleaned_data["justification"])
        except PermissionDenied:
            raise Http404("No person found matching the query") from None
        messages.warning(request, "Emergency access opened. An auditor will review it.")
        return redirect("person_detail", pk=person.pk)
    return render(
        request,
        "privacy/break_glass.html",
        {
            "form": form,
            "person_id": person.pk,
            "minutes": settings.CORESPONSE_BREAK_GLASS_MINUTES,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def review_queue(request):
    queue = selectors.break_glass_queue(request.user)
    if not _is_auditor(request.user):
        raise Http404("Not found")
    if request.method == "POST":
        grant = get_object_or_404(queue, pk=request.POST.get("grant"))
        outcome = request.POST.get("outcome")
        if outcome in ("appropriate", "inappropriate"):
            services.review_break_glass(
                grant, by=request.user, outcome=outcome, note=request.POST.get("note", "")
            )
            messages.success(request, f"Opening {grant.pk} reviewed: {outcome}.")
        return redirect("privacy:review_queue")
    reviewed = BreakGlass.objects.filter(reviewed_by=request.user).select_related("person")[:20]
    return render(request, "privacy/review_queue.html", {"queue": queue, "reviewed": reviewed})


class AgreementForm(forms.Form):
    title = forms.CharField(max_length=200)
    from_agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Shares from")
    to_agency = forms.ModelChoiceField(queryset=Agency.objects.all(), label="Shares with")
    categories = forms.MultipleChoiceField(
        choices=[c for c in DataCategory.choices if c[0] != DataCategory.SUBSTANCE_USE],
        widget=forms.CheckboxSelectMultiple,
        help_text="Substance-use records are never shared by agreement: they need the "
        "person's Part 2 consent.",
    )
    purposes = forms.MultipleChoiceField(
        choices=[c for c in Purpose.choices if c[0] != Purpose.CRIMINAL_INVESTIGATION],
        widget=forms.CheckboxSelectMultiple,
    )
    effective_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    document_ref = forms.CharField(required=False, max_length=200, label="Where the signed MOU is")

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_agency"].queryset = Agency.objects.filter(pk__in=agencies)

    def clean(self):
        data = super().clean()
        if data.get("from_agency") and data.get("from_agency") == data.get("to_agency"):
            self.add_error("to_agency", "An agreement is between two agencies.")
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", "It cannot end before it starts.")
        return data


@login_required
def agreements(request):
    editable = selectors.may_edit_agreements(request.user)
    form = AgreementForm(request.POST or None, agencies=editable) if editable else None
    if request.method == "POST":
        if form is None:
            raise Http404("Not found")
        if form.is_valid():
            services.save_agreement(by=request.user, **form.cleaned_data)
            messages.success(request, "Agreement saved and in force from its start date.")
            return redirect("privacy:agreements")
    today = timezone.localdate()
    rows = [
        (
            a,
            a.effective_from <= today and (a.effective_to is None or a.effective_to >= today),
            [DataCategory(c).label for c in a.categories],
            [Purpose(p).label for p in a.purposes],
        )
        for a in selectors.agreements_visible(request.user)
    ]
    return render(
        request,
        "privacy/agreements.html",
        {"rows": rows, "form": form},
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


def _is_auditor(user) -> bool:
    return any(m.role == Role.AUDITOR for m in selectors.memberships(user))


@login_required
def audit_log(request):
    if not _is_auditor(request.user):
        raise Http404("Not found")
    action = request.GET.get("action", "")
    events = AuditEvent.objects.select_related("actor").order_by("-id")
    if action in AuditAction.values:
        events = events.filter(action=action)
    since = timezone.now() - timedelta(days=30)
    problems = services.verify_chain() if request.GET.get("verify") else None
    services.record(request.user, AuditAction.READ, "audit", "", detail="audit log viewed")
    return render(
        request,
        "privacy/audit_log.html",
        {
            "events": events[:200],
            "actions": AuditAction.choices,
            "action": action,
            "problems": problems,
            "recent": AuditEvent.objects.filter(at__gte=since).count(),
            "total": AuditEvent.objects.count(),
            "open_reviews": selectors.break_glass_queue(request.user).count(),
        },
    )
