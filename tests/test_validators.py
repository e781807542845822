import pytest
from django.core.exceptions import ValidationError

from ledger.validators import (
    credit_code_check_char,
    credit_code_normalize,
    mobile_normalize,
    validate_credit_code,
    validate_mobile,
)
from tests.factories import valid_credit_code


def test_published_example_code_is_accepted():
    validate_credit_code("91110000600037341L")


def test_weights_are_powers_of_three_mod_31():
    from ledger.validators import CREDIT_CODE_WEIGHTS

    assert CREDIT_CODE_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


@pytest.mark.parametrize("n", range(50))
def test_computed_codes_are_accepted(n):
    validate_credit_code(valid_credit_code(n))


def test_demo_codes_are_valid():
    from ledger.demo import ENTERPRISES

    for enterprise in ENTERPRISES:
        validate_credit_code(enterprise["credit_code"])


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_wrong_check_character_is_refused_with_the_expected_one():
    with pytest.raises(ValidationError) as info:
        validate_credit_code("91110000600037341M")
    assert info.value.code == "credit_code_check_character"
    assert "L" in _message(info.value) and "M" in _message(info.value)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_refused_by_name(letter):
    code = "9111000060003734" + letter + "L"
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert info.value.code == "credit_code_forbidden_letter"
    assert letter in _message(info.value)


@pytest.mark.parametrize("code", ["", "9111000060003734", "91110000600037341LL", "1" * 30])
def test_wrong_lengths_are_refused_with_the_length(code):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert info.value.code == "credit_code_length"
    assert str(len(code)) in _message(info.value)


def test_lower_case_is_normalised_when_it_can_be():
    assert credit_code_normalize(" 91110000600037341l ") == "91110000600037341L"
    validate_credit_code(credit_code_normalize("91110000600037341l"))


def test_full_width_input_is_normalised():
    assert credit_code_normalize("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"


def test_lower_case_that_cannot_be_normalised_is_refused():
    # 'o' upper-cases to O, which never appears in a code
    with pytest.raises(ValidationError) as info:
        validate_credit_code(credit_code_normalize("91110000600037341o"))
    assert info.value.code == "credit_code_forbidden_letter"
    # and raw lower case (without normalising) is refused as invalid characters
    with pytest.raises(ValidationError) as info:
        validate_credit_code("91110000600037341l")
    assert info.value.code == "credit_code_invalid_character"


def test_punctuation_is_refused_as_invalid_character():
    with pytest.raises(ValidationError) as info:
        validate_credit_code("91110000-00037341L")
    assert info.value.code == "credit_code_invalid_character"


def test_check_character_round_trip():
    assert credit_code_check_char("91110000600037341") == "L"


@pytest.mark.parametrize("number", ["13912345678", "19800001111", "15000000000"])
def test_mobile_numbers_are_accepted(number):
    validate_mobile(number)


@pytest.mark.parametrize("number", ["12912345678", "1391234567", "139123456789", "abc", ""])
def test_bad_mobile_numbers_are_refused(number):
    with pytest.raises(ValidationError) as info:
        validate_mobile(number)
    assert info.value.code == "mobile_invalid"


def test_mobile_is_normalised_from_common_spellings():
    assert mobile_normalize("+86 139-1234-5678") == "13912345678"
    assert mobile_normalize("１３９１２３４５６７８") == "13912345678"
