from __future__ import annotations

from engagement.analysis.engine.campaigns import campaigns_find, normalise_text
from engagement.analysis.engine.synthetic import CAMPAIGN_TEMPLATE


def test_campaign_is_found_as_one_group_with_its_exact_count(corpus):
    groups = campaigns_find(corpus.texts)
    campaign = [g for g in groups if set(g.member_indices) & set(corpus.campaign_indices)]
    assert len(campaign) == 1
    assert campaign[0].count == len(corpus.campaign_indices) == 50
    assert set(campaign[0].member_indices) == set(corpus.campaign_indices)


def test_replies_on_the_same_topic_are_not_grouped(corpus):
    groups = campaigns_find(corpus.texts)
    for group in groups:
        assert {corpus.topics[i] for i in group.member_indices} == {"campaign"}
    assert len(groups) == 1


def test_representative_is_the_most_common_wording(corpus):
    [group] = campaigns_find(corpus.texts)
    wordings = [normalise_text(corpus.texts[i]) for i in group.member_indices]
    representative = normalise_text(group.representative_text)
    assert wordings.count(representative) == max(wordings.count(w) for w in set(wordings))
    assert group.representative_text == corpus.texts[group.representative_index]


def test_copy_paste_with_small_edits_is_grouped_but_a_rewrite_is_not():
    edited = CAMPAIGN_TEMPLATE.replace("thousands", "hundreds").replace("I urge", "We urge")
    rewritten = (
        "Riverside Park matters to my family. We walk the dog there and my son plays football "
        "on Saturdays, so please do not sell it for housing."
    )
    texts = ["Fix the potholes on Mill Lane.", CAMPAIGN_TEMPLATE, rewritten, edited.upper()]
    [group] = campaigns_find(texts)
    assert group.member_indices == (1, 3)
    assert group.count == 2


def test_exact_copies_are_grouped_even_when_too_short_to_shingle():
    texts = ["No.", "Yes", "no", "NO!", "Maybe"]
    [group] = campaigns_find(texts)
    assert group.member_indices == (0, 2, 3)
    assert group.representative_index == 0


def test_a_higher_threshold_splits_loosely_edited_copies():
    base = "Please keep the number 42 bus running through the village every hour."
    loose = "Please keep the number 42 bus running through our village every two hours, thanks."
    assert campaigns_find([base, loose], threshold=0.5)
    assert campaigns_find([base, loose], threshold=0.9) == []


def test_grouping_is_the_same_on_every_run(corpus):
    assert campaigns_find(corpus.texts) == campaigns_find(list(corpus.texts))


def test_min_size_drops_pairs():
    texts = ["Save the library on King Street!", "save the library on king street", "Other."]
    assert campaigns_find(texts, min_size=3) == []
    assert campaigns_find(texts)[0].count == 2
