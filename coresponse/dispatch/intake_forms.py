"""The call-taker's form: the fields of a live call, in the order a call-taker asks for them."""

import re

from django import forms

from coresponse.dispatch.models import CallSource
from coresponse.dispatch.services import intake

PRIORITIES = [(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")]
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class CallForm(forms.Form):
    address = forms.CharField(label="Location", max_length=300, required=False)
    caller_phone = forms.CharField(label="Caller's phone", max_length=40, required=False)
    caller_name = forms.CharField(label="Caller's name", max_length=200, required=False)
    call_type = forms.CharField(
        label="Call type",
        max_length=120,
        error_messages={"required": "Enter the call type, e.g. Welfare check."},
    )
    priority = forms.TypedChoiceField(
        label="Priority",
        choices=PRIORITIES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a priority: 1 (most urgent) to 5.",
            "invalid_choice": "Choose a priority: 1 (most urgent) to 5.",
        },
    )
    narrative = forms.CharField(label="What is happening", required=False, widget=forms.Textarea)
    source = forms.ChoiceField(label="Source", choices=CallSource.choices, initial="911")
    program = forms.ModelChoiceField(
        label="Program", queryset=None, required=False, empty_label="None: default screening"
    )
    # One per opened form: a second press of Save (or a resubmitted page) finds the first call.
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs

    def clean_call_type(self):
        value = self.cleaned_data["call_type"].strip()
        if not value:
            raise forms.ValidationError("Enter the call type, e.g. Welfare check.")
        return value

    def clean_caller_phone(self):
        value = self.cleaned_data["caller_phone"]
        problem = intake.phone_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_token(self):
        token = self.cleaned_data.get("token", "")
        return token if _TOKEN.match(token) else ""

    def call_fields(self) -> dict:
        """The cleaned values as create_call's keyword arguments."""
        data = dict(self.cleaned_data)
        data.pop("token")
        return data
