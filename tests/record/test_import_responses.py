"""The import_responses command: offline responses (email, letters, events) into the record."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from engagement.record.models import Answer, Channel, Response
from tests.factories.consultations import ConsultationPageFactory, QuestionFactory


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def page(db, home_page):
    page = ConsultationPageFactory()
    QuestionFactory(page=page, text="How would this affect you?")
    return page


def test_import_reports_each_bad_row_with_its_line_number_and_imports_the_rest(page, tmp_path):
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    csv_file = tmp_path / "letters.csv"
    csv_file.write_text(
        "text,received_at,channel,question,name,email\n"
        f"Please keep the bus route.,{yesterday},letter,,Ann Smith,ann@example.org\n"
        f",{yesterday},email,,,\n"
        f"From the town hall meeting.,{yesterday},event,How would this affect you?,,\n"
        f"Wrong channel,{yesterday},pigeon,,,\n"
        f"Not yet written,{tomorrow},email,,,\n"
        f"Bad address,{yesterday},email,,,not-an-email\n"
        f"Unknown question,{yesterday},email,What colour?,,\n",
        encoding="utf-8",
    )

    out, err = _run("import_responses", str(csv_file), "--consultation", page.slug)

    assert "7 rows: 2 imported" in out and "5 with errors" in out
    assert "line 3: text" in err
    assert "line 5: channel" in err
    assert "line 6: received_at" in err and "future" in err
    assert "line 7: email" in err
    assert "line 8: question" in err
    responses = Response.objects.filter(consultation=page)
    assert sorted(responses.values_list("channel", flat=True)) == [Channel.EVENT, Channel.LETTER]
    letter = responses.get(channel=Channel.LETTER)
    assert letter.respondent.name == "Ann Smith"
    assert letter.respondent.email == ""  # only a keyed hash of it identifies the respondent
    answer = Answer.objects.get(response__channel=Channel.EVENT, response__consultation=page)
    assert answer.question_text == "How would this affect you?"


def test_importing_the_same_file_again_records_nothing_new(page, tmp_path):
    jsonl = tmp_path / "emails.jsonl"
    received = (timezone.now() - timedelta(hours=2)).isoformat()
    jsonl.write_text(
        json.dumps({"text": "By email.", "received_at": received, "channel": "email"})
        + "\n{not json\n"
        + json.dumps(["a", "list"])
        + "\n"
        + json.dumps({"text": "Another.", "received_at": received, "channel": "Email", "x": 1})
        + "\n",
        encoding="utf-8",
    )

    out, err = _run("import_responses", str(jsonl), "--consultation", page.slug)
    again, _ = _run("import_responses", str(jsonl), "--consultation", page.slug)

    assert "4 rows: 1 imported" in out
    assert "line 2: not valid JSON" in err
    assert "line 3: a line must be a JSON object" in err
    assert "line 4: x: Extra inputs are not permitted" in err
    assert "0 imported, 1 already in the record" in again
    assert Response.objects.filter(consultation=page).count() == 1


def test_a_number_too_long_for_python_is_a_bad_row_not_a_crash(page, tmp_path):
    received = (timezone.now() - timedelta(hours=2)).isoformat()
    jsonl = tmp_path / "emails.jsonl"
    jsonl.write_text(
        '{"text": "Big", "n": '
        + "9" * 5000
        + "}\n"
        + json.dumps({"text": "Fine.", "received_at": received, "channel": "email"})
        + "\n",
        encoding="utf-8",
    )

    out, err = _run("import_responses", str(jsonl), "--consultation", page.slug)

    assert "2 rows: 1 imported" in out
    assert "line 1: not valid JSON (Exceeds the limit" in err


def test_import_refuses_a_file_it_cannot_read(page, tmp_path):
    binary = tmp_path / "scan.csv"
    binary.write_bytes(b"text,received_at\n\xff\xfe\x00broken")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello", encoding="utf-8")

    with pytest.raises(CommandError, match="not UTF-8"):
        _run("import_responses", str(binary), "--consultation", page.slug)
    with pytest.raises(CommandError, match="cannot tell the format"):
        _run("import_responses", str(unknown), "--consultation", page.slug)
