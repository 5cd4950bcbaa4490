from django import forms


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organisation name")


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address to invite")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name")
