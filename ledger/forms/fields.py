"""Form fields that hold their ground against crafted input.

- PkMultipleChoiceField: ids that cannot be a primary key (99999999999999999999999, "1x")
  are a form error before the query; SQLite raises OverflowError on an integer beyond
  64 bits in an IN list, and Django's overflow guard covers `exact`, not `in`.
- SingleLineCharField: a title or a name on one line (services.single_line), so a CR/LF
  never reaches an e-mail subject.
- MultiLineCharField: a description or a note (services.multi_line): lines kept, other
  control characters and bidi overrides dropped. The imports clean with the same two.
"""

from django import forms

from ledger.services import multi_line, single_line

# the largest primary key a 64-bit integer column holds has 19 digits; 18 always fit
PK_MAX_DIGITS = 18


def is_pk(value) -> bool:
    text = str(value).strip()
    return text.isascii() and text.isdigit() and len(text) <= PK_MAX_DIGITS


class PkMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not is_pk(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(pk)[:30]},
                )
        return super()._check_values(value)


class SingleLineCharField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value:
            return value  # refused with a message by the field's ProhibitNullCharactersValidator
        return single_line(value)


class MultiLineCharField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value:
            return value  # refused with a message by the field's ProhibitNullCharactersValidator
        return multi_line(value)
