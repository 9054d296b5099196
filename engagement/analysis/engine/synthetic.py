"""A seeded corpus of made-up consultation replies, for tests, the benchmark and demos.

Replies on five topics are assembled from phrase pools (so two replies on one topic share
meaning but rarely wording), plus one organised campaign: a template letter sent many times
with small personal edits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TOPIC_CLAUSES: dict[str, tuple[str, ...]] = {
    "cycling": (
        "the painted cycle lanes on the high street stop and start without warning",
        "a protected bike lane would let my children cycle to school",
        "there is nowhere secure to lock a bicycle at the station",
        "drivers park in the cycle lane outside the shops every morning",
        "segregated cycle routes would get more commuters out of their cars",
        "the junction by the bridge is frightening to cross on a bike",
        "cargo bikes need wider cycle paths than the plan shows",
        "the cycle hire scheme should reach the outer estates",
        "potholes on the cycle route have thrown me off my bike twice",
        "cyclists and pedestrians are squeezed onto the same narrow path",
        "bike parking at the school gates is always full",
        "the towpath is the only safe cycle route into town",
        "cycle lanes must be swept of broken glass and leaves",
        "e-bikes make the hill climb possible for older riders",
        "the new cycle bridge would cut my commute by ten minutes",
        "lorries overtaking cyclists too closely is my main worry",
        "a continuous cycle lane to the hospital would help staff",
        "the plan should link the cycle network to the railway station",
        "children need cycle training before the lanes open",
        "bike lanes should be lit along the unlit country road",
    ),
    "libraries": (
        "the branch library is the only warm quiet place for students to revise",
        "reducing library opening hours hurts people who work during the day",
        "our library runs the baby rhyme time sessions my son loves",
        "older residents use the library computers to apply for benefits",
        "volunteers cannot replace trained librarians",
        "the mobile library van is a lifeline for the villages",
        "the library book stock is out of date and needs investment",
        "closing the library on Saturdays would stop families visiting",
        "the library hosts the job club and the reading group",
        "e-books do not replace borrowing printed books from the library",
        "the library building needs a lift so wheelchair users can reach the upper floor",
        "free library internet access matters for those without broadband",
        "the summer reading challenge at the library keeps children reading",
        "the library is a community hub for lonely people",
        "merging the library into the council offices would lose its character",
        "library fines for children should be scrapped",
        "the library should open later in the evening for commuters",
        "local history archives kept in the library must be protected",
        "the library study space is always full during exam season",
        "self-service library kiosks often break and staff are needed",
    ),
    "housing": (
        "the new housing estate will add hundreds of cars to narrow lanes",
        "young people cannot afford to rent or buy homes in the town",
        "affordable homes in the development should go to local families first",
        "building houses on the flood plain is asking for trouble",
        "the housing plan has no new school places or doctors' surgery",
        "brownfield sites should be used for new homes before green fields",
        "council housing waiting lists are years long",
        "the density of flats proposed is far too high for the area",
        "new homes need to be built to high energy efficiency standards",
        "social housing tenants wait months for damp and mould repairs",
        "the developer's affordable housing quota keeps being reduced",
        "second homes and holiday lets are pushing up house prices",
        "the housing allocation ignores the lack of sewage capacity",
        "bungalows for older people would free up family houses",
        "the new estate needs a bus route before people move in",
        "starter homes for first-time buyers are badly needed",
        "private landlords should be licensed to improve rented housing",
        "the height of the tower block would overshadow existing homes",
        "empty homes above shops should be brought back into use",
        "self-build plots would let local people build their own homes",
    ),
    "waste": (
        "fortnightly bin collections will leave rubbish piling up in summer",
        "the recycling centre should open at weekends",
        "food waste caddies attract foxes when the lids break",
        "there are not enough recycling bins for glass in the flats",
        "charging for garden waste collection will lead to more fly-tipping",
        "the bin lorry often misses our street after bank holidays",
        "plastic pots and trays should be accepted in the recycling",
        "fly-tipping in the alley behind the shops is getting worse",
        "wheelie bins block the pavement for wheelchair users on collection day",
        "a bulky waste collection should be free once a year",
        "the recycling rules are confusing and change too often",
        "communal bins at the flats overflow every weekend",
        "textile and battery recycling should be collected from the kerb",
        "the tip booking system makes it hard to get rid of rubbish",
        "larger households need a bigger general waste bin",
        "litter bins in the park are emptied too rarely",
        "the council should publish how much recycling is actually recycled",
        "compost bins should be offered at a discount",
        "crews leave litter in the road when emptying the bins",
        "incineration of waste should not replace recycling",
    ),
    "health": (
        "it takes three weeks to get a GP appointment at our surgery",
        "the walk-in centre closing means longer waits at A&E",
        "mental health support for teenagers has a waiting list of months",
        "NHS dentists in the area are not taking new patients",
        "the hospital car park charges are unfair on patients and visitors",
        "phone lines at the surgery are engaged from eight in the morning",
        "community nurses visit my elderly mother and must be kept",
        "the pharmacy should be allowed to treat minor illnesses",
        "ambulance response times in rural areas are far too long",
        "maternity services should stay at the local hospital",
        "online GP consultations do not suit older patients",
        "the health centre needs more doctors and practice nurses",
        "physiotherapy waiting times leave people in pain for months",
        "carers need respite services and more support from the NHS",
        "the minor injuries unit should open overnight",
        "hospital transport for outpatient appointments is unreliable",
        "the surgery should offer evening appointments for workers",
        "dementia care and memory clinics need more funding",
        "diabetes checks at the surgery have been cancelled twice",
        "social prescribing has helped my depression more than pills",
    ),
}

OPENERS: tuple[str, ...] = (
    "As a resident of {place} for {years} years, I think",
    "Speaking as a parent in {place},",
    "I would like to say that",
    "In my experience living in {place},",
    "My view is that",
    "Having read the proposals, I feel",
    "As a pensioner in {place},",
    "For what it is worth,",
    "I work in {place} and",
    "Honestly,",
    "Our household in {place} believes",
    "Please note that",
)

CLOSERS: tuple[str, ...] = (
    "I hope the council takes this seriously.",
    "Thank you for asking.",
    "Please listen to residents.",
    "This matters to a lot of us.",
    "I would be happy to discuss this further.",
    "Something needs to change soon.",
    "Please keep us informed.",
    "",
    "",
    "",
)

PLACES: tuple[str, ...] = (
    "Ashford", "Barnsley", "Carlisle", "Dudley", "Exeter", "Frome", "Gateshead", "Hexham",
    "Ipswich", "Keswick", "Lewes", "Malton", "Newark", "Oldham", "Penrith", "Ripon",
)  # fmt: skip

CAMPAIGN_TEMPLATE = (
    "I am writing as a supporter of Save Riverside Park to object to the council's plan to "
    "sell Riverside Park for housing. The park is used every day by thousands of families, "
    "dog walkers and sports clubs, and it is the only green space within walking distance for "
    "many of us. Once it is built on it is lost for ever. I urge the council to withdraw the "
    "proposal and protect Riverside Park for future generations."
)

_CAMPAIGN_EDITS: tuple[tuple[str, str], ...] = (
    ("thousands of families", "hundreds of families"),
    ("I urge the council", "I strongly urge the council"),
    ("lost for ever", "lost forever"),
    ("dog walkers", "dog owners"),
    ("future generations", "our children and grandchildren"),
    ("I am writing", "I write"),
    ("sports clubs", "football clubs"),
)

_CAMPAIGN_ADDITIONS: tuple[str, ...] = (
    "I live on Mill Lane.",
    "My grandchildren play there every weekend.",
    "Please think again.",
    "Regards, a local resident.",
    "I have signed the petition too.",
)


@dataclass(frozen=True)
class SyntheticCorpus:
    texts: tuple[str, ...]
    topics: tuple[str, ...]  # one of TOPIC_CLAUSES' keys, or "campaign"
    campaign_indices: tuple[int, ...]


def _topic_reply(topic: str, rng: random.Random) -> tuple[str, tuple]:
    clauses = rng.sample(range(len(TOPIC_CLAUSES[topic])), 2)
    opener = rng.randrange(len(OPENERS))
    closer = rng.randrange(len(CLOSERS))
    place = rng.choice(PLACES)
    years = rng.randint(2, 40)
    first, second = (TOPIC_CLAUSES[topic][i] for i in clauses)
    joiner = rng.choice((", and ", ". Also, ", ". On top of that, ", "; "))
    body = OPENERS[opener].format(place=place, years=years) + " " + first + joiner + second + "."
    text = (body + " " + CLOSERS[closer]).strip()
    return text[0].upper() + text[1:], (topic, *sorted(clauses))


def _campaign_reply(rng: random.Random) -> str:
    text = CAMPAIGN_TEMPLATE
    for old, new in rng.sample(_CAMPAIGN_EDITS, rng.randint(0, 2)):
        text = text.replace(old, new)
    if rng.random() < 0.5:
        text = text + " " + rng.choice(_CAMPAIGN_ADDITIONS)
    if rng.random() < 0.2:
        text = text.lower()
    return text


def synthetic_corpus(
    *, seed: int = 0, per_topic: int = 120, campaign_size: int = 50
) -> SyntheticCorpus:
    """``per_topic`` replies on each of five topics plus ``campaign_size`` campaign letters,
    shuffled. No two topic replies share the same two clauses, opener and closer."""
    rng = random.Random(seed)  # noqa: S311 (made-up replies, nothing secret)
    replies: list[tuple[str, str]] = []
    used: set[tuple] = set()
    for topic in TOPIC_CLAUSES:
        made = 0
        while made < per_topic:
            text, composition = _topic_reply(topic, rng)
            # Two replies with the same pair of clauses would be near-copies by accident;
            # with 20 clauses a topic has 190 pairs, so larger corpora allow repeats.
            if composition in used and per_topic <= 190:
                continue
            used.add(composition)
            replies.append((text, topic))
            made += 1
    replies.extend((_campaign_reply(rng), "campaign") for _ in range(campaign_size))
    rng.shuffle(replies)
    return SyntheticCorpus(
        texts=tuple(text for text, _topic in replies),
        topics=tuple(topic for _text, topic in replies),
        campaign_indices=tuple(
            i for i, (_text, topic) in enumerate(replies) if topic == "campaign"
        ),
    )
