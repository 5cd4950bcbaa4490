from django import forms

from .models import ConsentRecord, Subject
from .terms import SCOPES

SCOPE_LABELS = {
    "animate": "Animate the portrait",
    "publish": "Publish the animation publicly",
    "voice": "Use a real recording of the subject's voice",
}


class SubjectForm(forms.Form):
    display_name = forms.CharField(max_length=200, label="Name")
    vital_status = forms.ChoiceField(choices=Subject.Vital.choices, label="Living or deceased")
    email = forms.EmailField(required=False, help_text="A living subject confirms consent here.")
    birth_year = forms.IntegerField(required=False, min_value=1000, max_value=2100)
    death_year = forms.IntegerField(required=False, min_value=1000, max_value=2100)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConsentRequestForm(forms.Form):
    grantor_kind = forms.ChoiceField(choices=ConsentRecord.GrantorKind.choices, label="Granted by")
    grantor_name = forms.CharField(max_length=200, label="Grantor's name")
    grantor_email = forms.EmailField(label="Grantor's e-mail")
    grantor_relationship = forms.CharField(
        max_length=100, required=False, label="Relationship to the subject (deceased subjects)"
    )
    scopes = forms.MultipleChoiceField(
        choices=[(scope, SCOPE_LABELS[scope]) for scope in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["animate"],
    )
    expires_at = forms.DateTimeField(
        label="Expires", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    assurance = forms.ChoiceField(choices=ConsentRecord.Assurance.choices)
    attested = forms.BooleanField(
        required=False,
        label="I attest that the grantor holds the rights to the subject's likeness",
    )
    signed_form = forms.FileField(required=False, label="Signed consent form (PDF, JPEG or PNG)")
    covers = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="What the consent is for",
        help_text="The person giving consent sees these portraits and hears these recordings "
        "before agreeing. Only these can be animated under it.",
    )

    def __init__(self, *args, subject: Subject, **kwargs):
        super().__init__(*args, **kwargs)
        uploads = list(subject.uploads.order_by("-kind", "created_at"))
        if not uploads:  # nothing to show yet: the consent will cover what is uploaded later
            del self.fields["covers"]
            return
        self.fields["covers"].choices = [(str(u.id), u.description) for u in uploads]
        self.fields["covers"].initial = [str(u.id) for u in uploads]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (optional)",
        help_text="Kept with the consent's record.",
    )


class WithdrawForm(ReasonForm):
    """The grantor's withdrawal: ticking "I understand" is the second look before it is done.
    Checked here, not by the browser, so the page's error summary says what is missing."""

    use_required_attribute = False

    understood = forms.BooleanField(
        label="I understand that withdrawing consent cannot be undone",
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown_to = "Shown to the person who asked for your consent, and kept with its record."
        self.fields["reason"].help_text = shown_to
