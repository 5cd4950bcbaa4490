"""Forms for the public report page and the moderators' actions (the services check again)."""

from __future__ import annotations

from django import forms

from .models import MisuseReport
from .selectors import PENDING, QUEUE_ORDERS
from .services import DESCRIPTION_MAX_CHARS, NOTE_MAX_CHARS, REASON_MAX_CHARS


class ReportForm(forms.Form):
    # What is missing is said by the page's error summary, the same in every browser.
    use_required_attribute = False

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
    """One of the report page's decisions, each its own form. Taking a clip down and revoking
    its consent cannot be undone: they ask for a reason (the service refuses a blank one) and
    for "I understand" ticked. Checked here, not by the browser, so the page's error summary
    says what is missing in every browser."""

    use_required_attribute = False
    IRREVERSIBLE = ("take_down", "escalate")
    WORDS = {
        # decision: (heading, what it does, button, button id, what the moderator understands)
        "dismiss": (
            "Dismiss the report",
            "Nothing changes for the clip or its member; the reporter is told no action is taken.",
            "Dismiss",
            "decide-dismiss",
            "",
        ),
        "take_down": (
            "Take the clip down",
            "The clip leaves public view for good, and its member is told, with your reason.",
            "Take down clip",
            "decide-take-down",
            "I understand that taking the clip down cannot be undone",
        ),
        "escalate": (
            "Revoke the consent",
            "Every clip made under this consent is withdrawn and nothing more can be made with "
            "it; the member is told, with your reason.",
            "Revoke consent",
            "decide-escalate",
            "I understand that revoking the consent cannot be undone",
        ),
    }

    decision = forms.ChoiceField(
        choices=[("dismiss", "Dismiss"), ("take_down", "Take down"), ("escalate", "Escalate")],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        max_length=REASON_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (optional; kept in the audit trail)",
    )
    understood = forms.BooleanField(
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args, decision: str, **kwargs):
        # Its own ids (three forms on one page), the same field names for every decision.
        super().__init__(*args, auto_id=f"id_{decision}_%s", **kwargs)
        self.initial.setdefault("decision", decision)
        self.decision = decision
        self.heading, self.explanation, self.button, self.button_id, understood = self.WORDS[
            decision
        ]
        self.irreversible = decision in self.IRREVERSIBLE
        if self.irreversible:
            self.fields["reason"].label = "Reason (required: the member is told it)"
            self.fields["understood"].label = understood
        else:
            del self.fields["understood"]

    @classmethod
    def for_report(cls, report) -> list[DecisionForm]:
        """The decisions a report allows: a report naming no clip of ours can only be dismissed."""
        decisions = ("dismiss", *cls.IRREVERSIBLE) if report.clip_id else ("dismiss",)
        return [cls(decision=decision) for decision in decisions]
