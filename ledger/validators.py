"""Validators for identifiers the ledger stores: credit codes and mainland mobile numbers.

The credit code check follows GB 32100-2015 (统一社会信用代码): 18 characters from a
31-character alphabet without I, O, S, V and Z; the 18th is a check character.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
# 3^(i-1) mod 31 for positions 1..17
CREDIT_CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]
CREDIT_CODE_FORBIDDEN = "IOSVZ"


def credit_code_normalize(value: str) -> str:
    """Strip spaces, fold full-width characters and upper-case: what people paste from Word."""
    return unicodedata.normalize("NFKC", value or "").replace(" ", "").strip().upper()


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    total = sum(
        CREDIT_CODE_VALUES[char] * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuse a code that is not a valid 统一社会信用代码, saying exactly what is wrong.

    The value is checked as stored; forms normalise input first with
    credit_code_normalize(), so lower-case letters that normalise cleanly are accepted there.
    """
    if len(value) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(length)d 位。"),
            code="credit_code_length",
            params={"length": len(value)},
        )
    forbidden = sorted({char for char in value if char in CREDIT_CODE_FORBIDDEN})
    if forbidden:
        raise ValidationError(
            _("统一社会信用代码不使用字母 I、O、S、V、Z，但其中含有：%(chars)s。"),
            code="credit_code_forbidden_letter",
            params={"chars": "、".join(forbidden)},
        )
    invalid = sorted({char for char in value if char not in CREDIT_CODE_VALUES})
    if invalid:
        raise ValidationError(
            _("统一社会信用代码只能包含数字和大写字母，其中含有不允许的字符：%(chars)s。"),
            code="credit_code_invalid_character",
            params={"chars": " ".join(repr(c) for c in invalid)},
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _(
                "统一社会信用代码校验位错误：第 18 位应为 %(expected)s，实际为 %(actual)s。"
                "请核对代码是否抄错。"
            ),
            code="credit_code_check_character",
            params={"expected": expected, "actual": value[17]},
        )


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def mobile_normalize(value: str) -> str:
    """Drop spaces, dashes and a +86 prefix; fold full-width digits."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    value = re.sub(r"[\s\-]", "", value)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.fullmatch(value or ""):
        raise ValidationError(
            _("手机号码应为 11 位数字，以 13–19 开头（例如 13912345678），当前为“%(value)s”。"),
            code="mobile_invalid",
            params={"value": value},
        )


@deconstructible
class CreditCodeValidator:
    """Model-field wrapper so migrations can reference the validator."""

    def __call__(self, value):
        validate_credit_code(value)

    def __eq__(self, other):
        return isinstance(other, CreditCodeValidator)


@deconstructible
class MobileValidator:
    def __call__(self, value):
        validate_mobile(value)

    def __eq__(self, other):
        return isinstance(other, MobileValidator)
