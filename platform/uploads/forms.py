from django import forms

from .models import Upload


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=Upload.Kind.choices, label="What the file is")
    file = forms.FileField(allow_empty_file=True, label="File")
    is_subject_voice = forms.BooleanField(
        required=False, label="This audio is a real recording of the subject's own voice"
    )
