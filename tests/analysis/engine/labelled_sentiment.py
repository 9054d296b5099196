"""Hand-labelled replies in the style of UK public consultations, for the sentiment check.

Written for this suite (not taken from any data set); each label is what an analyst reading
the reply would record.
"""

LABELLED_REPLIES: tuple[tuple[str, str], ...] = (
    # positive
    ("I fully support the proposal to extend the cycle lanes along the high street.", "positive"),
    ("This is a sensible plan and long overdue. Well done to the council.", "positive"),
    ("I welcome the new library opening hours, they will help working parents a lot.", "positive"),
    (
        "Brilliant idea. The park improvements would make a real difference to our estate.",
        "positive",
    ),
    ("We are delighted that the bus route is being restored to the village.", "positive"),
    (
        "I agree with the changes to the bin collections; fortnightly recycling works well.",
        "positive",
    ),
    ("Great to see the department listening to residents at last. Thank you.", "positive"),
    (
        "The new crossing outside the school is a huge improvement for our children's safety.",
        "positive",
    ),
    ("I am in favour of the 20mph limit in residential streets. It feels much safer.", "positive"),
    (
        "Really pleased with how the consultation was run; the drop-in sessions were helpful.",
        "positive",
    ),
    ("Yes, please go ahead. More trees on the estate would be lovely.", "positive"),
    (
        "I strongly support option B, it protects the green belt and still delivers homes.",
        "positive",
    ),
    ("Excellent proposals for the town centre. I hope they are funded quickly.", "positive"),
    ("The extra GP appointments have been fantastic for our family.", "positive"),
    ("A welcome step forward for disabled access at the station.", "positive"),
    ("Happy with the plans overall, they strike the right balance.", "positive"),
    # negative
    ("I strongly oppose the closure of the leisure centre.", "negative"),
    ("This scheme is a waste of public money and will only increase congestion.", "negative"),
    ("I object to the new housing development on the playing fields.", "negative"),
    (
        "The parking charges are unaffordable for pensioners and will kill the high street.",
        "negative",
    ),
    ("Terrible idea. Nobody asked for another roundabout.", "negative"),
    (
        "I am very concerned that the library cuts will hit the poorest families hardest.",
        "negative",
    ),
    (
        "The consultation period is far too short and the documents are impossible to find.",
        "negative",
    ),
    (
        "Absolutely against the low traffic neighbourhood; it has made my street gridlocked.",
        "negative",
    ),
    ("The bus service is already appalling and these changes will make it worse.", "negative"),
    ("This is a shambles. The council has ignored residents yet again.", "negative"),
    ("Closing the ward would put lives at risk. Unacceptable.", "negative"),
    ("I disagree with removing the bus lane, it will slow every journey down.", "negative"),
    ("Pointless changes that nobody in the village wants.", "negative"),
    (
        "The proposed incinerator is dangerous and I am worried about air quality for my kids.",
        "negative",
    ),
    ("No. The fees are too high and the service keeps getting cut.", "negative"),
    ("I'm disappointed that the survey ignores rural areas entirely.", "negative"),
    # neutral
    ("Will the new timetable apply on bank holidays?", "neutral"),
    ("Please can you publish the traffic survey data that the proposal is based on.", "neutral"),
    ("I live on Station Road and walk to work most days.", "neutral"),
    ("How many parking spaces will remain after the scheme is built?", "neutral"),
    ("The consultation closes on 14 March according to the leaflet.", "neutral"),
    ("I use the number 42 bus twice a week to get to the hospital.", "neutral"),
    ("Could the council clarify which streets are included in zone 2?", "neutral"),
    ("My response relates to section 3 of the document.", "neutral"),
    ("We have two cars and a van at our address.", "neutral"),
    ("Is there a paper copy of the plans in the town hall?", "neutral"),
    ("I am responding on behalf of the parish council.", "neutral"),
    ("The map on page 7 shows the proposed route through the industrial estate.", "neutral"),
    ("Our household recycles glass at the supermarket.", "neutral"),
    ("When will the results of this consultation be published?", "neutral"),
    ("I travel into the city by train from Harlow.", "neutral"),
    ("The school is on the corner of Mill Lane and Church Street.", "neutral"),
)
