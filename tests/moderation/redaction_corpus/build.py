"""Build the redaction corpus's JSON Lines files.

    .venv/bin/python tests/moderation/redaction_corpus/build.py

- `handwritten.jsonl` from `handwritten.txt`: replies written by hand, personal data
  marked inline as [[code|text]]; `handwritten_unseen.jsonl` likewise, from replies
  written after the engine was tuned and scored before any change to it.
- `composed.jsonl`: replies put together from hand-written fragments (opinions,
  lead-ins, numbers that must stay) around personal data that comes from sources
  other than the redaction engine: `phonenumbers`' example numbers for every
  region, IBANs and NHS numbers made valid by `python-stdnum`'s check-digit code,
  registrations in the DVLA's formats, postcodes on real outward codes. A fixed
  seed makes the file the same on every run with the same library versions.

Each line: {"id", "channel", "text", "spans": [{"start", "end", "category"}]}.
"""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from stdnum import iban as stdnum_iban

HERE = Path(__file__).resolve().parent
SEED = 20240612
COMPOSED_COUNT = 900

CODES = {
    "e": "email",
    "p": "phone",
    "pc": "postcode",
    "ni": "ni_number",
    "nhs": "nhs_number",
    "v": "vehicle_registration",
    "b": "bank_details",
    "dob": "date_of_birth",
    "a": "address",
    "c": "card",
    "l": "link",
    "m": "mention",
    "n": "name",
}
MARK = re.compile(r"\[\[(?P<code>[a-z]+)\|(?P<text>.+?)\]\]")


# --- Hand-written replies ---------------------------------------------------------------


def handwritten(path: Path, *, prefix: str) -> list[dict]:
    records = []
    channel = "web"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@channel:"):
            channel = line.split(":", 1)[1].strip()
            continue
        line = line.replace("\\n", "\n")
        text, spans, position = [], [], 0
        length = 0
        for match in MARK.finditer(line):
            before = line[position : match.start()]
            text.append(before)
            length += len(before)
            value = match.group("text")
            spans.append(
                {"start": length, "end": length + len(value), "category": CODES[match["code"]]}
            )
            text.append(value)
            length += len(value)
            position = match.end()
        text.append(line[position:])
        records.append(
            {
                "id": f"{prefix}-{len(records) + 1:04d}",
                "channel": channel,
                "text": "".join(text),
                "spans": spans,
            }
        )
    return records


# --- Personal data from sources we did not write ---------------------------------------

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def phone(chooser: random.Random) -> str:
    kind = chooser.random()
    if kind < 0.35:
        # A UK number, from the metadata's examples or Ofcom's drama ranges.
        number = chooser.choice(
            [
                phonenumbers.example_number_for_type("GB", PhoneNumberType.MOBILE),
                phonenumbers.example_number_for_type("GB", PhoneNumberType.FIXED_LINE),
                phonenumbers.parse(f"07700 900{chooser.randint(0, 999):03d}", "GB"),
                phonenumbers.parse(f"0161 496 0{chooser.randint(0, 999):03d}", "GB"),
                phonenumbers.parse(f"020 7946 0{chooser.randint(0, 999):03d}", "GB"),
                phonenumbers.parse(f"029 2018 0{chooser.randint(0, 999):03d}", "GB"),
                phonenumbers.parse(f"0113 496 0{chooser.randint(0, 999):03d}", "GB"),
                phonenumbers.parse(f"01632 960{chooser.randint(0, 999):03d}", "GB"),
            ]
        )
        region = "GB"
    elif kind < 0.5:
        region = "IE"
        number = phonenumbers.example_number_for_type(
            "IE", chooser.choice([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE])
        )
    else:
        region = chooser.choice(REGIONS)
        number = None
        while number is None:
            number = phonenumbers.example_number_for_type(
                region, chooser.choice([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE])
            )
            if number is None:
                region = chooser.choice(REGIONS)
    style = chooser.random()
    if region in ("GB", "IE") and style < 0.45:
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    elif style < 0.7:
        text = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    elif style < 0.85:
        text = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    else:
        text = "00" + phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    variant = chooser.random()
    if variant < 0.15:
        text = text.replace(" ", "-")
    elif variant < 0.22:
        text = text.replace(" ", ".")
    elif variant < 0.32:
        text = text.replace(" ", "")
    elif variant < 0.38 and text.startswith("+44 "):
        text = "+44 (0)" + text[4:]
    return text


GIVEN_NAMES = (
    "sian gareth rhys ffion owain cerys dafydd bethan aled nia siobhan ciaran aoife padraig "
    "priya sanjay amir fatima yusuf aisha kasia tomasz marek olu chidi ngozi wei mei "
    "jack emily harry olivia grace noah tom sue karen dave"
).split()
FAMILY_NAMES = (
    "jones williams davies evans thomas roberts hughes lewis morgan griffiths price "
    "obrien murphy kelly patel khan begum ahmed kowalski nowak okafor chen wong smith "
    "brown taylor wilson walker"
).split()
DOMAINS = (
    "gmail.com hotmail.co.uk outlook.com yahoo.co.uk btinternet.com icloud.com "
    "example.com example.org example.co.uk protonmail.com sky.com live.co.uk "
    "eircom.net example.cymru talktalk.net aol.com"
).split()


def email(chooser: random.Random) -> str:
    first, last = chooser.choice(GIVEN_NAMES), chooser.choice(FAMILY_NAMES)
    local = chooser.choice(
        [
            f"{first}.{last}",
            f"{first}{last}{chooser.randint(1, 99)}",
            f"{first[0]}.{last}",
            f"{first}_{last}",
            f"{last}{first[0]}",
            f"{first}.{last}+consult",
        ]
    )
    domain = chooser.choice(DOMAINS)
    style = chooser.random()
    if style < 0.12:
        return f"{local} at {domain.replace('.', ' dot ')}"
    if style < 0.22:
        return f"{local} [at] {domain.replace('.', ' [dot] ')}"
    if style < 0.27:
        return f"{local}(at){domain}"
    if style < 0.35:
        return f"{local}@{domain}".upper()
    return f"{local}@{domain}"


# Real outward codes across the UK (Royal Mail's districts), many in Wales.
OUTWARD_CODES = (
    "CF10 CF11 CF14 CF24 CF31 CF36 CF44 CF47 CF83 SA1 SA2 SA15 SA18 SA31 SA43 SA61 SY20 "
    "SY23 SY16 LL11 LL23 LL28 LL55 LL57 LL65 NP4 NP8 NP10 NP20 LD1 LD3 SW1A SE15 NW10 "
    "E1W W1D EC1A M1 M14 B33 B1 LS1 LS6 BS1 BS8 EH1 EH12 G2 G42 AB10 IV2 BT1 BT9 BT48 "
    "PL1 TR1 EX4 OX1 CB2 NE1 DH1 YO1 HU3 L8 CH5 SY1 HR1 GL1 GU1 TN1 CT1 N1 DN1"
).split()
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def postcode(chooser: random.Random) -> str:
    outward = chooser.choice(OUTWARD_CODES)
    inward = (
        f"{chooser.randint(0, 9)}{chooser.choice(INWARD_LETTERS)}{chooser.choice(INWARD_LETTERS)}"
    )
    text = f"{outward}{chooser.choice([' ', ' ', ' ', ''])}{inward}"
    return chooser.choice([text, text, text.lower(), text.title()])


NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def ni_number(chooser: random.Random, *, with_suffix: bool = True) -> str:
    prefix = ""
    while not prefix or prefix in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
        prefix = chooser.choice(NI_FIRST) + chooser.choice(NI_SECOND)
    if chooser.random() < 0.08:
        prefix = "QQ"
    digits = "".join(chooser.choice(string.digits) for _ in range(6))
    suffix = chooser.choice("ABCD") if with_suffix else ""
    style = chooser.random()
    if style < 0.4:
        text = f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}".strip()
    elif style < 0.7:
        text = f"{prefix}{digits}{suffix}"
    elif style < 0.8:
        text = f"{prefix}-{digits[:2]}-{digits[2:4]}-{digits[4:]}-{suffix}".strip("-")
    else:
        text = f"{prefix} {digits} {suffix}".strip()
    return text.lower() if chooser.random() < 0.3 else text


def nhs_number(chooser: random.Random) -> str:
    while True:
        digits = str(chooser.randint(100_000_000, 999_999_999))
        # NHS Digital's modulus 11: weights 10..2, check digit 11 - remainder (11 -> 0).
        check = 11 - sum((10 - index) * int(digit) for index, digit in enumerate(digits)) % 11
        if check == 10:
            continue
        number = digits + str(0 if check == 11 else check)
        break
    return chooser.choice(
        [
            f"{number[:3]} {number[3:6]} {number[6:]}",
            f"{number[:3]} {number[3:6]} {number[6:]}",
            number,
            f"{number[:3]}-{number[3:6]}-{number[6:]}",
            f"{number[:4]} {number[4:7]} {number[7:]}",
        ]
    )


# The DVLA's formats: area letters (no I, J, Q, T, U, X, Z first), age identifier
# (March: the year's last two digits; September: plus 50), three random letters (no I, Q).
AREA_FIRST = "ABCDEFGHKLMNOPRSVWY"
LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"


def vehicle(chooser: random.Random) -> tuple[str, bool]:
    """A registration and whether it is in an older format (which needs context)."""
    style = chooser.random()
    random_letters = "".join(chooser.choice(LETTERS) for _ in range(3))
    while random_letters.lower() in {
        "the",
        "and",
        "for",
        "are",
        "bus",
        "car",
        "van",
        "way",
        "new",
        "mph",
        "one",
        "two",
    }:
        random_letters = "".join(chooser.choice(LETTERS) for _ in range(3))
    if style < 0.75:
        year = chooser.randint(1, 25)
        age = chooser.choice([year + 1, year + 50]) if year else 51
        plate = f"{chooser.choice(AREA_FIRST)}{chooser.choice(LETTERS)}{age:02d}{chooser.choice([' ', ' ', ''])}{random_letters}"
        older = False
    elif style < 0.88:
        plate = (
            f"{chooser.choice('ABCDEFGHJKLMNPRSTVWXY')}{chooser.randint(1, 999)} {random_letters}"
        )
        older = True
    else:
        plate = (
            f"{random_letters} {chooser.randint(1, 999)}{chooser.choice('ABCDEFGHJKLMNPRSTVWXY')}"
        )
        older = True
    if not older and chooser.random() < 0.3:
        plate = plate.lower()
    return plate, older


IBAN_SHAPES = {
    # country: (bank code alphabet, length), (account digits)
    "GB": ("LETTERS4", 14),
    "IE": ("LETTERS4", 14),
    "NL": ("LETTERS4", 10),
    "DE": ("", 18),
    "ES": ("", 20),
    "FR": ("", 23),
    "BE": ("", 12),
    "PL": ("", 24),
}


def iban(chooser: random.Random) -> str:
    country = chooser.choice(list(IBAN_SHAPES))
    letters, digits = IBAN_SHAPES[country]
    while True:
        bban = ""
        if letters:
            bban = "".join(chooser.choice(string.ascii_uppercase) for _ in range(4))
        bban += "".join(chooser.choice(string.digits) for _ in range(digits))
        number = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
        if stdnum_iban.is_valid(number):
            break
    style = chooser.random()
    if style < 0.5:
        return " ".join(number[index : index + 4] for index in range(0, len(number), 4))
    if style < 0.6:
        return number.lower()
    return number


def sort_code_and_account(chooser: random.Random) -> tuple[str, str]:
    sort_code = [f"{chooser.randint(0, 99):02d}" for _ in range(3)]
    separator = chooser.choice(["-", "-", " ", ""])
    account = f"{chooser.randint(10_000_000, 99_999_999)}"
    return separator.join(sort_code), account


MONTHS = (
    "January February March April May June July August September October November December"
).split()


def date_of_birth(chooser: random.Random) -> str:
    year = chooser.randint(1925, 2008)
    month = chooser.randint(1, 12)
    day = chooser.randint(1, 28)
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
    name = MONTHS[month - 1]
    return chooser.choice(
        [
            f"{day:02d}/{month:02d}/{year}",
            f"{day}/{month}/{year}",
            f"{day}.{month}.{str(year)[2:]}",
            f"{day:02d}-{month:02d}-{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{day} {name} {year}",
            f"{day}{suffix} {name} {year}",
            f"{day}{suffix} of {name} {year}",
            f"{name} {day}{suffix}, {year}",
            f"{day} {name[:3]} {year}",
            f"{day} {name.lower()} {str(year)[2:]}",
            f"{name} {year}",
        ]
    )


STREET_NAMES = (
    "Acacia|Station|Church|Mill|High|Victoria|Park|Oak|Ash|Elm|Willow|Chapel|School|Bridge|"
    "Castle|King's|Queen's|Windsor|Albert|Cathedral|Clive|Richmond|Llandaff|Newport|Cowbridge|"
    "Penylan|Pen-y-Lan|Tudor|Beechwood|Orchard|Meadow|Hawthorn|Glan-yr-Afon|Maes-y-Coed|"
    "Bryn Glas|Ty Gwyn|Coed Glas|St Mary's|St David's|Heathfield|Springfield|Brookside|"
    "Riverside|Sandy|Market|Alexandra|Marine|Harbour|Fairwater|Grangetown|Canal|Forest|"
    "Heol Fach|Cherry Tree|Oakfield|Greenway|Railway|Hill View|Manor|Priory"
).split("|")
STREET_TYPES = (
    "Road Road Road Street Street Avenue Lane Close Drive Way Crescent Place Court Gardens "
    "Grove Terrace Rd Rd St Ave Cl Dr Cres Gdns Terr Mews Rise View Walk Hill Green"
).split()
WELSH_STREETS = (
    "Heol y Coed|Heol Llanishen Fach|Stryd Fawr|Stryd y Bont|Ffordd Pentre|Ffordd Garnedd|"
    "Lôn Las|Lon Cae Llwyd|Rhodfa'r Môr|Cilgant y Lli|Clos yr Hafod|Heol Isaf|Heol Hir|"
    "Ffordd yr Orsaf|Maes y Gerddi|Stryd Newydd"
).split("|")


def address(chooser: random.Random) -> str:
    number = f"{chooser.randint(1, 240)}{chooser.choice(['', '', '', '', 'a', 'b', 'A'])}"
    if chooser.random() < 0.25:
        street = chooser.choice(WELSH_STREETS)
    else:
        street = f"{chooser.choice(STREET_NAMES)} {chooser.choice(STREET_TYPES)}"
    text = f"{number} {street}"
    style = chooser.random()
    if style < 0.15:
        text = f"Flat {chooser.randint(1, 30)}, {text}"
    elif style < 0.22:
        text = f"flat {chooser.randint(1, 12)} {text}"
    if chooser.random() < 0.25:
        text = text.lower()
    return text


def card(chooser: random.Random) -> str:
    prefix, length, grouping = chooser.choice(
        [
            ("4", 16, (4, 4, 4, 4)),
            ("51", 16, (4, 4, 4, 4)),
            ("55", 16, (4, 4, 4, 4)),
            ("2221", 16, (4, 4, 4, 4)),
            ("37", 15, (4, 6, 5)),
            ("34", 15, (4, 6, 5)),
            ("6011", 16, (4, 4, 4, 4)),
        ]
    )
    payload = prefix + "".join(
        chooser.choice(string.digits) for _ in range(length - len(prefix) - 1)
    )
    total = 0
    for position, character in enumerate(reversed(payload)):
        value = int(character)
        if position % 2 == 0:
            value = value * 2 - 9 if value * 2 > 9 else value * 2
        total += value
    number = payload + str((10 - total % 10) % 10)
    separator = chooser.choice([" ", " ", "-", ""])
    pieces, position = [], 0
    for size in grouping:
        pieces.append(number[position : position + size])
        position += size
    return separator.join(pieces)


def link(chooser: random.Random) -> str:
    token = "".join(
        chooser.choice(string.ascii_letters + string.digits) for _ in range(chooser.randint(12, 32))
    )
    host = chooser.choice(
        [
            "myaccount.example-council.gov.uk",
            "portal.example.com",
            "app.example.org",
            "consult.example.co.uk",
            "mail.example.com",
            "forms.example.net",
        ]
    )
    return chooser.choice(
        [
            f"https://{host}/reset?token={token}",
            f"https://{host}/account/verify?code={token}&email=yes",
            f"https://{host}/invite/{token}",
            f"https://{host}/s/{token}",
            f"https://{host}/unsubscribe?uid={token}",
            f"https://{host}/view?session_id={token}",
            f"{host}/login?auth={token}",
        ]
    )


def mention(chooser: random.Random) -> str:
    first, last = chooser.choice(GIVEN_NAMES), chooser.choice(FAMILY_NAMES)
    return chooser.choice(
        [
            f"@{first}_{last}",
            f"@{first}{last}{chooser.randint(1, 99)}",
            f"@{first}.{last}.bsky.social",
            f"@{first}@mastodon.cymru",
            f"@{first}{last[0]}@toot.wales",
            f"@{last}{first[0]}",
        ]
    )


# --- Hand-written fragments ---------------------------------------------------------------

# Lead-ins for each kind of personal data: "{}" is where the item goes.
LEADS = {
    "phone": [
        "ring me on {}",
        "my mob is {}",
        "call {} after 6",
        "tel: {}",
        "phone me {}",
        "my number's {} if you need it",
        "whatsapp {}",
        "text {} pls",
        "Contact number: {}",
        "landline {}",
        "you can reach me on {} most days",
        "my husband's phone is {}",
        "Rhif ffôn: {}",
        "(my number {})",
        "{} is my mobile",
    ],
    "email": [
        "email me at {}",
        "my email is {}",
        "contact {}",
        "reply to {} please",
        "{} is the best way to reach me",
        "Email: {}",
        "drop me a line {}",
        "you've got my address already ({})",
        "write to {}",
        "e-bost: {}",
    ],
    "postcode": [
        "I live in {}",
        "postcode {}",
        "we're at {}",
        "my postcode is {} if it helps",
        "({})",
        "near me in {}",
        "Cod post: {}",
        "home postcode {} for your survey",
    ],
    "ni_number": [
        "my NI number is {}",
        "NI no. {}",
        "National Insurance: {}",
        "NINO {}",
        "my national insurance number {}",
        "here's my NI {} for the form",
        "(NI {})",
        "Rhif Yswiriant Gwladol: {}",
    ],
    "nhs_number": [
        "my NHS number is {}",
        "NHS no {}",
        "NHS number: {}",
        "my son's nhs number {}",
        "Mum's NHS No. {}",
        "patient number {} (NHS)",
        "rhif GIG: {}",
    ],
    "vehicle": [
        "my car {}",
        "reg {}",
        "registration {}",
        "the van ({})",
        "my reg is {}",
        "number plate {}",
        "vehicle reg {} was ticketed",
        "parked my car {} outside",
    ],
    "vehicle_current": [
        "{} got a fine",
        "spotted {} speeding again",
        "{} is parked on the pavement every day",
        "the one that hit me was {}",
        "{} blocks our drive",
    ],
    "bank": [
        "sort code {} account {}",
        "s/c {} acc {}",
        "bank details: {} / {}",
        "sort code {}, account number {}",
        "pay into {} {}",
        "acc {} sort {}",
    ],
    "iban": [
        "IBAN {}",
        "my IBAN is {}",
        "bank account (IBAN) {}",
        "transfer to {}",
        "{} is my account",
    ],
    "dob": [
        "DOB {}",
        "born {}",
        "I was born on {}",
        "date of birth: {}",
        "d.o.b. {}",
        "my date of birth is {}",
        "born on the {}",
        "D.O.B: {}",
        "DoB {}",
        "ganwyd {}",
        "my mum (born {})",
        "birthday {}",
    ],
    "address": [
        "I live at {}",
        "our house is {}",
        "address: {}",
        "we're at {}",
        "{}",
        "my flat ({})",
        "send it to {}",
        "I own {}",
        "Cyfeiriad: {}",
        "outside {}",
    ],
    "card": [
        "card {}",
        "my card {} was charged twice",
        "paid with {}",
        "card number {}",
        "the debit card ending... actually the whole number is {}",
    ],
    "link": [
        "my link {} doesn't work",
        "tried {} no luck",
        "here's the link they sent me {}",
        "{} expired",
        "clicked {} and got an error",
    ],
    "mention": [
        "{} said the same",
        "agree with {}",
        "{} you should see this",
        "thanks {}",
        "cc {}",
        "as {} pointed out",
    ],
}

OPINIONS = [
    "I support the proposal but the funding isn't enough.",
    "Strongly disagree with closing the library on Saturdays.",
    "the bus from the village stopped running in 2023",
    "Please keep the 20mph limit near the school.",
    "Fares have gone up 12% and the buses are less reliable.",
    "the A470 at Storey Arms needs gritting earlier",
    "We waited 9 hours in A&E last Saturday.",
    "Option 3 is the only one that makes sense.",
    "This consultation is a tick box exercise tbh",
    "the consultation doc (para 4.2) contradicts the summary",
    "Our town has lost its bank, its post office and now its bus.",
    "Not everyone has a smartphone, please keep paper tickets.",
    "Flooding on the B4558 has got worse every winter since 2020.",
    "The park and ride at Leckwith is half empty.",
    "Why is there no step-free access at Pontypridd station?",
    "The 38 bus is always late and often full.",
    "Route X5 serves three schools and the college.",
    "Council tax up 9.5%, services down. Explain that.",
    "Dw i'n cytuno â'r cynnig.",
    "Dim diolch, mae'r cynllun yn wael.",
    "Llanfairpwllgwyngyll has been forgotten again.",
    "Aberystwyth needs a proper bus station.",
    "Blaenau Ffestiniog deserves better than this.",
    "My kids walk to school along the A4119 with no pavement.",
    "The M4 relief road money should go to buses.",
    "I have lived here for 31 years.",
    "Parking is £2.20 an hour now, who can afford that?",
    "Section 12 of the plan doesn't mention disabled access at all.",
    "We need more GPs before we need more houses.",
    "Thanks for asking but nobody will read this.",
    "The cycle lane is great, keep it.",
    "The cycle lane is dangerous, remove it.",
    "I run a small shop and footfall is down 30%.",
    "The survey took me 25 minutes and crashed twice.",
    "ward 9 has 4,000 residents and one bin collection a fortnight",
    "Betws-y-Coed gets 1m visitors a year and no toilets.",
    "keep the Sunday service on the 4 and the 4A",
    "Caerdydd needs a tram, not more consultations.",
    "Abertawe's bus station is a disgrace at night.",
    "A 2019 study said the same thing and nothing happened.",
    "The new timetable starts on 2 September apparently.",
    "I can't get a dentist within 40 miles.",
    "Merthyr Tudful to Cardiff takes 1 hr 10 by train now.",
    "There were 600 people at the meeting in Machynlleth.",
    "Please publish the responses in Welsh as well.",
    "1 bus an hour is not a service",
    "Paragraph 7.3 says the cost is £18m, page 40 says £24m.",
    "My mother is 87 and can't walk to the new stop.",
    "The 0800 number on the leaflet never answers.",
    "I agree with the plan in principle.",
    "No.",
    "yes yes yes do it",
    "This will cost jobs in Ystradgynlais.",
    "The harbour wall at Aberaeron needs fixing first.",
    "The school run traffic on Newport Road is chaos from 8:15 to 9.",
    "60% of the respondents last time said the same.",
    "Why is the Llandudno Junction bridge still closed?",
    "The 20 mph signs on the A487 are hidden by hedges.",
    "Bring back the 1:30 bus from Tregaron.",
    "Our ward councillor hasn't replied since March.",
]
OPINIONS_NEGATIVE_TEMPLATES = [
    "the {n} bus hasn't come for {m} days",
    "route X{n} is being cut to every {m} minutes",
    "tickets went from £{p} to £{q}",
    "a {pct}% rise in {year}",
    "see paragraph {n}.{m} of the draft",
    "section {n}({letter}) is unclear",
    "{count} people signed the petition",
    "call the free helpline on {freephone}",
    "the freephone number {freephone} is on the back of the leaflet",
    "ward {n} and ward {m} should merge",
    "read https://www.gov.uk/government/consultations/bus-services-{year}",
    "full report at https://www.llyw.cymru/transport-strategy-{year} (page {n})",
    "the meeting on {day} {month} {year} was cancelled",
    "closed from {day}/{month_number}/{year} to {day2}/{month_number}/{year}",
    "the A{road} and the M{motorway} are both gridlocked",
    "junction {n} of the M4 at {hour}:{minute}",
    "planning ref {year2}/{ref}/FUL",
    "my reference is CAS-{ref}-{letter}{n}",
    "the B{road4} floods every winter",
    "{count} new homes with {m} parking spaces",
    "£{big}m over {n} years",
    "the {hour}:{minute} train to Cardiff",
    "between {year} and {year3} fares rose {pct}%",
    "{n} out of {m} buses were late",
    "Samaritans free on 116 123",
    "dial 111 or 999",
    "the branch sort code {sort} is on their website",
    "ISBN 978-0-{isbn}",
    "temperature was {n}°C at {hour}am",
    "it's {m} miles down the road",
    "{n} lanes each way on the A{road}",
    "amazon order {order}",
    "order number {order_short}",
]
EMOJI = ["😡", "👍", "🙄", "🚌", "😂", "💔", "🙏", "🤔", "‼️", "🏴󠁧󠁢󠁷󠁬󠁳󠁿", "😭", "✅"]
HASHTAGS = ["#SaveOurBuses", "#20mph", "#Cymru", "#NHS", "#potholes", "#consultation", "#A470"]
SIGN_OFFS = [
    "\nThanks",
    "\nRegards,\nSam",
    "\nDiolch",
    "\nYours faithfully,\nMrs E. Hughes",
    "\nCheers",
    "",
]
KEPT_MENTIONS = [
    "@transportgovuk",
    "@DHSCgovuk",
    "@WelshGovernment",
    "@LlywodraethCymru",
    "@cardiffcouncil",
]


def negative_fragment(chooser: random.Random) -> str:
    template = chooser.choice(OPINIONS_NEGATIVE_TEMPLATES)
    freephone = chooser.choice(
        [
            phonenumbers.format_number(
                phonenumbers.example_number_for_type("GB", PhoneNumberType.TOLL_FREE),
                PhoneNumberFormat.NATIONAL,
            ),
            f"0800 {chooser.randint(100, 999)} {chooser.randint(1000, 9999)}",
            f"0808 {chooser.randint(100, 999)} {chooser.randint(1000, 9999)}",
            f"0300 {chooser.randint(100, 999)} {chooser.randint(1000, 9999)}",
            "1800 123 456",
        ]
    )
    year = chooser.randint(1990, 2026)
    return template.format(
        n=chooser.randint(1, 99),
        m=chooser.randint(2, 60),
        p=f"{chooser.randint(1, 9)}.{chooser.randint(0, 99):02d}",
        q=f"{chooser.randint(10, 30)}.{chooser.randint(0, 99):02d}",
        pct=chooser.choice([3, 5, 7.5, 12, 15, 22, 40, 60]),
        year=year,
        year2=str(year)[2:],
        year3=year + chooser.randint(1, 5),
        letter=chooser.choice("abcd"),
        count=f"{chooser.randint(1, 40)},{chooser.randint(0, 999):03d}",
        freephone=freephone,
        day=chooser.randint(1, 28),
        day2=chooser.randint(1, 28),
        month=chooser.choice(MONTHS),
        month_number=chooser.randint(1, 12),
        road=chooser.choice([40, 470, 483, 55, 48, 4119, 465, 487, 5]),
        motorway=chooser.choice([4, 25, 5, 6, 48, 1]),
        hour=chooser.randint(6, 11),
        minute=chooser.choice(["00", "15", "30", "45"]),
        ref=f"{chooser.randint(1000, 99999)}",
        road4=chooser.randint(4000, 4599),
        big=chooser.randint(2, 90),
        sort=f"{chooser.randint(10, 99)}-{chooser.randint(10, 99)}-{chooser.randint(10, 99)}",
        isbn=f"{chooser.randint(100, 999)}-{chooser.randint(10000, 99999)}-{chooser.randint(0, 9)}",
        order=f"{chooser.randint(100, 999)}-{chooser.randint(1000000, 9999999)}-{chooser.randint(1000000, 9999999)}",
        order_short=f"{chooser.randint(100, 999)}-{chooser.randint(1000000, 9999999)}",
    )


def personal_fragment(chooser: random.Random) -> tuple[str, list[tuple[str, str]]]:
    """A lead-in with one item (two for bank details), and the (category, text) labels."""
    kind = chooser.choice(
        [
            "phone",
            "phone",
            "phone",
            "email",
            "email",
            "postcode",
            "ni_number",
            "nhs_number",
            "vehicle",
            "bank",
            "iban",
            "dob",
            "address",
            "address",
            "card",
            "link",
            "mention",
        ]
    )
    if kind == "phone":
        value = phone(chooser)
        return chooser.choice(LEADS["phone"]).format(value), [("phone", value)]
    if kind == "email":
        value = email(chooser)
        return chooser.choice(LEADS["email"]).format(value), [("email", value)]
    if kind == "postcode":
        value = postcode(chooser)
        return chooser.choice(LEADS["postcode"]).format(value), [("postcode", value)]
    if kind == "ni_number":
        with_suffix = chooser.random() < 0.8
        value = ni_number(chooser, with_suffix=with_suffix)
        return chooser.choice(LEADS["ni_number"]).format(value), [("ni_number", value)]
    if kind == "nhs_number":
        value = nhs_number(chooser)
        return chooser.choice(LEADS["nhs_number"]).format(value), [("nhs_number", value)]
    if kind == "vehicle":
        value, older = vehicle(chooser)
        leads = LEADS["vehicle"] if older or chooser.random() < 0.6 else LEADS["vehicle_current"]
        return chooser.choice(leads).format(value), [("vehicle_registration", value)]
    if kind == "bank":
        sort_code, account = sort_code_and_account(chooser)
        lead = chooser.choice(LEADS["bank"])
        if lead.startswith("acc"):
            return lead.format(account, sort_code), [
                ("bank_details", account),
                ("bank_details", sort_code),
            ]
        return lead.format(sort_code, account), [
            ("bank_details", sort_code),
            ("bank_details", account),
        ]
    if kind == "iban":
        value = iban(chooser)
        return chooser.choice(LEADS["iban"]).format(value), [("bank_details", value)]
    if kind == "dob":
        value = date_of_birth(chooser)
        return chooser.choice(LEADS["dob"]).format(value), [("date_of_birth", value)]
    if kind == "address":
        value = address(chooser)
        return chooser.choice(LEADS["address"]).format(value), [("address", value)]
    if kind == "card":
        value = card(chooser)
        return chooser.choice(LEADS["card"]).format(value), [("card", value)]
    if kind == "link":
        value = link(chooser)
        return chooser.choice(LEADS["link"]).format(value), [("link", value)]
    value = mention(chooser)
    return chooser.choice(LEADS["mention"]).format(value), [("mention", value)]


def typo(chooser: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [index for index, word in enumerate(words) if word.isalpha() and len(word) > 4]
    if not candidates:
        return text
    index = chooser.choice(candidates)
    word = words[index]
    position = chooser.randint(1, len(word) - 2)
    words[index] = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    return " ".join(words)


def composed(count: int, *, seed: int) -> list[dict]:
    chooser = random.Random(seed)  # noqa: S311 - test data, not security
    records = []
    for number in range(count):
        channel = chooser.choice(["x", "mastodon", "bluesky", "email", "letter", "web"])
        segments: list[tuple[str, str | None]] = []
        pieces = chooser.randint(1, 3)
        has_personal = chooser.random() < 0.72
        personal_count = 0
        if has_personal:
            personal_count = 1 if chooser.random() < 0.7 else chooser.randint(2, 3)
        plan = ["opinion"] * pieces + ["personal"] * personal_count
        if chooser.random() < 0.6:
            plan.append("negative")
        chooser.shuffle(plan)
        if channel in ("x", "bluesky", "mastodon") and chooser.random() < 0.4:
            plan.insert(0, "kept_mention")
        lowercase = chooser.random() < 0.3
        no_punctuation = chooser.random() < 0.25
        for part in plan:
            if part == "opinion":
                text = chooser.choice(OPINIONS)
                if chooser.random() < 0.3:
                    text = typo(chooser, text)
                if no_punctuation:
                    text = text.rstrip(".!?")
                segments.append((text, None))
            elif part == "negative":
                segments.append((negative_fragment(chooser), None))
            elif part == "kept_mention":
                segments.append((chooser.choice(KEPT_MENTIONS), None))
            else:
                lead, labels = personal_fragment(chooser)
                position = 0
                for category, value in labels:
                    index = lead.index(value, position)
                    if index > position:
                        segments.append((lead[position:index], None))
                    segments.append((value, category))
                    position = index + len(value)
                if position < len(lead):
                    segments.append((lead[position:], None))
                if not no_punctuation:
                    segments.append((".", None))
            segments.append((chooser.choice([" ", " ", " ", "\n", "  "]), None))
        if chooser.random() < 0.3:
            segments.append((chooser.choice(EMOJI), None))
        if chooser.random() < 0.15:
            segments.append((" " + chooser.choice(HASHTAGS), None))
        if channel in ("email", "letter"):
            segments.insert(
                0,
                (
                    chooser.choice(
                        [
                            "Dear Sir or Madam,\n",
                            "Hi,\n",
                            "Hello,\n",
                            "To whom it may concern\n",
                            "",
                        ]
                    ),
                    None,
                ),
            )
            segments.append((chooser.choice(SIGN_OFFS), None))
        text, spans, length = [], [], 0
        for piece, category in segments:
            if lowercase and category is None:
                piece = piece.lower()
            if category is not None:
                spans.append({"start": length, "end": length + len(piece), "category": category})
            text.append(piece)
            length += len(piece)
        records.append(
            {
                "id": f"co-{number + 1:04d}",
                "channel": channel,
                "text": "".join(text).strip(" "),
                "spans": spans,
            }
        )
    # Stripping leading spaces moves nothing (the first segment is never a space), but
    # check it all the same.
    for record in records:
        for span in record["spans"]:
            assert span["end"] <= len(record["text"])
    return records


def write(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as output:
        for record in records:
            output.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    write(HERE / "handwritten.jsonl", handwritten(HERE / "handwritten.txt", prefix="hw"))
    write(
        HERE / "handwritten_unseen.jsonl",
        handwritten(HERE / "handwritten_unseen.txt", prefix="hu"),
    )
    write(
        HERE / "handwritten_welsh.jsonl",
        handwritten(HERE / "handwritten_welsh.txt", prefix="hc"),
    )
    write(HERE / "composed.jsonl", composed(COMPOSED_COUNT, seed=SEED))


if __name__ == "__main__":
    main()
