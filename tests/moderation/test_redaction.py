"""The redaction engine: behaviour, the labelled corpus, and Hypothesis properties."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.moderation.redaction import (
    MARKERS,
    MentionPolicy,
    Redaction,
    RemovalKind,
    find_removals,
    redact,
)
from tests.moderation.redaction_corpus import CORPUS, CORPUS_MENTION_POLICY, LabelledExample

# Modest, so the suite stays quick; no example database left in the working tree.
PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

SOME_KEPT_ACCOUNTS = MentionPolicy(keep=frozenset({"DHSCgovuk", "dft@social.example"}))


def kinds_and_removed_text(redaction: Redaction) -> list[tuple[str, str]]:
    return [
        (removal.kind.value, redaction.original[removal.start : removal.end])
        for removal in redaction.removals
    ]


# --- Behaviour -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jane.smith@example.com today", RemovalKind.EMAIL),
        ("ring 07700 900123 today", RemovalKind.PHONE),
        ("I live in SW1A 1AA today", RemovalKind.POSTCODE),
        ("my number AB 12 34 56 C today", RemovalKind.NI_NUMBER),
        ("paid with 4111 1111 1111 1111 today", RemovalKind.CARD),
        ("open https://example.com/reset?token=abc123 today", RemovalKind.LINK),
    ],
)
def test_each_kind_of_personal_data_is_replaced_by_its_marker(text, kind):
    redaction = redact(text)

    assert [removal.kind for removal in redaction.removals] == [kind]
    assert redaction.text.count(MARKERS[kind]) == 1
    assert redaction.text.endswith(" today")


def test_removal_records_where_it_was_in_the_original_and_what_replaced_it():
    original = "Call 07700 900123 or email a@example.com."

    redaction = redact(original)

    assert redaction.original == original
    assert redaction.text == "Call [phone number removed] or email [email removed]."
    phone, email = redaction.removals
    assert original[phone.start : phone.end] == "07700 900123"
    assert phone.replacement == "[phone number removed]"
    assert original[email.start : email.end] == "a@example.com"


def test_redaction_result_cannot_be_altered():
    redaction = redact("a@example.com")

    with pytest.raises(dataclasses.FrozenInstanceError):
        redaction.text = "a@example.com"  # type: ignore[misc]


def test_text_without_personal_data_is_returned_unchanged():
    text = "Option 3 is best: £1,250 a year, 72% agree, ref HUB-7K3Q-9XPA, see www.gov.uk."

    redaction = redact(text)

    assert redaction.text == text
    assert redaction.removals == ()


def test_sixteen_digit_number_that_fails_luhn_is_kept_and_one_that_passes_is_removed():
    assert redact("order 1234 5678 9012 3456").removals == ()
    assert kinds_and_removed_text(redact("card 4012 8888 8888 1881")) == [
        ("card", "4012 8888 8888 1881")
    ]


def test_outward_code_alone_is_kept_and_full_postcode_in_any_case_or_spacing_is_removed():
    assert redact("rents in SW1A and W1, traffic on the M25").removals == ()
    for postcode in ("SW1A 1AA", "sw1a1aa", "Sw1A 1aA", "M1 1AE"):
        assert kinds_and_removed_text(redact(f"at {postcode}.")) == [("postcode", postcode)]


def test_ni_number_with_a_prefix_hmrc_never_issues_is_kept():
    for never_issued in ("GB123456A", "ZZ123456B", "DA123456A"):
        assert redact(f"number {never_issued} here").removals == ()


def test_ni_number_with_hmrcs_example_prefix_is_removed():
    # NIM39110 shows "QQ 12 34 56 A"; people copy it when they mean their own number.
    assert kinds_and_removed_text(redact("number QQ123456C here")) == [("ni_number", "QQ123456C")]


def test_service_lines_are_kept_but_personal_landlines_are_removed():
    assert redact("helpline 0800 123 4567").removals == ()
    assert kinds_and_removed_text(redact("home 0161 496 0123")) == [("phone", "0161 496 0123")]


def test_ordinary_link_is_kept_but_link_with_a_personal_token_is_removed():
    assert redact("see https://www.gov.uk/guidance.").removals == ()
    redaction = redact("see https://example.com/confirm?sig=9f8e7d6c&id=4.")
    assert redaction.text == "see [link removed]."


def test_link_carrying_other_personal_data_is_removed_whole():
    redaction = redact("https://example.com/unsubscribe?e=jane@example.com now")

    assert redaction.text == "[link removed] now"
    assert [removal.kind for removal in redaction.removals] == [RemovalKind.LINK]


def test_mentions_are_kept_when_no_policy_is_given():
    text = "thanks @jane_doe and @sam@mastodon.social"

    assert redact(text).text == text


def test_mentions_of_private_people_are_replaced_and_kept_accounts_stay():
    text = "@dhscGOVUK thanks, and @jane_doe, @sam@mastodon.social, @tom.bsky.social"

    redaction = redact(text, mentions=SOME_KEPT_ACCOUNTS)

    assert redaction.text == "@dhscGOVUK thanks, and [name removed], [name removed], [name removed]"


def test_federated_handle_is_kept_only_by_its_full_form():
    kept = redact("@dft@social.example", mentions=SOME_KEPT_ACCOUNTS)
    same_name_elsewhere = redact("@dft@other.example", mentions=SOME_KEPT_ACCOUNTS)

    assert kept.removals == ()
    assert same_name_elsewhere.text == "[name removed]"


def test_email_is_not_taken_for_a_mention_nor_a_mention_for_an_email():
    redaction = redact("mail jane@example.com or ask @jane@example.com", mentions=MentionPolicy())

    assert kinds_and_removed_text(redaction) == [
        ("email", "jane@example.com"),
        ("mention", "@jane@example.com"),
    ]


def test_times_written_with_an_at_sign_are_not_mentions():
    text = "drop in @ 5pm or @5pm or @10:30"

    assert redact(text, mentions=MentionPolicy()).text == text


def test_obfuscated_email_is_removed_but_a_sentence_about_a_website_is_not():
    redaction = redact("mail john dot doe at example dot com; I looked at gov.uk")

    assert redaction.text == "mail [email removed]; I looked at gov.uk"


def test_items_glued_together_are_all_removed_even_when_each_hides_the_next():
    # The second number touches the first, so only the first is found at first sight;
    # a long chain of them loses the rest of its line rather than leaking a number.
    glued = "+44 7700 900123+44 7700 900456"

    redaction = redact(f"ring {glued} or\n{glued * 20}\nthanks")

    first_line, _, last_line = redaction.text.split("\n")
    assert first_line == "ring [phone number removed][phone number removed] or"
    assert last_line == "thanks"
    assert not re.search(r"\d", redaction.text)
    assert find_removals(redaction.text) == ()


def test_longest_overlapping_candidate_wins():
    # The email's local part is a valid postcode and the link contains the email.
    text = "https://example.com/a?email=sw1a1aa@example.com sw1a1aa@example.com"

    redaction = redact(text)

    assert kinds_and_removed_text(redaction) == [
        ("link", "https://example.com/a?email=sw1a1aa@example.com"),
        ("email", "sw1a1aa@example.com"),
    ]


# --- The labelled corpus ---------------------------------------------------------------


def expected_spans(example: LabelledExample) -> set[tuple[str, int, int]]:
    spans = set()
    occurrences_used: Counter[str] = Counter()
    for kind, substring in example.spans:
        start = -1
        for _ in range(occurrences_used[substring] + 1):
            start = example.text.index(substring, start + 1)
        occurrences_used[substring] += 1
        spans.add((kind, start, start + len(substring)))
    return spans


def test_corpus_is_large_and_every_label_is_in_its_text():
    assert len(CORPUS) >= 200
    assert sum(1 for example in CORPUS if not example.spans) >= 50
    for example in CORPUS:
        for kind, substring in example.spans:
            assert RemovalKind(kind)
            assert substring in example.text, example.text


def test_corpus_precision_and_recall_are_each_at_least_95_percent(capsys):
    true_positives: Counter[str] = Counter()
    false_positives: Counter[str] = Counter()
    false_negatives: Counter[str] = Counter()
    misses: list[str] = []
    for example in CORPUS:
        expected = expected_spans(example)
        redaction = redact(example.text, mentions=CORPUS_MENTION_POLICY)
        found = {(removal.kind.value, removal.start, removal.end) for removal in redaction.removals}
        for kind, _start, _end in found & expected:
            true_positives[kind] += 1
        for kind, start, end in found - expected:
            false_positives[kind] += 1
            misses.append(f"  false positive {kind:<9} {example.text[start:end]!r}")
        for kind, start, end in expected - found:
            false_negatives[kind] += 1
            misses.append(f"  missed         {kind:<9} {example.text[start:end]!r}")

    def ratio(numerator: int, denominator: int) -> float:
        return numerator / denominator if denominator else 1.0

    lines = [
        f"\nRedaction corpus: {len(CORPUS)} replies, span-level (exact kind and position)",
        f"  {'category':<10} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}",
    ]
    for kind in RemovalKind:
        tp, fp, fn = true_positives[kind], false_positives[kind], false_negatives[kind]
        lines.append(
            f"  {kind.value:<10} {ratio(tp, tp + fp):>9.3f} {ratio(tp, tp + fn):>7.3f}"
            f" {tp:>4} {fp:>4} {fn:>4}"
        )
    tp = sum(true_positives.values())
    fp = sum(false_positives.values())
    fn = sum(false_negatives.values())
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    lines.append(f"  {'overall':<10} {precision:>9.3f} {recall:>7.3f} {tp:>4} {fp:>4} {fn:>4}")
    lines.extend(misses)
    with capsys.disabled():
        sys.stdout.write("\n".join(lines) + "\n")

    assert precision >= 0.95
    assert recall >= 0.95


def test_corpus_replies_redact_to_the_same_text_twice():
    for example in CORPUS:
        once = redact(example.text, mentions=CORPUS_MENTION_POLICY)
        twice = redact(once.text, mentions=CORPUS_MENTION_POLICY)
        assert twice.text == once.text
        assert twice.removals == ()


# --- Strategies ----------------------------------------------------------------------------

# Letters, spaces and punctuation with no digit, "@", "." or ":" cannot form an email, a
# number, a postcode or a link; the filter rules out a spelled-out "dot" and "www".
safe_text = st.text(
    alphabet=st.characters(
        categories=("L", "Zs", "Pd", "Ps", "Pe", "Po"),
        exclude_characters="@.:/",
    ),
    max_size=60,
).filter(lambda text: not re.search(r"dot|www|http", text, re.IGNORECASE))

ascii_letters_and_digits = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)


@st.composite
def emails(draw: st.DrawFn) -> str:
    atom = st.text(ascii_letters_and_digits, min_size=1, max_size=10)
    local = draw(atom) + "".join(
        draw(st.sampled_from("._+-")) + draw(atom)
        for _ in range(draw(st.integers(min_value=0, max_value=2)))
    )
    label = st.builds(
        lambda first, middle, last: first + middle + last,
        ascii_letters_and_digits,
        st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), max_size=8),
        ascii_letters_and_digits,
    )
    labels = draw(st.lists(label, min_size=1, max_size=3))
    top_level = draw(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=2, max_size=6))
    return f"{local}@{'.'.join(labels)}.{top_level}"


# The postcode formats and letter rules as Royal Mail publishes them.
POSTCODE_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"  # not Q, V, X
POSTCODE_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # not I, J, Z
POSTCODE_THIRD_A9A = "ABCDEFGHJKPSTUW"
POSTCODE_FOURTH_AA9A = "ABEHMNPRVWXY"
POSTCODE_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # not C, I, K, M, O, V


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    letter = st.sampled_from
    digit = st.sampled_from("0123456789")
    shape = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]))
    outward = {
        "A9": lambda: draw(letter(POSTCODE_FIRST)) + draw(digit),
        "A99": lambda: draw(letter(POSTCODE_FIRST)) + draw(digit) + draw(digit),
        "AA9": lambda: draw(letter(POSTCODE_FIRST)) + draw(letter(POSTCODE_SECOND)) + draw(digit),
        "AA99": lambda: (
            draw(letter(POSTCODE_FIRST)) + draw(letter(POSTCODE_SECOND)) + draw(digit) + draw(digit)
        ),
        "A9A": lambda: (
            draw(letter(POSTCODE_FIRST)) + draw(digit) + draw(letter(POSTCODE_THIRD_A9A))
        ),
        "AA9A": lambda: (
            draw(letter(POSTCODE_FIRST))
            + draw(letter(POSTCODE_SECOND))
            + draw(digit)
            + draw(letter(POSTCODE_FOURTH_AA9A))
        ),
    }[shape]()
    inward = (
        draw(digit) + draw(letter(POSTCODE_INWARD_LETTERS)) + draw(letter(POSTCODE_INWARD_LETTERS))
    )
    postcode = outward + draw(st.sampled_from([" ", ""])) + inward
    case = draw(st.sampled_from([str.upper, str.lower, str.title]))
    return case(postcode)


# HMRC: first letter not D, F, I, Q, U, V; second not D, F, I, O, Q, U, V; and these
# pairs are never allocated.
NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"
NI_NEVER_ALLOCATED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


@st.composite
def ni_numbers(draw: st.DrawFn) -> str:
    prefix = draw(
        st.tuples(st.sampled_from(NI_FIRST), st.sampled_from(NI_SECOND))
        .map("".join)
        .filter(lambda pair: pair not in NI_NEVER_ALLOCATED)
    )
    digits = draw(st.text(st.sampled_from("0123456789"), min_size=6, max_size=6))
    suffix = draw(st.sampled_from("ABCD"))
    if draw(st.booleans()):
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{prefix}{digits}{suffix}"


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, character in enumerate(reversed(payload)):
        value = int(character)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    # ISO/IEC 7812: no payment card's issuer number starts with 0.
    payload = draw(st.sampled_from("123456789")) + draw(
        st.text(st.sampled_from("0123456789"), min_size=length - 2, max_size=length - 2)
    )
    number = payload + luhn_check_digit(payload)
    separator = draw(st.sampled_from(["", " ", "-"]))
    groups = [number[index : index + 4] for index in range(0, len(number), 4)]
    return separator.join(groups)


@st.composite
def uk_mobiles(draw: st.DrawFn) -> str:
    subscriber = draw(st.text(st.sampled_from("0123456789"), min_size=9, max_size=9))
    return draw(
        st.sampled_from(
            [
                f"07{subscriber}",
                f"07{subscriber[:3]} {subscriber[3:]}",
                f"+44 7{subscriber[:3]} {subscriber[3:]}",
                f"+44 (0)7{subscriber[:3]} {subscriber[3:6]} {subscriber[6:]}",
            ]
        )
    )


# Pieces that sit close to every pattern: digits, separators, @, dots, personal data and
# its markers, glued together without spaces as often as with them.
adversarial_text = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.text(st.sampled_from("0123456789 -+()@.:/[]abcxyzAB"), max_size=12),
        st.sampled_from(list(MARKERS.values()) + [" at ", " dot ", "https://", "www.", "?token="]),
        emails(),
        postcodes(),
        ni_numbers(),
        card_numbers(),
        uk_mobiles(),
        st.sampled_from(["@jane", "@DHSCgovuk", "@dft@social.example", "@a.bsky.social"]),
    ),
    max_size=8,
).map("".join)


# --- Properties ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(text=adversarial_text)
def test_redacting_twice_gives_the_same_text_as_redacting_once(text):
    once = redact(text, mentions=SOME_KEPT_ACCOUNTS)

    assert redact(once.text, mentions=SOME_KEPT_ACCOUNTS).text == once.text


@PROPERTY_SETTINGS
@given(text=adversarial_text)
def test_published_text_contains_nothing_the_detectors_would_find(text):
    redaction = redact(text, mentions=SOME_KEPT_ACCOUNTS)

    assert find_removals(redaction.text, mentions=SOME_KEPT_ACCOUNTS) == ()


@PROPERTY_SETTINGS
@given(text=safe_text)
def test_text_that_cannot_form_a_pattern_is_returned_unchanged(text):
    redaction = redact(text, mentions=MentionPolicy())

    assert redaction.text == text
    assert redaction.removals == ()


@PROPERTY_SETTINGS
@given(text=adversarial_text)
def test_removals_lie_within_the_original_do_not_overlap_and_rebuild_the_published_text(text):
    redaction = redact(text, mentions=SOME_KEPT_ACCOUNTS)

    rebuilt, position = [], 0
    for removal in redaction.removals:
        assert position <= removal.start < removal.end <= len(text)
        assert removal.replacement == MARKERS[removal.kind]
        rebuilt.append(text[position : removal.start] + removal.replacement)
        position = removal.end
    rebuilt.append(text[position:])
    assert "".join(rebuilt) == redaction.text


@PROPERTY_SETTINGS
@given(
    before=safe_text,
    after=safe_text,
    personal=st.one_of(
        emails().map(lambda value: (RemovalKind.EMAIL, value)),
        # "b3 3rd" in lower case reads as a road and an ordinal; the engine keeps it.
        postcodes()
        .filter(lambda value: not re.fullmatch(r"[a-z]\d+ (1st|2nd|3rd|\dth)", value))
        .map(lambda value: (RemovalKind.POSTCODE, value)),
        ni_numbers().map(lambda value: (RemovalKind.NI_NUMBER, value)),
        # "2023 2024 2025 2026" passes Luhn but is a run of years; the engine keeps it.
        card_numbers()
        .filter(lambda value: not re.fullmatch(r"((19|20)\d\d[ -]?){3,}(19|20)\d\d", value))
        .map(lambda value: (RemovalKind.CARD, value)),
        uk_mobiles().map(lambda value: (RemovalKind.PHONE, value)),
    ),
)
def test_valid_personal_data_embedded_in_ordinary_text_is_always_removed(before, after, personal):
    kind, value = personal
    text = f"{before} {value} {after}"

    redaction = redact(text)

    start = len(before) + 1
    assert kinds_and_removed_text(redaction) == [(kind.value, value)]
    assert redaction.removals[0].start == start
    assert redaction.text == f"{before} {MARKERS[kind]} {after}"
