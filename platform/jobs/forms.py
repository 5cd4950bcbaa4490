from django import forms


class JobForm(forms.Form):
    portrait = forms.ChoiceField(label="Portrait")
    audio = forms.ChoiceField(label="Speech", required=False)
    idle_seconds = forms.FloatField(
        label="…or an idle animation of (seconds)", required=False, min_value=1, max_value=60
    )
    seed = forms.IntegerField(initial=0, min_value=0, max_value=2**31 - 1)
    size = forms.TypedChoiceField(
        coerce=int, choices=[(256, "256 px"), (512, "512 px"), (768, "768 px")], initial=512
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
