from django import forms


class VerifyForm(forms.Form):
    file = forms.FileField(label="A video (MP4) or an image (JPEG, PNG)", allow_empty_file=True)
