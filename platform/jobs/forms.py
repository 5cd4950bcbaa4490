from django import forms


class JobForm(forms.Form):
    portrait = forms.ChoiceField(label="Portrait")
    audio = forms.ChoiceField(label="Speech", required=False)
    idle_seconds = forms.FloatField(
        label="…or an idle animation of (seconds)", required=False, min_value=1, max_value=60
    )
    # The clip keeps the portrait's shape: the size bounds its longest side (see
    # animation.portrait.output_size), and a smaller portrait is never enlarged.
    size = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (256, "Small: up to 256 pixels on the longest side"),
            (512, "Medium: up to 512 pixels on the longest side"),
            (768, "Large: up to 768 pixels on the longest side"),
        ],
        initial=512,
        help_text="The clip keeps the portrait's shape and is never made larger than the "
        "portrait itself.",
    )

    def __init__(self, *args, uploads, **kwargs):
        super().__init__(*args, **kwargs)
        portraits = [
            (str(u.id), u.original_name or str(u.id)) for u in uploads if u.kind == "portrait"
        ]
        audios = [(str(u.id), u.original_name or str(u.id)) for u in uploads if u.kind == "audio"]
        self.fields["portrait"].choices = portraits
        self.fields["audio"].choices = [("", "— none (idle) —"), *audios]
        if audios:  # speaking is what members come for: the newest recording by default
            self.fields["audio"].initial = audios[0][0]
