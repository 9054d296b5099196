import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from engagement.record.models import Channel, Response
from tests.factories.consultations import consultation_with_questions

# The live server needs committed data; serialized_rollback restores what the
# migrations created (the root page, locale, collection) after each flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def consultation(live_server):
    from cms.management.commands.seed_demo import ensure_home_page

    ensure_home_page()
    return consultation_with_questions(
        title="Quieter streets", summary="Should residential streets have a 20mph limit?"
    )


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


def _wait_for(browser, class_name: str):
    """The element once the next page has loaded (a click returns before navigation ends)."""
    return WebDriverWait(browser, 15).until(
        expected_conditions.presence_of_element_located((By.CLASS_NAME, class_name))
    )


def _open(browser, live_server, path):
    browser.get(live_server.url + path)
    return browser


def test_index_has_no_accessibility_violations(browser, live_server, consultation, axe_violations):
    _open(browser, live_server, "/consultations/")

    assert "Quieter streets" in browser.page_source
    assert axe_violations(browser) == []


def test_consultation_page_has_no_accessibility_violations(
    browser, live_server, consultation, axe_violations
):
    _open(browser, live_server, "/consultations/quieter-streets/")

    assert browser.find_element(By.TAG_NAME, "h1").text == "Quieter streets"
    assert axe_violations(browser) == []


def test_privacy_notice_reached_from_the_consultation_has_no_accessibility_violations(
    browser, live_server, consultation, axe_violations
):
    from consultations.models import PrivacyNotice

    PrivacyNotice.objects.create(
        department=consultation.department,
        contact='<p>Write to <a href="mailto:dpo@transport.example.gov.uk">our data '
        "protection officer</a>.</p><ul><li>By email</li><li>By post</li></ul>",
    )
    _open(browser, live_server, "/consultations/quieter-streets/")
    browser.find_element(By.LINK_TEXT, "How we use your information").click()

    WebDriverWait(browser, 15).until(
        expected_conditions.presence_of_element_located((By.ID, "contact"))
    )
    assert browser.find_element(By.TAG_NAME, "h1").text == "How we use your information"
    assert "our data protection officer" in browser.find_element(By.TAG_NAME, "main").text
    assert axe_violations(browser) == []


def test_hub_wide_privacy_notice_with_default_wording_has_no_accessibility_violations(
    browser, live_server, consultation, axe_violations
):
    _open(browser, live_server, "/privacy/")

    assert (
        "public task"
        in browser.find_element(By.ID, "lawful-basis")
        .find_element(By.XPATH, "following-sibling::div[1]")
        .text
    )
    assert axe_violations(browser) == []


def test_form_with_errors_has_no_accessibility_violations(
    browser, live_server, consultation, axe_violations
):
    _open(browser, live_server, "/consultations/quieter-streets/respond/")
    browser.find_element(By.ID, "id_email").send_keys("not-an-email")
    browser.find_element(By.CSS_SELECTOR, "form button.govuk-button").click()

    summary = _wait_for(browser, "govuk-error-summary")
    assert "Enter an email address in the correct format" in summary.text
    # GOV.UK Frontend moves focus to the error summary.
    WebDriverWait(browser, 5).until(lambda b: b.switch_to.active_element == summary)
    assert axe_violations(browser) == []


def _tab_to(browser, element_id: str, *, limit: int = 60):
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        if browser.switch_to.active_element.get_attribute("id") == element_id:
            return browser.switch_to.active_element
        browser.switch_to.active_element.send_keys(Keys.TAB)
    pytest.fail(f"#{element_id} cannot be reached with the Tab key")


def test_form_can_be_completed_with_the_keyboard_alone_and_confirmation_is_accessible(
    browser, live_server, consultation, axe_violations
):
    questions = {question.kind: question for question in consultation.questions.all()}
    _open(browser, live_server, "/consultations/quieter-streets/respond/")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # start at the skip link

    _tab_to(browser, f"id_question_{questions['free_text'].pk}").send_keys(
        "Our street would be safer."
    )
    # A radio group is one Tab stop; the arrow keys choose within it.
    _tab_to(browser, f"id_question_{questions['single_choice'].pk}_0").send_keys(Keys.ARROW_DOWN)
    _tab_to(browser, f"id_question_{questions['multiple_choice'].pk}_0").send_keys(Keys.SPACE)
    _tab_to(browser, f"id_question_{questions['multiple_choice'].pk}_1")
    browser.switch_to.active_element.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys(Keys.SPACE)  # the third option
    _tab_to(browser, f"id_question_{questions['agreement_scale'].pk}_0").send_keys(Keys.SPACE)
    _tab_to(browser, "id_name").send_keys("Ada Lovelace")
    _tab_to(browser, "id_email").send_keys("ada@example.org")
    _tab_to(browser, "id_consent_to_publish").send_keys(Keys.SPACE)
    # Past "show my name" and the privacy notice's link; the honeypot is not a Tab stop.
    browser.switch_to.active_element.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "how we use your information"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Send response"
    browser.switch_to.active_element.send_keys(Keys.ENTER)

    panel = _wait_for(browser, "govuk-panel--confirmation")
    stored = Response.objects.get()
    assert stored.reference in panel.text
    assert stored.channel == Channel.WEB
    assert stored.consent_to_publish is True
    answers = {answer.question_id: answer for answer in stored.answers.all()}
    assert answers[questions["free_text"].pk].text == "Our street would be safer."
    assert answers[questions["single_choice"].pk].choices == ["Bus"]
    assert answers[questions["multiple_choice"].pk].choices == ["More buses", "Park and ride"]
    assert answers[questions["agreement_scale"].pk].choices == ["Strongly agree"]
    assert stored.respondent_name == "Ada Lovelace"
    assert axe_violations(browser) == []
