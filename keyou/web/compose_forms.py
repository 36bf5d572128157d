"""The form behind the compose page: from, recipients, subject, text and files."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyou.mail.models import OutgoingKind

MAX_FILES = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several uploaded files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if len(data) > MAX_FILES:
                raise forms.ValidationError(
                    _("At most %(n)d files per message.") % {"n": MAX_FILES}
                )
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ComposeForm(forms.Form):
    mailbox = forms.TypedChoiceField(label=_("From"), coerce=int)
    to = forms.CharField(
        label=_("To"),
        max_length=5000,
        required=False,
        help_text=_("Separate several addresses with commas."),
    )
    cc = forms.CharField(label=_("Cc"), max_length=5000, required=False)
    bcc = forms.CharField(
        label=_("Bcc"),
        max_length=5000,
        required=False,
        help_text=_("Hidden from the other recipients."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=900, required=False)
    body = forms.CharField(
        label=pgettext_lazy("message body", "Message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    include_quote = forms.BooleanField(label=_("Include the original text"), required=False)
    keep = forms.TypedMultipleChoiceField(
        label=_("Attachments of the original"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    files = MultipleFileField(label=_("Attach files"), required=False)
    kind = forms.ChoiceField(choices=OutgoingKind.choices, widget=forms.HiddenInput)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, mailboxes=(), originals=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailbox"].choices = [
            (box.pk, f"{box.name} <{box.address}>" if box.name else box.address)
            for box in mailboxes
        ]
        self.fields["keep"].choices = [(a.pk, a.filename) for a in originals]
        if not originals:
            del self.fields["keep"]
