"""The redaction categories one by one: what each removes, what it must leave, and
Hypothesis properties with personal data made by code we did not write (phonenumbers'
example numbers, python-stdnum's check digits)."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from stdnum import iban as stdnum_iban
from stdnum.gb import nhs as stdnum_nhs

from engagement.moderation.redaction import (
    MARKERS,
    MentionPolicy,
    RemovalKind,
    find_removals,
    redact,
)

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def removed(text: str) -> list[tuple[str, str]]:
    redaction = redact(text)
    return [
        (removal.kind.value, text[removal.start : removal.end]) for removal in redaction.removals
    ]


# --- What each category removes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ring 07700-900-123 pls", [("phone", "07700-900-123")]),
        ("ring 07700.900.123 pls", [("phone", "07700.900.123")]),
        ("mob +447700900123", [("phone", "+447700900123")]),
        ("Irish mobile 087 123 4567", [("phone", "087 123 4567")]),
        ("Dublin +353 1 234 5678", [("phone", "+353 1 234 5678")]),
        ("Paris 0033 6 12 34 56 78", [("phone", "0033 6 12 34 56 78")]),
        ("two 07700900123 07700900456", [("phone", "07700900123"), ("phone", "07700900456")]),
        ("07700 900123 07700 900456", [("phone", "07700 900123"), ("phone", "07700 900456")]),
        ("write to jane at gmail.com", [("email", "jane at gmail.com")]),
        ("jane [at] example [dot] co [dot] uk", [("email", "jane [at] example [dot] co [dot] uk")]),
        ("NI ab 12 34 56", [("ni_number", "ab 12 34 56")]),
        ("my nino is ab123456", [("ni_number", "ab123456")]),
        ("QQ 12 34 56 A", [("ni_number", "QQ 12 34 56 A")]),
        ("NHS 943 476 5919", [("nhs_number", "943 476 5919")]),
        ("NHS 9434765919", [("nhs_number", "9434765919")]),
        ("NHS 943-476-5919", [("nhs_number", "943-476-5919")]),
        ("reg AB12 CDE", [("vehicle_registration", "AB12 CDE")]),
        ("ab12cde got a ticket", [("vehicle_registration", "ab12cde")]),
        ("my car A123 BCD", [("vehicle_registration", "A123 BCD")]),
        ("the van ABC 123D", [("vehicle_registration", "ABC 123D")]),
        (
            "sort code 20-00-00 account 12345678",
            [("bank_details", "20-00-00"), ("bank_details", "12345678")],
        ),
        ("IBAN gb82 west 1234 5698 7654 32 ok", [("bank_details", "gb82 west 1234 5698 7654 32")]),
        ("DOB 12/03/1956", [("date_of_birth", "12/03/1956")]),
        ("I was born on the 3rd of March 1961.", [("date_of_birth", "3rd of March 1961")]),
        ("d.o.b. 1956-03-12", [("date_of_birth", "1956-03-12")]),
        ("ganwyd 5 Mai 1950", [("date_of_birth", "5 Mai 1950")]),
        ("at 12 Acacia Avenue, Cardiff", [("address", "12 Acacia Avenue")]),
        ("Flat 3, 45 High Street.", [("address", "Flat 3, 45 High Street")]),
        ("i live at 7 mill lane", [("address", "7 mill lane")]),
        ("14 Heol y Coed, Caerdydd", [("address", "14 Heol y Coed")]),
        ("5 Stryd Fawr", [("address", "5 Stryd Fawr")]),
        ("96 Heol-y-Felin", [("address", "96 Heol-y-Felin")]),
        ("my address is 31 Ael-y-Bryn", [("address", "31 Ael-y-Bryn")]),
        ("at 12 Cowbridge Road East now", [("address", "12 Cowbridge Road East")]),
    ],
)
def test_each_category_removes_what_people_write(text, expected):
    assert removed(text) == expected


def test_each_new_category_has_its_own_marker():
    redaction = redact(
        "NHS 943 476 5919, reg AB12 CDE, sort code 20-00-00 acc 12345678, "
        "DOB 1/2/1950, 12 Acacia Avenue"
    )

    assert redaction.text == (
        "NHS [NHS number removed], reg [vehicle registration removed], sort code "
        "[bank details removed] acc [bank details removed], DOB [date of birth removed], "
        "[address removed]"
    )


# --- What a consultation needs stays ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the A40, the M25 and the A470 are gridlocked at J10",
        "the 38 bus and route X5, and the 4A on Sundays",
        "fares up 12.5% to £4.80, £1,250 a year, £2.4m in total",
        "between 2019 and 2024, in 1998, by 2030",
        "paragraph 4.2.1, section 12(b), page 17, clause 7",
        "3 schools, 1,200 homes, 600 people, 14,000 on the list",
        "call the free helpline on 0800 123 4567 or 0808 808 0000",
        "Samaritans free on 116 123, or 111, or 999",
        "the council's line 0300 123 4567",
        "ward 7 and ward 12 should merge",
        "see https://www.gov.uk/guidance/bus-services and www.llyw.cymru",
        "the meeting on 12 March 2024 and again on 14/03/2024",
        "born and raised here; I was born in 1956",
        "38 miles down the road, a 5 minute walk, 2 lanes each way",
        "the branch sort code 20-00-00 is on their website",
        "planning ref 24/01234/FUL and case 778812",
        "ISBN 978-0-306-40615-7",
        "nw10 and se15 are in London; SW1A is Westminster",
        "the M25 ONE, THE 38A",
        "Heol Santes Helen has no bus stop",
    ],
)
def test_numbers_a_consultation_needs_are_kept(text):
    assert redact(text).removals == ()


def test_a_sort_code_pairs_with_its_nearest_account_number_only():
    text = "sort code 71-45-90 account 95073804. the branch sort code 41-93-92 is online"

    assert removed(text) == [("bank_details", "71-45-90"), ("bank_details", "95073804")]


def test_an_nhs_number_shaped_reference_introduced_as_one_is_kept():
    # 943 476 5919 passes the modulus-11 check; after "order number" it is an order.
    assert redact("order number 943-476-5919").removals == ()
    assert removed("NHS number 943-476-5919") == [("nhs_number", "943-476-5919")]


def test_nhs_check_digit_agrees_with_stdnum_and_nhs_digitals_example():
    # 943 476 5919 is the example NHS Digital publishes; change a digit and it fails.
    assert stdnum_nhs.is_valid("9434765919")
    assert removed("NHS 943 476 5919") == [("nhs_number", "943 476 5919")]
    assert not stdnum_nhs.is_valid("9434765918")
    assert redact("NHS 943 476 5918").removals == ()


def test_iban_with_a_wrong_checksum_is_kept():
    assert redact("IBAN GB82 WEST 1234 5698 7654 33").removals == ()


# --- Properties with personal data made elsewhere --------------------------------------

safe_text = st.text(
    alphabet=st.characters(categories=("L", "Zs"), exclude_characters="@"),
    max_size=40,
).filter(lambda text: not re.search(r"dot|www|http|\bat\b", text, re.IGNORECASE))

example_regions = st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS))


@st.composite
def example_phone_numbers(draw: st.DrawFn) -> str:
    region = draw(example_regions)
    kind = draw(st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE]))
    number = phonenumbers.example_number_for_type(region, kind)
    if number is None:
        number = phonenumbers.example_number_for_type("GB", PhoneNumberType.MOBILE)
    text = phonenumbers.format_number(
        number, draw(st.sampled_from([PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164]))
    )
    return text.replace(" ", draw(st.sampled_from([" ", "-", ""])))


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    # A payload whose check digit would be 10 has no valid NHS number: draw another.
    digits = draw(
        st.text(st.sampled_from("0123456789"), min_size=9, max_size=9).filter(
            lambda digits: any(stdnum_nhs.is_valid(digits + str(digit)) for digit in range(10))
        )
    )
    check = next(str(digit) for digit in range(10) if stdnum_nhs.is_valid(digits + str(digit)))
    number = digits + check
    return draw(st.sampled_from([number, f"{number[:3]} {number[3:6]} {number[6:]}"]))


@st.composite
def ibans(draw: st.DrawFn) -> str:
    bank = draw(st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=4, max_size=4))
    account = draw(st.text(st.sampled_from("0123456789"), min_size=14, max_size=14))
    number = "GB" + stdnum_iban.calc_check_digits(f"GB00{bank}{account}") + bank + account
    if draw(st.booleans()):
        return " ".join(number[index : index + 4] for index in range(0, len(number), 4))
    return number


@st.composite
def current_registrations(draw: st.DrawFn) -> str:
    # The DVLA's 2001 format: area letters, age identifier, three random letters.
    area = draw(st.sampled_from("ABCDEFGHKLMNOPRSVWY")) + draw(
        st.sampled_from("ABCDEFGHJKLMNOPRSTUVWXY")
    )
    age = draw(st.sampled_from(["02", "10", "19", "25", "51", "60", "71", "75"]))
    spaced = draw(st.booleans())
    # Spaced, the engine keeps "NW10 AND" (a district and a word); letters with no vowel
    # spell no word. Glued, any letters make a plate.
    alphabet = "BCDFGHJKLMNPRSTVWXZ" if spaced else "ABCDEFGHJKLMNOPRSTUVWXYZ"
    letters = draw(st.text(st.sampled_from(alphabet), min_size=3, max_size=3))
    return f"{area}{age}{' ' if spaced else ''}{letters}"


@PROPERTY_SETTINGS
@given(
    before=safe_text,
    after=safe_text,
    personal=st.one_of(
        example_phone_numbers().map(lambda value: (RemovalKind.PHONE, value)),
        nhs_numbers().map(lambda value: (RemovalKind.NHS_NUMBER, value)),
        ibans().map(lambda value: (RemovalKind.BANK_DETAILS, value)),
        current_registrations().map(lambda value: (RemovalKind.VEHICLE_REGISTRATION, value)),
    ),
)
def test_personal_data_made_by_other_libraries_is_always_removed(before, after, personal):
    kind, value = personal
    text = f"{before} {value} {after}"

    redaction = redact(text)

    assert [
        (removal.kind, text[removal.start : removal.end]) for removal in redaction.removals
    ] == [(kind, value)]
    assert redaction.text == f"{before} {MARKERS[kind]} {after}"


pieces = st.lists(
    st.one_of(
        st.text(max_size=6),
        st.text(st.sampled_from("0123456789 -+()/.abAB"), max_size=12),
        example_phone_numbers(),
        nhs_numbers(),
        ibans(),
        current_registrations(),
        st.sampled_from(
            [
                " born ",
                "DOB ",
                "12/03/1956",
                " sort code ",
                "20-00-00",
                " 12345678",
                "12 Acacia Avenue",
                "Heol y Coed",
                " live at ",
                "Flat 3, ",
                " NI ",
                *MARKERS.values(),
            ]
        ),
    ),
    max_size=8,
).map("".join)


@PROPERTY_SETTINGS
@given(text=pieces)
def test_new_categories_keep_redaction_idempotent_and_leave_nothing_detectable(text):
    policy = MentionPolicy()
    once = redact(text, mentions=policy)

    assert redact(once.text, mentions=policy).text == once.text
    assert find_removals(once.text, mentions=policy) == ()
