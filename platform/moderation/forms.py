"""Forms for the public report page and the moderators' actions (the services check again)."""

from __future__ import annotations

from django import forms

from .models import MisuseReport
from .selectors import PENDING, QUEUE_ORDERS
from .services import DESCRIPTION_MAX_CHARS, NOTE_MAX_CHARS, REASON_MAX_CHARS


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        choices=[("", "Choose…"), *MisuseReport.Category.choices], label="What is wrong?"
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Describe the problem",
        help_text="Where did you see the clip, and why is it misuse?",
    )
    content_id = forms.CharField(
        max_length=64,
        required=False,
        label="Clip id (if you know it)",
        help_text="Shown under the clip on its page, or in a verification result.",
    )
    contact_email = forms.EmailField(
        required=False,
        label="Your e-mail (optional)",
        help_text="Only if you want us to be able to ask you about this report.",
    )
    attachment = forms.FileField(
        required=False,
        label="Attach a copy or a screenshot (optional)",
        help_text="MP4 video or JPEG, PNG or WebP image, up to 20 MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "video/mp4,image/jpeg,image/png,image/webp"}
        ),
    )
    verification = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The honeypot: hidden from people (and screen readers); bots fill every field.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "honeypot": data["website"],
            "category": data["category"],
            "description": data["description"],
            "content_id": data["content_id"],
            "verification_id": str(data["verification"] or ""),
            "contact_email": data["contact_email"],
            "attachment": data["attachment"] or None,
        }


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(PENDING, "Open or assigned"), ("all", "Any"), *MisuseReport.Status.choices],
        required=False,
    )
    category = forms.ChoiceField(
        choices=[("", "Any"), *MisuseReport.Category.choices], required=False
    )
    older_than_days = forms.IntegerField(
        min_value=0, max_value=3650, required=False, label="Older than (days)"
    )
    order = forms.ChoiceField(
        choices=[(key, f"{key.capitalize()} first") for key in QUEUE_ORDERS], required=False
    )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or PENDING,
            "category": data.get("category") or "",
            "older_than_days": data.get("older_than_days"),
            "order": data.get("order") or "newest",
        }


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, empty_label=None, label="Assign to")

    def __init__(self, *args, moderators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = moderators


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}), label="Note"
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("dismiss", "Dismiss"), ("take_down", "Take down"), ("escalate", "Escalate")]
    )
    reason = forms.CharField(
        max_length=REASON_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (recorded in the audit trail)",
    )
