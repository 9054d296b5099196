"""A labelled corpus of consultation replies for measuring the redaction engine.

Each example is a reply as a citizen might write it, with the exact spans (kind,
substring) that must be removed; a substring listed twice means its first two
occurrences. Examples with no spans are there to catch false positives: prices,
dates, references, roads, outward codes, ordinary links, hashtags, times.

The personal data is fictitious: Ofcom's drama numbers (07700 900xxx, 020 7946 0xxx,
0161 496 0xxx…), example.* domains, the card networks' published test numbers and
made-up National Insurance numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from engagement.moderation.redaction import MentionPolicy

# The corpus replies are read with this policy: the department's and Parliament's
# accounts stay, private individuals go.
CORPUS_MENTION_POLICY = MentionPolicy(
    keep=frozenset(
        {
            "DHSCgovuk",
            "educationgovuk",
            "transportgovuk",
            "UKParliament",
            "hmtreasury",
            "dhscgovuk.bsky.social",
            "dft@social.transport.example",
            "AliceMPforTown",
        }
    )
)


@dataclass(frozen=True)
class LabelledExample:
    text: str
    spans: tuple[tuple[str, str], ...]


def _example(text: str, *spans: tuple[str, str]) -> LabelledExample:
    return LabelledExample(text=text, spans=spans)


E = _example

CORPUS: tuple[LabelledExample, ...] = (
    # --- Email addresses -------------------------------------------------------------
    E(
        "I support the proposal. If you need more detail you can reach me on "
        "jane.smith@example.com.",
        ("email", "jane.smith@example.com"),
    ),
    E(
        "Please keep me updated at j.bloggs+consultation@mail.example.co.uk, thanks.",
        ("email", "j.bloggs+consultation@mail.example.co.uk"),
    ),
    E(
        "As chair of our residents' association (contact: chair@oakfield-residents.org.uk) "
        "I object to the closure of the library.",
        ("email", "chair@oakfield-residents.org.uk"),
    ),
    E(
        "My daughter's school emailed me from head.teacher@stmarys.example.sch.uk about "
        "this and I was shocked.",
        ("email", "head.teacher@stmarys.example.sch.uk"),
    ),
    E(
        "Email sam_o'neill@example.org if you want a case study from a carer.",
        ("email", "sam_o'neill@example.org"),
    ),
    E(
        "I wrote twice to PETER.JONES@EXAMPLE.NET and never had a reply.",
        ("email", "PETER.JONES@EXAMPLE.NET"),
    ),
    E(
        "Contact me: (m.patel@example.com) or my husband (r.patel@example.com).",
        ("email", "m.patel@example.com"),
        ("email", "r.patel@example.com"),
    ),
    E(
        "You can write to me at john dot doe at gmail dot com if you prefer.",
        ("email", "john dot doe at gmail dot com"),
    ),
    E(
        "Reply to mary [at] example [dot] co [dot] uk please, I don't use social media.",
        ("email", "mary [at] example [dot] co [dot] uk"),
    ),
    E(
        "peter(at)example(dot)com is my address for anything about the bus review.",
        ("email", "peter(at)example(dot)com"),
    ),
    E(
        "Sent from my iPhone. Regards, Linda -- linda1962@example.co.uk",
        ("email", "linda1962@example.co.uk"),
    ),
    E(
        "I have had a look at gov.uk and the guidance is clear enough.",
    ),
    E(
        "We met at the town hall at 7pm and nobody from the council came.",
    ),
    E(
        "My email: tom-harris_77@sub.example.ac.uk. My view: keep the weekly collection.",
        ("email", "tom-harris_77@sub.example.ac.uk"),
    ),
    E(
        "Forwarding my neighbour's view (she's not online): gladys.w@example.com says no.",
        ("email", "gladys.w@example.com"),
    ),
    E(
        "Send the survey results to info@charity.example.org and to me at a.khan@example.com",
        ("email", "info@charity.example.org"),
        ("email", "a.khan@example.com"),
    ),
    E(
        "I'm at the end of my tether with the potholes at the top of our road.",
    ),
    E(
        "The form would not accept my address jo@example.io so I'm replying here.",
        ("email", "jo@example.io"),
    ),
    # --- UK phone numbers --------------------------------------------------------------
    E(
        "Happy to talk, call me on 07700 900123 after 6pm.",
        ("phone", "07700 900123"),
    ),
    E(
        "My mobile is 07700900456 but I'm at work until 5.",
        ("phone", "07700900456"),
    ),
    E(
        "Ring the surgery on 0161 496 0123 and you'll see what I mean about waiting times.",
        ("phone", "0161 496 0123"),
    ),
    E(
        "Our home number is (020) 7946 0958, evenings are best.",
        ("phone", "(020) 7946 0958"),
    ),
    E(
        "Call +44 7700 900321 if you want to hear from a bus user in a rural area.",
        ("phone", "+44 7700 900321"),
    ),
    E(
        "My number: +44 (0)20 7946 0018.",
        ("phone", "+44 (0)20 7946 0018"),
    ),
    E(
        "Text me on +447700900654 – I'd like to be part of the focus group.",
        ("phone", "+447700900654"),
    ),
    E(
        "Landline 0113-496-0123, mobile 07700-900-789.",
        ("phone", "0113-496-0123"),
        ("phone", "07700-900-789"),
    ),
    E(
        "I'm in a village with the code 01632; our number is 01632 960123.",
        ("phone", "01632 960123"),
    ),
    E(
        "Please phone 0044 7700 900111, I'm living abroad at the moment.",
        ("phone", "0044 7700 900111"),
    ),
    E(
        "You can get me on 0117 496 0555 or on 07700 900 555.",
        ("phone", "0117 496 0555"),
        ("phone", "07700 900 555"),
    ),
    E(
        # 0300 numbers are reserved for public bodies and charities: no one's own line.
        "My late father's number 0333 999 0123 still gets calls about this scheme.",
        ("phone", "0333 999 0123"),
    ),
    E(
        "The NHS helpline 0800 123 4567 was no help and 111 was engaged.",
    ),
    E(
        "Bus 07 leaves at 07:30 and the 0845 train is always late.",
    ),
    E(
        "We waited from 14:05 until 16:45 on 07/11/2024 for an ambulance.",
    ),
    E(
        "Call me (07700 900999) – I'm the parish clerk.",
        ("phone", "07700 900999"),
    ),
    E(
        "Numbers for our group: 07700 900001, 07700 900002 and 07700 900003.",
        ("phone", "07700 900001"),
        ("phone", "07700 900002"),
        ("phone", "07700 900003"),
    ),
    E(
        "I rang +44 (0) 161 496 0999 three times last week.",
        ("phone", "+44 (0) 161 496 0999"),
    ),
    E(
        "The population grew by 1,250,000 between 2011 and 2021.",
    ),
    # --- International numbers ---------------------------------------------------------
    E(
        "I live in France part of the year: +33 6 12 34 56 78.",
        ("phone", "+33 6 12 34 56 78"),
    ),
    E(
        "Reach me in Dublin on +353 87 123 4567.",
        ("phone", "+353 87 123 4567"),
    ),
    E(
        "My son in the US is +1 (415) 555-0132 and he agrees with me.",
        ("phone", "+1 (415) 555-0132"),
    ),
    E(
        "Berlin office of our charity: +49 30 12345678.",
        ("phone", "+49 30 12345678"),
    ),
    E(
        "Sydney: +61 2 9876 5432, if the time difference allows.",
        ("phone", "+61 2 9876 5432"),
    ),
    E(
        "Prices went up +12% and then another +5% this year.",
    ),
    E(
        "The score was 3-1 and the ground holds 25,000 people.",
    ),
    # --- Postcodes ---------------------------------------------------------------------
    E(
        "I live at SW1A 1AA and the noise from the works is constant.",
        ("postcode", "SW1A 1AA"),
    ),
    E(
        "Our postcode is m1 1ae, right next to the proposed depot.",
        ("postcode", "m1 1ae"),
    ),
    E(
        "Flat 2, 14 Mill Lane, Leeds LS1 4AP. I object.",
        ("address", "Flat 2, 14 Mill Lane"),
        ("postcode", "LS1 4AP"),
    ),
    E(
        "We're at CR26XH and the bus doesn't come down our road any more.",
        ("postcode", "CR26XH"),
    ),
    E(
        "Postcode EH1 1YZ – the tram extension would help us.",
        ("postcode", "EH1 1YZ"),
    ),
    E(
        "Cardiff CF10 1EP, writing in English but please provide Welsh versions too.",
        ("postcode", "CF10 1EP"),
    ),
    E(
        "Belfast BT1 5GS resident here.",
        ("postcode", "BT1 5GS"),
    ),
    E(
        "Our surgery moved from NE1 7RU to a site three miles away.",
        ("postcode", "NE1 7RU"),
    ),
    E(
        "We moved from w1a0ax to bs16qf last year.",
        ("postcode", "w1a0ax"),
        ("postcode", "bs16qf"),
    ),
    E(
        "The junction of the M25 and M40 is a nightmare every morning.",
    ),
    E(
        "Take the A1 2nd exit at the roundabout and you'll see the site.",
    ),
    E(
        "The M6 3rd lane closure lasted a month.",
    ),
    E(
        "Rents in W1 and SW1A are beyond anyone on a nurse's salary.",
    ),
    E(
        "A road widening on the B1234 would destroy the verge.",
    ),
    E(
        "I'm in the DN55 area, near the old colliery.",
    ),
    E(
        "Birmingham B33 8TH, please consider the estate's elderly residents.",
        ("postcode", "B33 8TH"),
    ),
    E(
        "Address: 10 Station Road, Oxford OX1 2JD.",
        ("address", "10 Station Road"),
        ("postcode", "OX1 2JD"),
    ),
    E(
        "Plymouth PL4 8AA. Ferry fares are already too high.",
        ("postcode", "PL4 8AA"),
    ),
    E(
        "I'm in Penzance, TR18 4AB, and we have one bus a day.",
        ("postcode", "TR18 4AB"),
    ),
    E(
        "Sheffield s1 2he – the trams are great, buses not so much.",
        ("postcode", "s1 2he"),
    ),
    E(
        "Our street in L1 8JQ floods every winter.",
        ("postcode", "L1 8JQ"),
    ),
    E(
        "GIR 0AA was the old Girobank postcode, my mother worked there.",
        ("postcode", "GIR 0AA"),
    ),
    E(
        "Version 2.3.1 of the app still crashes on my phone.",
    ),
    E(
        "The A40 and the A4 both need resurfacing, and the M4 J12 too.",
    ),
    E(
        "The 5G mast near the school worries parents.",
    ),
    # --- National Insurance numbers ----------------------------------------------------
    E(
        "My National Insurance number is AB123456C and HMRC still lost my records.",
        ("ni_number", "AB123456C"),
    ),
    E(
        "NI no. JG 10 37 59 A – please check why my pension forecast is wrong.",
        ("ni_number", "JG 10 37 59 A"),
    ),
    E(
        "ce 12 34 56 d is my NI number, I was told to quote it.",
        ("ni_number", "ce 12 34 56 d"),
    ),
    E(
        "For reference my NINO is PZ-12-34-56-B.",
        ("ni_number", "PZ-12-34-56-B"),
    ),
    E(
        "Employers' NI contributions went up in April and our café cut hours.",
    ),
    E(
        "Businesses in NI (Northern Ireland) face different rules.",
    ),
    E(
        "The example on the form, QQ123456C, confused my father.",
        # HMRC's example prefix: people copy it when they mean their own number.
        ("ni_number", "QQ123456C"),
    ),
    E(
        "Code GB123456A appears on my paperwork but isn't my NI number.",
    ),
    E(
        "HMRC letter for TW 98 76 54 B arrived at the wrong address.",
        ("ni_number", "TW 98 76 54 B"),
    ),
    E(
        "Claim ref JX123456Q from the DWP.",
    ),
    # --- Payment cards -----------------------------------------------------------------
    E(
        "They charged my card 4111 1111 1111 1111 twice for the parking permit.",
        ("card", "4111 1111 1111 1111"),
    ),
    E(
        "The refund should go to 5555-5555-5555-4444 not to my old card.",
        ("card", "5555-5555-5555-4444"),
    ),
    E(
        "Card ending... actually the whole thing is 4012888888881881, sorry.",
        ("card", "4012888888881881"),
    ),
    E(
        "Amex 3782 822463 10005 was declined at the council's payment page.",
        ("card", "3782 822463 10005"),
    ),
    E(
        "My order reference is 1234 5678 9012 3456 and the permit never came.",
    ),
    E(
        "Reference 4111111111111112 on my parking fine.",
    ),
    E(
        "Policy numbers 2023 2024 2025 2026 are the years I paid.",
    ),
    E(
        "ISBN 978-0-306-40615-7 is the book I cited.",
    ),
    E(
        "Paid with 6011 1111 1111 1117 and got no receipt.",
        ("card", "6011 1111 1111 1117"),
    ),
    E(
        "Debit card 4222222222222 (an old one) was used by mistake.",
        ("card", "4222222222222"),
    ),
    E(
        "Visa 4917 6100 0000 0000 003, which is the new longer number.",
        ("card", "4917 6100 0000 0000 003"),
    ),
    E(
        "The fine of £1,250 was reduced to £625 after appeal.",
    ),
    E(
        "Our account number 12345678 and sort code 12-34-56 are on file already.",
        ("bank_details", "12345678"),
        ("bank_details", "12-34-56"),
    ),
    # --- Links ---------------------------------------------------------------------------
    E(
        "The guidance at https://www.gov.uk/guidance is out of date.",
    ),
    E(
        "See https://www.legislation.gov.uk/ukpga/2008/27/contents for the Climate Change Act.",
    ),
    E(
        "Petition: https://petition.parliament.uk/petitions/700086 – please read it.",
    ),
    E(
        "I clicked https://consult.example.com/reply?token=8f3a9c2e7b1d4f6a and it said expired.",
        ("link", "https://consult.example.com/reply?token=8f3a9c2e7b1d4f6a"),
    ),
    E(
        "Your unsubscribe link https://mail.example.com/unsubscribe?email=jane%40example.com "
        "doesn't work.",
        ("link", "https://mail.example.com/unsubscribe?email=jane%40example.com"),
    ),
    E(
        "Reset link: https://app.example.com/reset-password/4f9c2a7e8b1d3f6a0c5e9b2d7a4f1c8e",
        ("link", "https://app.example.com/reset-password/4f9c2a7e8b1d3f6a0c5e9b2d7a4f1c8e"),
    ),
    E(
        "My full response is in this doc: "
        "https://docs.example.com/document/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit",
        (
            "link",
            "https://docs.example.com/document/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit",
        ),
    ),
    E(
        "Join the residents' call: https://meet.example.com/j/91234567890?pwd=aBcDeFgH12345",
        ("link", "https://meet.example.com/j/91234567890?pwd=aBcDeFgH12345"),
    ),
    E(
        "Photos of the flooding: https://files.example.com/s/abc123xyz789qrs/flood.jpg",
        ("link", "https://files.example.com/s/abc123xyz789qrs/flood.jpg"),
    ),
    E(
        "Wikipedia explains it (https://en.wikipedia.org/wiki/Green_belt_(United_Kingdom)).",
    ),
    E(
        "BBC coverage: https://www.bbc.co.uk/news/uk-politics-67890123",
    ),
    E(
        "Watch our video https://youtu.be/dQw4w9WgXcQ about the bus cuts.",
    ),
    E(
        "Search results: https://www.example.org/search?q=bus+fares&page=3",
    ),
    E(
        "www.nhs.uk/conditions/asthma has better advice than your leaflet.",
    ),
    E(
        "I was sent https://portal.example.com/invite/Xy7Kp2Qr9Lm4 to sign up, is it legitimate?",
        ("link", "https://portal.example.com/invite/Xy7Kp2Qr9Lm4"),
    ),
    E(
        "My bank login page https://bank.example.com/login?session=ABCDEF123456 "
        "froze when paying the council tax.",
        ("link", "https://bank.example.com/login?session=ABCDEF123456"),
    ),
    E(
        "The report (https://files.example.com/report.pdf?X-Amz-Signature=9a8b7c6d) "
        "would not open.",
        ("link", "https://files.example.com/report.pdf?X-Amz-Signature=9a8b7c6d"),
    ),
    E(
        "Our crime map https://maps.example.com/area?postcode=SW1A1AA shows the problem.",
        ("link", "https://maps.example.com/area?postcode=SW1A1AA"),
    ),
    E(
        "Form link https://forms.example.com/r/3f2b8c1e-9d4a-4b7e-8c2f-1a2b3c4d5e6f kept "
        "timing out.",
        ("link", "https://forms.example.com/r/3f2b8c1e-9d4a-4b7e-8c2f-1a2b3c4d5e6f"),
    ),
    E(
        "https://www.ons.gov.uk/peoplepopulationandcommunity/housing shows rents up 9%.",
    ),
    E(
        "The consultation page https://www.gov.uk/government/consultations/"
        "bus-services-bill-2025 says the deadline is 5 March.",
    ),
    E(
        "The verify link https://id.example.com/verify?code=558201 arrived after it expired.",
        ("link", "https://id.example.com/verify?code=558201"),
    ),
    E(
        "Asset https://assets.publishing.service.gov.uk/media/65a1b2c3d4e5f6a7b8c9d0e1/"
        "impact-assessment.pdf is missing figures.",
    ),
    E(
        "Visit www.example.org.uk/our-campaign for the open letter.",
    ),
    # --- @-mentions --------------------------------------------------------------------
    E(
        "@DHSCgovuk please listen to nurses like my friend @jane_smith88.",
        ("mention", "@jane_smith88"),
    ),
    E(
        "Agree with @TomBrownUK on this, the cuts will hurt.",
        ("mention", "@TomBrownUK"),
    ),
    E(
        "As @sarah.bsky.social said in the thread, rural buses are a lifeline.",
        ("mention", "@sarah.bsky.social"),
    ),
    E(
        "Boosting this – @dave@mastodon.social and I both rely on the 42 bus.",
        ("mention", "@dave@mastodon.social"),
    ),
    E(
        "@educationgovuk our school roof is still leaking, ask @priya@mas.to, she's the head.",
        ("mention", "@priya@mas.to"),
    ),
    E(
        "@UKParliament @hmtreasury the tax change hits carers hardest.",
    ),
    E(
        "@dhscgovuk.bsky.social when will the dental contract be fixed?",
    ),
    E(
        "@dft@social.transport.example the trains to Hull are overcrowded.",
    ),
    E(
        "Meet us at the library @ 5pm on Thursday to discuss the plans.",
    ),
    E(
        "Drop-in session @5pm, bring your questions. #SaveOurBuses",
    ),
    E(
        "Thanks @AliceMPforTown for raising this, and @bob_the_builder77 for the photos.",
        ("mention", "@bob_the_builder77"),
    ),
    E(
        "cc @Mum_of_3_Leeds @grandad.jim.bsky.social – you both asked me to reply.",
        ("mention", "@Mum_of_3_Leeds"),
        ("mention", "@grandad.jim.bsky.social"),
    ),
    E(
        "Email jane@example.com, not @jane, she's rarely on here.",
        ("email", "jane@example.com"),
        ("mention", "@jane"),
    ),
    E(
        "#CostOfLiving #Budget2024 this is the reality for families.",
    ),
    E(
        "@transportgovuk 3 buses cancelled @ 8am again today.",
    ),
    # --- Mixed replies -------------------------------------------------------------------
    E(
        "I'm a carer in Hull (HU1 2AA). You can reach me on 07700 900432 or "
        "carer.hull@example.com.",
        ("postcode", "HU1 2AA"),
        ("phone", "07700 900432"),
        ("email", "carer.hull@example.com"),
    ),
    E(
        "Name: Mrs K. Ahmed\nAddress: 3 Hill Rise, Bradford BD1 1AA\nTel: 0113 496 0321\n"
        "Comments: please reopen the walk-in centre.",
        ("name", "Mrs K. Ahmed"),
        ("address", "3 Hill Rise"),
        ("postcode", "BD1 1AA"),
        ("phone", "0113 496 0321"),
    ),
    E(
        "My NI number (AB 12 34 56 C) and my card (4111-1111-1111-1111) were both on the "
        "letter you sent to the wrong house!",
        ("ni_number", "AB 12 34 56 C"),
        ("card", "4111-1111-1111-1111"),
    ),
    E(
        "I oppose option B. The new road would cut through Eastfield Park.",
    ),
    E(
        "Option 3 is best. 72% of our members agreed at the AGM on 12 March 2024.",
    ),
    E(
        "Ref HUB-7K3Q-9XPA – I submitted this earlier but the form crashed.",
    ),
    E(
        "Bill 123 (HC Bill 45) and the Bus Services Bill [HL] both matter here.",
    ),
    E(
        "Clause 12(3)(b) should say 'must', not 'may'.",
    ),
    E(
        "In 2019 we paid £1,100; in 2024 it's £1,650. That's a 50% rise in five years.",
    ),
    E(
        "Our complaint number is CMP-2024-001234 and nothing has happened since 3/2/24.",
    ),
    E(
        "Paragraph 4.2.1 on page 37 contradicts table 5.",
    ),
    E(
        "Between 9.30am and 11am the roads are gridlocked; after 11 it's fine.",
    ),
    E(
        "I'm 67 years old, widowed, and the 2 buses an hour are my only link to town.",
    ),
    E(
        "Contact our campaign (www.saveourbuses.example.org) or me directly on 07700 900600.",
        ("phone", "07700 900600"),
    ),
    E(
        "Tel. 020 7946 0321 | Mob. 07700 900321 | E-mail k.lee@example.co.uk",
        ("phone", "020 7946 0321"),
        ("phone", "07700 900321"),
        ("email", "k.lee@example.co.uk"),
    ),
    E(
        "The M62 between J25 and J26 needs a fourth lane, not a bus gate.",
    ),
    E(
        "We need more GPs in the NG7 area; I'm at NG7 2UH and wait three weeks.",
        ("postcode", "NG7 2UH"),
    ),
    E(
        "Question 4: yes. Question 5: no. Question 6: only if funded.",
    ),
    E(
        "I paid £35.99 on 01/02/2023 and £42.50 on 01/02/2024.",
    ),
    E(
        "My reference number is 00123456789 from the council.",
    ),
    E(
        "The budget is £2.4bn over 10 years, i.e. £240m a year.",
    ),
    E(
        "Call 999 in an emergency, 111 if not – but both are overwhelmed.",
    ),
    E(
        "We're on the 3rd floor at 221B Baker Street and the lift has been broken since May.",
        ("address", "221B Baker Street"),
    ),
    E(
        "IP 192.168.0.1 came up when I tried to submit.",
    ),
    E(
        "Room 101, Block C, 2nd floor: that's where the drop-in was held.",
    ),
    E(
        "Survey ID 7c9e6679 and session 42 were on the screen when it crashed.",
    ),
    E(
        "I am writing on behalf of my mother, Mrs Doris Evans, at 12 Church Lane, "
        "Swansea SA1 1AA. Her number is 029 2018 0011.",
        ("address", "12 Church Lane"),
        ("postcode", "SA1 1AA"),
        ("phone", "029 2018 0011"),
    ),
    E(
        "Please do not publish my details: j.evans@example.com / 07700 900777.",
        ("email", "j.evans@example.com"),
        ("phone", "07700 900777"),
    ),
    E(
        "Quoting @jenny_writes: 'the consultation is a tick-box exercise'. I agree.",
        ("mention", "@jenny_writes"),
    ),
    E(
        "Link to my evidence: https://www.example.org/evidence.pdf – page 4.",
    ),
    E(
        "Call the Citizens Advice line on 0800 144 8848 – they were brilliant.",
    ),
    E(
        "Temperatures hit 40.3C in July 2022; the school had no shade.",
    ),
    E(
        "I've lived here 30+ years, since 1992.",
    ),
    E(
        "Our charity number is 1123456 and company number 01234567.",
    ),
    E(
        "Use the 2024/25 figures, not the 2022/23 ones in table A1.",
    ),
    E(
        "The speed limit should be 20mph on the B4560 and 30 on the A48.",
    ),
    E(
        "From LS6 to LS1 by bus takes 40 minutes at 8am.",
    ),
    E(
        "Our son's EHCP review (ref EHC/2023/0456) has been delayed 9 months.",
    ),
    E(
        "I'd rather not give my phone number but my postcode is DE1 3AA.",
        ("postcode", "DE1 3AA"),
    ),
    E(
        "New number from next week: 07700 900 234 (old one 07700 900 233 no longer works).",
        ("phone", "07700 900 234"),
        ("phone", "07700 900 233"),
    ),
    E(
        "my email is dave.r@example.com my postcode is ip4 1aa my phone is 07700900888",
        ("email", "dave.r@example.com"),
        ("postcode", "ip4 1aa"),
        ("phone", "07700900888"),
    ),
    E(
        "Please see attached at https://drive.example.com/file/d/"
        "1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P/view?usp=sharing",
        (
            "link",
            "https://drive.example.com/file/d/1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P/view?usp=sharing",
        ),
    ),
    E(
        "I think the 16-digit number 9876 5432 1098 7654 on the letter is a case ID.",
    ),
    E(
        "The A38(M) is closed again.",
    ),
    E(
        "In SE1, SE11 and SW8 the new estates have no GP surgery.",
    ),
    E(
        "We're on the 3rd and 4th floors; the lift (no. 2) is broken.",
    ),
    E(
        "Fares: £2 cap (2023), £3 cap (2025). 1.5m journeys a week.",
    ),
    E(
        "Hi, I'm Paul from Wigan WN1 1AB, 07700 900445, paul.wigan@example.com, @paulwigan on X.",
        ("postcode", "WN1 1AB"),
        ("phone", "07700 900445"),
        ("email", "paul.wigan@example.com"),
        ("mention", "@paulwigan"),
    ),
    E(
        "Please reply in Welsh. Diolch. Fy rhif ffôn yw 029 2018 0123.",
        ("phone", "029 2018 0123"),
    ),
    E(
        "This is the third time I've responded. Version 1.2 of the form lost my answer.",
    ),
    E(
        "Fax 020 7946 0999 still listed on your site – who uses fax in 2025?",
        ("phone", "020 7946 0999"),
    ),
    E(
        "Grid reference SU 123 456 is the site of the proposed incinerator.",
    ),
    E(
        "The bus stop code 4500 1234 is wrong on the timetable.",
    ),
    E(
        "Our 'urgent' repair job number 10293847 has been open since June.",
    ),
    E(
        "The gas bill went from £85 to £210 a month, a 147% rise.",
    ),
    E(
        "My wife's NI number is HE 45 67 89 C and mine is HE456790D, both wrong on the letter.",
        ("ni_number", "HE 45 67 89 C"),
        ("ni_number", "HE456790D"),
    ),
    E(
        "Card number 5105 1051 0510 5100 exp 04/27 — I'm told not to share the CVV.",
        ("card", "5105 1051 0510 5100"),
    ),
    E(
        "Reply-to: consultation.responses@department.example.gov.uk was bouncing.",
        ("email", "consultation.responses@department.example.gov.uk"),
    ),
    E(
        "If anyone from @educationgovuk reads this, my number is 07700 900212.",
        ("phone", "07700 900212"),
    ),
    E(
        "Posted by @lucy_m on behalf of the parents' group (lucy.m@example.com).",
        ("mention", "@lucy_m"),
        ("email", "lucy.m@example.com"),
    ),
    E(
        "We need 2,000 more homes by 2030, but not on the green belt at Hill Farm.",
    ),
    E(
        "The ratio is 3:1, or 75%, in favour of option A.",
    ),
    E(
        "Page https://www.gov.uk/browse/benefits?page=2 loads slowly on mobile.",
    ),
    E(
        "Train times 06:52, 07:15 and 07:48 are all cut in the new timetable.",
    ),
    E(
        "Add me to the mailing list: ruth_b@example.net, postcode CB2 1TN.",
        ("email", "ruth_b@example.net"),
        ("postcode", "CB2 1TN"),
    ),
    E(
        "My address is 4 Elm Close, Norwich NR1 3JU. The bin lorry misses us weekly.",
        ("address", "4 Elm Close"),
        ("postcode", "NR1 3JU"),
    ),
    E(
        "Our road (postcode withheld) has had 3 burglaries since 2023.",
    ),
    E(
        "Tel: +44 113 496 0654 (office hours).",
        ("phone", "+44 113 496 0654"),
    ),
    E(
        "Call my husband on 07700 900 900 or me on 07700 900 901.",
        ("phone", "07700 900 900"),
        ("phone", "07700 900 901"),
    ),
    E(
        "The new timetable starts 2025-06-01 and ends 2026-05-31.",
    ),
    E(
        "Southampton SO14 7DW – port traffic is the real issue.",
        ("postcode", "SO14 7DW"),
    ),
    E(
        "Inverness IV2 3AA here: no NHS dentist within 50 miles.",
        ("postcode", "IV2 3AA"),
    ),
    E(
        "@transportgovuk the 7.15 from Exeter was cancelled; @ExeterCommuter123 has photos.",
        ("mention", "@ExeterCommuter123"),
    ),
    E(
        "Please contact my MP @AliceMPforTown, not me.",
    ),
    E(
        "Register at https://example.com/register?invite=Q9X2K7 so your voice counts.",
        ("link", "https://example.com/register?invite=Q9X2K7"),
    ),
    E(
        "Link https://example.com/p?api_key=sk_live_abc123 was in the council's email.",
        ("link", "https://example.com/p?api_key=sk_live_abc123"),
    ),
    E(
        "Here's the agenda https://www.example.gov.uk/meetings/2024/03/12/agenda.",
    ),
    E(
        "My broadband is 36Mbps on a good day, 2Mbps at night.",
    ),
    E(
        "Hello, my name is Amir. 07700 900345. I work nights so text please.",
        ("name", "Amir"),
        ("phone", "07700 900345"),
    ),
    E(
        "The 11+ exam should be scrapped; 1 in 4 children pass.",
    ),
    E(
        "Our councillor's email cllr.jones@example.gov.uk is on the website anyway.",
        ("email", "cllr.jones@example.gov.uk"),
    ),
    E(
        "Scores of 5/10 and 7/10 for the two options.",
    ),
    E(
        "Case 2024/00123, letter dated 14 Feb 2024, reply still awaited.",
    ),
    E(
        "Re: your letter ref AB/123/456 – I disagree with the proposal.",
    ),
    E(
        "Boiler grant: I applied with my NI number SK 11 22 33 A and heard nothing.",
        ("ni_number", "SK 11 22 33 A"),
    ),
    E(
        "The A1(M) J9 to J10 section needs smart motorway safety upgrades.",
    ),
    E(
        "Doctors in E1 and E2 are fully booked. I'm at e1 6an myself.",
        ("postcode", "e1 6an"),
    ),
    E(
        "Waiting list position 1,234 of 5,678 — shocking.",
    ),
    E(
        "Both ideas are good: 1) more buses 2) cheaper fares 3) later services.",
    ),
    E(
        "https://www.gov.uk/government/publications/road-investment-strategy-2-ris2-2020-"
        "to-2025 is the document you should re-read.",
    ),
    E(
        "I've attached nothing – your portal (https://upload.example.com/?sid=77af2c) "
        "rejected the file.",
        ("link", "https://upload.example.com/?sid=77af2c"),
    ),
    E(
        "We emailed 12 of our 15 members (80%) and got 9 replies.",
    ),
    E(
        "Ask at reception for @ the forms, or email reception@example.org.",
        ("email", "reception@example.org"),
    ),
    E(
        "Phones: 0161 496 0000 (day), 0161-496-0001 (eve).",
        ("phone", "0161 496 0000"),
        ("phone", "0161-496-0001"),
    ),
    E(
        "The C2C line and the A13 both run past the site.",
    ),
    E(
        "I drive an EV and charging costs 79p/kWh at the services on the M1.",
    ),
    E(
        "My flat is in a block built in 1965 – 48 flats, 1 lift.",
    ),
    E(
        "Private message me if you want: @kim@fosstodon.example",
        ("mention", "@kim@fosstodon.example"),
    ),
    E(
        "Email is better than @ing me: kim.lee@example.com",
        ("email", "kim.lee@example.com"),
    ),
    E(
        "My daughter (07700 900541) is the one who filled the form in for me.",
        ("phone", "07700 900541"),
    ),
    E(
        "Data from 2015-2024 shows a 12.5% fall in bus use.",
    ),
    E(
        "Zone 1-2 travelcard costs £8.50 a day.",
    ),
    E(
        "Our local plan covers 2020–2040 and allocates 4,500 homes.",
    ),
    E(
        "CT1 2EH – Canterbury: cathedral visitors clog the ring road.",
        ("postcode", "CT1 2EH"),
    ),
    E(
        "Postcode: yo1 7hh.",
        ("postcode", "yo1 7hh"),
    ),
    E(
        "Gift aid declared – supporter number 004512873.",
    ),
    E(
        "Patient, aged 82, NHS number 943 476 5919, waited 14 hours.",
        ("nhs_number", "943 476 5919"),
    ),
    E(
        "The council's fraud line is 0300 123 4567 according to the leaflet.",
    ),
    E(
        "Thanks for the event. Everyone can find me at @neighbour_nick on X or "
        "@nick@mastodon.example.",
        ("mention", "@neighbour_nick"),
        ("mention", "@nick@mastodon.example"),
    ),
    E(
        "Jo – 07700 900 117 – lives above the chip shop; her view is the same as mine.",
        ("phone", "07700 900 117"),
    ),
    E(
        "The planning application 24/01234/FUL should be refused.",
    ),
    E(
        "I'm in band D and council tax is £2,171.35 this year.",
    ),
    E(
        "My EU number is +32 470 12 34 56 (Belgium) but I vote here.",
        ("phone", "+32 470 12 34 56"),
    ),
    E(
        "Please note: the link you sent (https://hub.example.com/r/"
        "e7Gk2Pq9Zx4Lm8Rt5Vw1Yb3N) only works once.",
        ("link", "https://hub.example.com/r/e7Gk2Pq9Zx4Lm8Rt5Vw1Yb3N"),
    ),
    E(
        "We had 3 meetings (Jan, Mar, May) and 120 people came in total.",
    ),
    E(
        "Cost per head: £1,250 per pupil, vs £1,180 nationally.",
    ),
    E(
        "Turn off at J4, follow the A3 for 2 miles, then the B2070.",
    ),
    E(
        "Swindon SN1 1AA has lost its only walk-in centre.",
        ("postcode", "SN1 1AA"),
    ),
    E(
        "The hashtag #M25 is trending because of the closure.",
    ),
    E(
        "Please stop texting 07700900222, it's not my number any more.",
        ("phone", "07700900222"),
    ),
    E(
        "I'm a teacher at a school in N1. Our pupils need free meals.",
    ),
    E(
        "Is the A1 1st or 2nd in the list of roads to be upgraded?",
    ),
    E(
        "Our branch (sort code 20-00-00) closed last year and the nearest is 15 miles away.",
    ),
    E(
        "Typical bill: 3,456 kWh a year, roughly £1,036.",
    ),
    E(
        "Paid £45 by card 5454 5454 5454 5454 on 3 March and the permit never came.",
        ("card", "5454 5454 5454 5454"),
    ),
    E(
        "My Mastercard 2222 4000 1000 0008 was charged for a permit I cancelled.",
        ("card", "2222 4000 1000 0008"),
    ),
    E(
        "Amex 371449635398431 – refund please, it was a duplicate payment.",
        ("card", "371449635398431"),
    ),
    E(
        "The card number on the receipt, 4462-0300-0000-0000, is my wife's.",
        ("card", "4462-0300-0000-0000"),
    ),
    E(
        "Tracking number 9400 1000 0000 0000 0000 00 shows the form was delivered.",
    ),
    E(
        "Meter serial 1234-5678-9012-3456 is on the smart meter letter.",
    ),
    E(
        "NINO: jk 12 34 56 b. I'm on Universal Credit and the deductions are wrong.",
        ("ni_number", "jk 12 34 56 b"),
    ),
    E(
        "My NI is KA987654A (please don't publish it).",
        ("ni_number", "KA987654A"),
    ),
    E(
        "Partner's NI number wp 11 22 33 c, mine is on the earlier form.",
        ("ni_number", "wp 11 22 33 c"),
    ),
    E(
        "Forms NI38 and CA5403 are impossible to find on the website.",
    ),
    E(
        "My tax code is 1257L and my payroll number is 00123456.",
    ),
    # --- Written the way people write, not the way forms want ------------------------
    E(
        "i live in b33 8th and the estate needs a bus at night",
        ("postcode", "b33 8th"),
    ),
    E(
        "Call 07700.900.765 any time before 9.",
        ("phone", "07700.900.765"),
    ),
    E(
        "NI number AB 12 34 56 (I can't find the last letter on my payslip).",
        ("ni_number", "AB 12 34 56"),
    ),
    E(
        "Write to me: fiona at example.com – I don't do Facebook.",
        ("email", "fiona at example.com"),
    ),
)
