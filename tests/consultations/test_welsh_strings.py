"""Issue 16: the interface strings added alongside the Welsh site speak Welsh under /cy/,
and the Welsh catalogue has no entry left untranslated, fuzzy, or missing from the .mo."""

from __future__ import annotations

import ast
import gettext
import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db.utils import OperationalError
from django.utils import timezone, translation

from cms import caching
from cms.celery import app as celery_app
from connectors.models import DeliveryKind
from connectors.services import delivery_message
from consultations.models import ConsultationPage
from engagement.moderation.removals import removals_summary
from engagement.record.models import ResponseNotification
from engagement.record.notifications import outcome_email_send
from tests.factories.consultations import welsh_translation

WELSH_PAGE = "/cy/consultations/quieter-streets/"
WELSH_FORM = WELSH_PAGE + "respond/"
CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "cy" / "LC_MESSAGES"


@pytest.fixture
def welsh(open_consultation):
    return welsh_translation(open_consultation)


@pytest.fixture
def tasks_in_process():
    """Tasks enqueued on commit run in the test process (there is a broker but no worker)."""
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


def _text(html: str) -> str:
    """The words of a page, tags out and spaces collapsed, for phrases split by markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- The pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_503_page_under_cy_is_in_welsh(rf):
    request = rf.post("/cy/consultations/quieter-streets/respond/", {"question_1": "Bws"})
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        answer = caching.server_error(request)

    page = answer.content.decode()
    assert answer.status_code == 503
    assert '<html lang="cy"' in page
    assert "Mae’n ddrwg gennym, nid yw’r gwasanaeth ar gael" in page
    assert "Rhowch gynnig arall arni mewn ychydig funudau." in page
    assert "Anfon eto" in page  # what was sent comes back to send again
    assert "Sorry, the service is unavailable" not in page


@pytest.mark.django_db
def test_the_503_page_at_an_english_address_stays_english(rf):
    with translation.override("cy"):  # whatever was active, the address decides
        answer = caching.service_unavailable(rf.get("/consultations/"))

    page = answer.content.decode()
    assert "Sorry, the service is unavailable" in page
    assert '<html lang="en-gb"' in page


def test_the_500_page_under_cy_is_in_welsh(rf):
    for path, expected in (
        ("/cy/consultations/", "Mae’n ddrwg gennym, mae problem gyda’r gwasanaeth"),
        ("/consultations/", "Sorry, there is a problem with the service"),
    ):
        try:
            raise ValueError("a bug")
        except ValueError:
            answer = caching.server_error(rf.get(path))

        assert answer.status_code == 500
        assert expected in answer.content.decode()


def test_the_welsh_form_offers_the_outcome_email_in_welsh(client, welsh):
    page = client.get(WELSH_FORM).text

    assert "Rhowch wybod i mi am y canlyniad" in page
    assert "Byddwn yn anfon e-bost atoch unwaith" in page
    assert "Tell me about the outcome" not in page


def test_the_outcome_checkbox_without_an_address_is_a_welsh_error(client, welsh):
    question = welsh.source_consultation.questions.get(text="How would this affect you?")

    page = client.post(
        WELSH_FORM, {f"question_{question.pk}": "Llai o sŵn.", "notify_outcome": "on"}
    ).text

    assert "Rhowch eich cyfeiriad e-bost, neu dad-diciwch “Rhowch wybod i mi am y canlyniad”" in (
        page
    )


def test_the_welsh_summary_has_welsh_chart_titles_ledger_and_labels(client, welsh):
    english = welsh.source_consultation
    question = english.questions.get(text="How would this affect you?")
    client.post(WELSH_FORM, {f"question_{question.pk}": "Llai o loriau, os gwelwch yn dda."})

    page = client.get("/cy/consultations/quieter-streets/summary/").text
    words = _text(page)

    assert '<html lang="cy"' in page
    assert "Beth ddigwyddodd i’r ymatebion, yn ôl yr wythnos y daethant i law" in page
    assert "Wythnos yn dechrau" in page
    assert "Ymatebion dros amser" in page
    assert "Ymatebion fesul sianel" in page
    assert "data agored (CSV)" in words
    # The ledger chart's legend and the channel's name, drawn in Python.
    assert "Yn aros i gael eu cymedroli" in page
    assert "What became of the responses" not in page
    assert "Responses over time" not in page


def test_the_english_summary_keeps_its_english_titles(client, welsh):
    page = client.get("/consultations/quieter-streets/summary/").text

    assert "Responses over time" in page
    assert "Ymatebion dros amser" not in page


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed


def test_search_unavailable_banner_is_in_welsh(client, welsh, settings):
    if settings.SEARCH.is_database:
        pytest.skip("the database backend is in use: there is no search node to lose")
    # This test's own backend pointed at a closed port: the shared node is left alone.
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {
            **settings.WAGTAILSEARCH_BACKENDS["default"],
            "BACKEND": settings.SEARCH.backend,
            "URLS": [f"http://127.0.0.1:{_closed_port()}"],
            "INDEX_PREFIX": "hubtest_away_",
            "TIMEOUT": 2,
        }
    }

    answer = client.get("/cy/search/", {"q": "bysiau"})

    assert answer.status_code == 503
    assert "Nid yw’r chwilio ar gael ar hyn o bryd." in answer.text
    assert "Rhowch gynnig arall arni mewn ychydig funudau." in answer.text
    assert ">Pwysig</h2>" in answer.text
    assert "Search is not available" not in answer.text


# --- Text made in Python ------------------------------------------------------------------


def test_the_outcome_reply_on_the_networks_is_welsh_for_the_welsh_page(welsh):
    english = delivery_message(page=welsh.source_consultation, kind=DeliveryKind.OUTCOME)
    cymraeg = delivery_message(page=welsh, kind=DeliveryKind.OUTCOME)

    assert english.text.startswith("The outcome of Quieter streets is published.")
    assert cymraeg.text == (
        "Mae canlyniad Strydoedd tawelach wedi’i gyhoeddi. Diolch i bawb a ymatebodd: "
        "dyma’r hyn a glywsom a’r hyn y byddwn yn ei wneud."
    )


def test_removed_details_are_counted_in_welsh():
    redactions = [{"kind": "phone"}, {"kind": "phone"}, {"kind": "name"}]

    with translation.override("cy"):
        summary = removals_summary(redactions)
        headline, description = summary.headline, summary.description
        single = removals_summary([{"kind": "postcode"}])
        single_headline = single.headline

    assert headline == "3 manylyn personol wedi’u tynnu"
    # Soft mutation after two ("2 rif"), and "ac" before a vowel.
    assert description == "2 rif ffôn ac un enw"
    assert single_headline == "1 manylyn personol wedi’i dynnu"
    with translation.override("en-gb"):
        assert removals_summary(redactions).description == "2 phone numbers and a name"


# --- The emails ---------------------------------------------------------------------------


def test_a_welsh_response_gets_its_emails_in_welsh_with_welsh_links(
    client, welsh, settings, tasks_in_process, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HUB_BASE_URL = "https://hub.example"
    english = welsh.source_consultation
    question = english.questions.get(text="How would this affect you?")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            WELSH_FORM,
            {
                f"question_{question.pk}": "Llai o loriau heibio’r ysgol.",
                "email": "ada@example.org",
                "notify_outcome": "on",
            },
        )

    (confirmation,) = mail.outbox
    assert confirmation.subject.startswith("Eich ymateb i “Strydoedd tawelach”: HUB-")
    assert "Diolch am ymateb i “Strydoedd tawelach”." in confirmation.body
    assert "Gofynnoch i ni roi gwybod i chi am y canlyniad." in confirmation.body
    assert "https://hub.example/cy/response-status/?reference=" in confirmation.body

    now = timezone.now()
    # Each language's page publishes its outcome (the Welsh one links the Welsh page).
    ConsultationPage.objects.filter(translation_key=english.translation_key).update(
        closes_at=now - timedelta(days=2), outcome_published_at=now - timedelta(minutes=1)
    )
    assert outcome_email_send(notification_id=ResponseNotification.objects.get().pk)

    outcome = mail.outbox[-1]
    assert outcome.subject == "Canlyniad “Strydoedd tawelach”"
    assert "Mae canlyniad “Strydoedd tawelach” bellach wedi’i gyhoeddi" in outcome.body
    assert "https://hub.example/cy/consultations/quieter-streets/#outcome" in outcome.body
    assert "https://hub.example/cy/consultations/quieter-streets/summary/" in outcome.body


# --- The catalogue ------------------------------------------------------------------------


@dataclass
class CatalogueEntry:
    msgid: str
    context: str | None = None
    plural: str | None = None
    translations: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def _catalogue_entries(text: str) -> list[CatalogueEntry]:
    """A .po file's entries: enough of the format for msgctxt, plurals, flags, obsolete."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        parts: dict[str | int, list[str]] = {}
        flags: set[str] = set()
        obsolete = False
        current: str | int | None = None
        for line in block.splitlines():
            if line.startswith("#~"):
                obsolete = True
                line = line[2:].strip()
            elif line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
                continue
            elif line.startswith("#"):
                continue
            keyword = re.match(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
            if keyword:
                name, index, quoted = keyword.groups()
                current = int(index or 0) if name == "msgstr" else name
                parts[current] = [quoted]
            elif line.startswith('"') and current is not None:
                parts[current].append(line)
        joined = {
            key: "".join(ast.literal_eval(quoted) for quoted in lines)
            for key, lines in parts.items()
        }
        if "msgid" not in joined:
            continue
        entries.append(
            CatalogueEntry(
                msgid=str(joined["msgid"]),
                context=joined.get("msgctxt"),
                plural=joined.get("msgid_plural"),
                translations={k: v for k, v in joined.items() if isinstance(k, int)},
                flags=flags,
                obsolete=obsolete,
            )
        )
    return entries


def _welsh_entries() -> list[CatalogueEntry]:
    entries = _catalogue_entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    return [entry for entry in entries if entry.msgid]  # not the header


def test_the_catalogue_reader_sees_fuzzy_untranslated_and_plural_entries():
    entries = _catalogue_entries(
        '#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr "Helo"\n\n'
        'msgid "Cat"\nmsgstr ""\n\n'
        'msgctxt "pet"\nmsgid "a dog"\nmsgid_plural "%(count)s dogs"\n'
        'msgstr[0] "un ci"\nmsgstr[1] ""\n"%(count)s gi"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Wedi mynd"\n'
    )

    assert [(e.msgid, e.flags >= {"fuzzy"}) for e in entries][:2] == [
        ("Hello %(name)s", True),
        ("Cat", False),
    ]
    assert entries[1].translations == {0: ""}
    assert entries[2].context == "pet"
    assert entries[2].translations == {0: "un ci", 1: "%(count)s gi"}
    assert entries[3].obsolete


def test_every_welsh_entry_is_translated_and_none_is_fuzzy_or_obsolete():
    entries = _welsh_entries()

    assert len(entries) > 300
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    assert [
        e.msgid for e in entries if not e.translations or not all(e.translations.values())
    ] == []
    assert [e.msgid for e in entries if e.obsolete] == []
    # Welsh has six plural forms (CLDR's zero, one, two, few, many, other); each plural
    # entry gives all six.
    assert [e.msgid for e in entries if e.plural and len(e.translations) != 6] == []


def test_the_committed_mo_matches_the_po():
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    stale = []
    for entry in _welsh_entries():
        if entry.plural:
            for n, form in ((0, 0), (1, 1), (2, 2), (3, 3), (6, 4), (8, 5)):
                found = (
                    catalogue.npgettext(entry.context, entry.msgid, entry.plural, n)
                    if entry.context
                    else catalogue.ngettext(entry.msgid, entry.plural, n)
                )
                if found != entry.translations[form]:
                    stale.append(entry.msgid)
        else:
            found = (
                catalogue.pgettext(entry.context, entry.msgid)
                if entry.context
                else catalogue.gettext(entry.msgid)
            )
            if found != entry.translations[0]:
                stale.append(entry.msgid)

    assert stale == [], "run compilemessages (README, In Welsh)"


# CLDR's Welsh plural rules: zero (0), one (1), two (2), few (3), many (6), other. After
# a figure the noun is singular and mutates as it would after the number read aloud: soft
# after "dau"/"dwy" (2), aspirate after "tri" (3) and "chwe" (6) on c, p and t.
@pytest.mark.parametrize(
    ("count", "responses", "addresses", "postcodes", "links"),
    [
        (0, "0 ymateb", "0 cyfeiriad e-bost", "0 cod post", "0 dolen breifat"),
        (1, "1 ymateb", "un cyfeiriad e-bost", "un cod post", "un ddolen breifat"),
        (2, "2 ymateb", "2 gyfeiriad e-bost", "2 god post", "2 ddolen breifat"),
        (3, "3 ymateb", "3 chyfeiriad e-bost", "3 chod post", "3 dolen breifat"),
        (6, "6 ymateb", "6 chyfeiriad e-bost", "6 chod post", "6 dolen breifat"),
        (8, "8 ymateb", "8 cyfeiriad e-bost", "8 cod post", "8 dolen breifat"),
    ],
)
def test_welsh_plurals_read_right_for_each_of_cldrs_forms(
    count, responses, addresses, postcodes, links
):
    from django.template import Context, Template

    counted = Template(
        "{% load i18n %}{% blocktranslate trimmed count counter=n %}{{ counter }} response"
        "{% plural %}{{ counter }} responses{% endblocktranslate %}"
    )
    with translation.override("cy"):
        assert counted.render(Context({"n": count})) == responses
        for singular, plural, expected in (
            ("an email address", "%(count)s email addresses", addresses),
            ("a postcode", "%(count)s postcodes", postcodes),
            ("a private link", "%(count)s private links", links),
        ):
            noun = translation.ngettext(singular, plural, count) % {"count": count}
            assert noun == expected
        if count:
            # As a response's page says it (engagement.moderation.removals).
            assert removals_summary([{"kind": "email"}] * count).description == addresses
    with translation.override("en-gb"):
        assert counted.render(Context({"n": count})) == (
            "1 response" if count == 1 else f"{count} responses"
        )
