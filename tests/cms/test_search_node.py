from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import ConsultationIndexPage, ConsultationPage, Department

pytestmark = pytest.mark.search_node


@pytest.fixture
def consultations(home_page):
    index = home_page.add_child(instance=ConsultationIndexPage(title="Consultations", slug="c"))
    department = Department.objects.create(name="Department for Search Tests", slug="search")
    now = timezone.now()

    def make(title, summary):
        return index.add_child(
            instance=ConsultationPage(
                title=title,
                slug=title.lower().replace(" ", "-"),
                summary=summary,
                department=department,
                opens_at=now,
                closes_at=now + timedelta(days=5),
            )
        )

    return [
        make("Café licensing", "Pavement café licences in town centres"),
        make("Hedgerow protection", "Protecting hedgerows on farmland"),
    ]


@pytest.mark.django_db
def test_page_indexed_in_the_node_is_found_by_full_text_and_partial_word(
    search_backend, consultations
):
    cafe, hedgerow = consultations
    search_backend.get_index_for_model(ConsultationPage).refresh()

    assert [p.pk for p in ConsultationPage.objects.search("hedgerows")] == [hedgerow.pk]
    # Partial words need the edge_ngram analyser from analysis-common.
    assert [p.pk for p in ConsultationPage.objects.autocomplete("hedge")] == [hedgerow.pk]
    # asciifolding, also from analysis-common: "cafe" finds "Café".
    assert [p.pk for p in ConsultationPage.objects.autocomplete("cafe")] == [cafe.pk]


def test_search_node_is_opensearch_3_with_analysis_common_loaded(search_backend):
    info = search_backend.es.info()
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("3.")
    modules = {
        module["name"]
        for node in search_backend.es.nodes.info(metric="plugins")["nodes"].values()
        for module in node["modules"]
    }
    assert {"analysis-common", "lang-painless"} <= modules
