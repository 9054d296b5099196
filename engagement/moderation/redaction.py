"""Remove personal data from a response before any of it is published.

`redact` is pure, deterministic and needs no network or model: every pattern is
compiled once at import. The original text stays with the moderators; the
published text marks each removal with its category, e.g. "[email removed]".

Decisions worth knowing:

- Phone numbers: found by the `phonenumbers` matcher (Google's libphonenumber
  metadata), reading national numbers as UK ones and, failing that, as Irish
  ones. A number the metadata calls valid is removed, whatever its country; so
  is one it calls invalid but that is written like a real line (a trunk 0, "+"
  or "00", and 9 to 15 digits), since an unallocated or fictitious number
  ("07700 900123") is still someone's number in a reader's eyes. Freephone,
  shared-cost and premium-rate numbers (0800, 0808, 084, 087, 09, 1800…) stay:
  no private person has one, and replies quote them as the services they are.
  Neither do 0300 and 0301 numbers, which Ofcom reserves for public bodies and
  charities. Every other kind goes, other 03 numbers included (any business can
  have one, sole traders too).
- Postcodes: only full postcodes ("SW1A 1AA", "sw1a1aa") are removed. An outward
  code alone ("SW1A", "M25", "W1") covers thousands of households, says where a
  road or district is rather than where a person lives, and is common in
  replies about transport and planning, so it stays.
- National Insurance numbers: two letters and six digits, with or without the
  suffix letter, in any case, spaced or hyphenated. The prefix must be one
  HMRC could issue (NIM39110: no D, F, I, Q, U, V; no O second; not BG, GB, KN,
  NK, NT, TN, ZZ) or HMRC's own example prefix QQ ("QQ 12 34 56 A"), which
  people copy when they mean their own. Without the suffix, the number must be
  grouped in pairs ("AB 12 34 56") or follow "NI"/"National Insurance"/"NINO",
  since "CR123456" alone is as likely an order reference.
- NHS numbers: ten digits in any grouping whose modulus-11 check digit is right
  (`stdnum.gb.nhs`). One ten-digit number in eleven passes by chance; at that
  length in a reply it is far more likely an NHS number than anything public.
- Vehicle registrations: the 2001 format ("AB12 CDE", age identifier 02–29 or
  51–79, any case, with or without the space) anywhere, except when the last
  three letters are a common word after a space ("nw10 and"); the older prefix ("A123 BCD")
  and suffix ("ABC 123D") formats only in capitals or after a word about a
  vehicle ("reg", "car", "plate"…), because "the M25 one" and "the 38A bus" look
  just like them.
- Bank details: a sort code ("12-34-56") next to an account number, or after
  "sort code"/"s/c"/"account"/"bank details"; an account number of 7 to 10 digits
  after such a word or next to a sort code; an IBAN whose checksum is valid
  (`stdnum.iban`), in any case and grouping. A date like "12-03-24" alone stays.
- Dates of birth: a date (with day and month, or month and year) within a few
  words after "born", "DOB", "d.o.b.", "date of birth", "birthday", or the Welsh
  "ganwyd"/"dyddiad geni". Other dates, and a year alone ("born in 1956"), stay.
- Home addresses: a house or flat number, one to four words of street name and a
  street type (Road, Street, Avenue, Lane, Close, Drive, Way, Crescent, Court…
  or, before the name, the Welsh Heol, Stryd, Ffordd, Lôn, Rhodfa, Cilgant). The
  name may not contain words that make the number a count ("38 miles down the
  road", "the 38 bus route"), nor follow "paragraph", "section", "route", "ward"…;
  types that are also ordinary words (Way, Park, Green, View, Walk, Hill…) need a
  capitalised name. A street named without a number ("Mill Lane") stays.
- Card numbers: 13 to 19 digits, grouped the way cards are printed (or not at
  all) and Luhn-valid; every other long number is a reference and stays.
- Emails: ordinary addresses; "name at example dot com" and bracketed forms
  ("name [at] example [dot] com", "name(at)example.com"); and "name at
  gmail.com" with only "at" spelled out when the domain is a webmail provider
  (otherwise "I looked at gov.uk" would go).
- Links: a URL is removed when it carries a personal token (a query or fragment
  parameter such as token, key, session, sig, code, email, reset, invite…),
  credentials, a path segment that looks like a long random secret, or any other
  personal data; ordinary links stay. The path-secret rule is not applied to
  gov.uk and parliament.uk hosts, whose public asset links carry long ids.
- @-mentions: kept unless a `MentionPolicy` is given; then every handle not in
  `keep` is replaced. "name" keeps "@name" (X); a federated handle must be kept
  by its full form ("name@instance.social"), since the same name on another
  instance is another person.
- Overlaps: the longest candidate wins, then the more specific kind, then the
  earlier one. A removal can change what surrounds the text next to it (two items
  glued together without a space: the second only stands alone once the first is
  a marker), so the published text is checked again and anything found there is
  folded into the removals: the result is idempotent by construction. A long
  chain of glued items loses the rest of its line after a few such passes; over-
  removing there is the safe side.
- Names: a name its owner introduces ("my name is Siân Pritchard", "I'm called …",
  "fy enw i yw/ydy/ydi …", "enw fi ydy …", a form's "Name:"/"Enw:" line): up to four
  capitalised words (with "ap", "ab", "ferch" and the like between them, and
  initials); in a reply written all in lower case, one or two words up to the first
  ordinary one ("my name is on the petition" stays). Names given any other way
  (sign-offs, "Sylwadau gan …") are not found.
- Known gaps: addresses without a house number ("Rose Cottage, Mill Lane"),
  dates of birth not introduced as such ("I'm 12/03/1956 vintage"), and lower-case
  postcodes that read as a road and an ordinal ("b33 8th").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType
from stdnum import iban as stdnum_iban
from stdnum.gb import nhs as stdnum_nhs

# Replies carry numbers of many countries; past a few dozen regions, their metadata's
# patterns outgrow the re module's own cache of 512 and would be compiled again and again.
phonenumbers.enable_pattern_cache()

__all__ = [
    "MARKERS",
    "MentionPolicy",
    "Redaction",
    "Removal",
    "RemovalKind",
    "find_removals",
    "redact",
]


class RemovalKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    POSTCODE = "postcode"
    NI_NUMBER = "ni_number"
    NHS_NUMBER = "nhs_number"
    VEHICLE_REGISTRATION = "vehicle_registration"
    BANK_DETAILS = "bank_details"
    DATE_OF_BIRTH = "date_of_birth"
    ADDRESS = "address"
    CARD = "card"
    LINK = "link"
    MENTION = "mention"
    NAME = "name"


MARKERS: dict[RemovalKind, str] = {
    RemovalKind.EMAIL: "[email removed]",
    RemovalKind.PHONE: "[phone number removed]",
    RemovalKind.POSTCODE: "[postcode removed]",
    RemovalKind.NI_NUMBER: "[National Insurance number removed]",
    RemovalKind.NHS_NUMBER: "[NHS number removed]",
    RemovalKind.VEHICLE_REGISTRATION: "[vehicle registration removed]",
    RemovalKind.BANK_DETAILS: "[bank details removed]",
    RemovalKind.DATE_OF_BIRTH: "[date of birth removed]",
    RemovalKind.ADDRESS: "[address removed]",
    RemovalKind.CARD: "[card number removed]",
    RemovalKind.LINK: "[link removed]",
    RemovalKind.MENTION: "[name removed]",
    RemovalKind.NAME: "[name removed]",
}

# Ties between candidates of equal length go to the more specific kind.
_SPECIFICITY: dict[RemovalKind, int] = {
    RemovalKind.LINK: 0,
    RemovalKind.EMAIL: 1,
    RemovalKind.BANK_DETAILS: 2,
    RemovalKind.NI_NUMBER: 3,
    RemovalKind.NHS_NUMBER: 4,
    RemovalKind.CARD: 5,
    RemovalKind.DATE_OF_BIRTH: 6,
    RemovalKind.PHONE: 7,
    RemovalKind.VEHICLE_REGISTRATION: 8,
    RemovalKind.POSTCODE: 9,
    RemovalKind.ADDRESS: 10,
    RemovalKind.MENTION: 11,
    RemovalKind.NAME: 12,
}


@dataclass(frozen=True, slots=True)
class Removal:
    kind: RemovalKind
    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class MentionPolicy:
    """Handles of public or organisational accounts whose mentions stay published."""

    keep: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        normalised = frozenset(handle.strip().lstrip("@").lower() for handle in self.keep)
        object.__setattr__(self, "keep", normalised)

    def keeps(self, *, handle: str) -> bool:
        return handle.lstrip("@").lower() in self.keep


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    original: str
    removals: tuple[Removal, ...]


_Candidate = tuple[int, int, RemovalKind]

# --- Patterns ---------------------------------------------------------------------------

_HAS_DIGIT = re.compile(r"\d")

_EMAIL = re.compile(
    r"""
    (?<![\w.%+'@/-])
    [A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*
    (?:@|[ ]@[ ])
    (?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+
    (?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})
    (?![\w-])
    """,
    re.VERBOSE,
)

# "jane dot smith at example dot com", "jane [at] example [dot] co [dot] uk".
_SPELLED_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_SPELLED_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"
# Bounded repetition: a long chain of "x [dot] x [dot] …" must not make the search quadratic.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_+-]{0,62}[A-Za-z0-9])?"
_OBFUSCATED_EMAIL = re.compile(
    rf"""
    (?<![\w.@-])
    (?P<local>{_LABEL}(?:(?:\.|{_SPELLED_DOT}){_LABEL}){{0,4}})
    (?P<at>{_SPELLED_AT})
    (?P<domain>{_LABEL}(?:(?:\.|{_SPELLED_DOT}){_LABEL}){{1,5}})
    (?![\w@-])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_OBFUSCATED_SEPARATOR = re.compile(rf"\.|{_SPELLED_DOT}", re.IGNORECASE)
_SPELLED_DOT_ANYWHERE = re.compile(_SPELLED_DOT, re.IGNORECASE)
_BRACKETED_AT = re.compile(r"[\[({<]\s*at\s*[\])}>]", re.IGNORECASE)
_AT_WEBMAIL = re.compile(
    r"\sat\s+(?:gmail|googlemail|hotmail|outlook|live|yahoo|ymail|icloud|me|aol|btinternet|"
    r"sky|talktalk|virginmedia|ntlworld|protonmail|proton|gmx|mail|example)\.",
    re.IGNORECASE,
)
_WEBMAIL_DOMAINS = frozenset(
    "gmail googlemail hotmail outlook live yahoo ymail icloud me aol btinternet sky "
    "talktalk virginmedia ntlworld protonmail proton gmx mail example".split()
)
_TOP_LEVEL_DOMAINS = frozenset(
    "com org net uk co gov ac nhs edu io info me biz eu ie scot wales cymru london "
    "de fr es it nl be ch at au nz ca us in app dev social".split()
)

# Runs of digits and the separators people put in phone numbers. The matcher only
# reads these windows: running it over whole replies would cost most of the budget.
_PHONE_WINDOW = re.compile(r"(?:\+|\(\+?)?\d[\d \-.()/\u00a0]{5,}\d\)?")
_PHONE_GROUP = re.compile(r"[+(]*\d+\)?")
_PHONE_START = re.compile(r"(?<![\d)])(?<!\d[\-.])(?:[+(]|0)")
_SERVICE_LINE_TYPES = frozenset(
    {PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST, PhoneNumberType.PREMIUM_RATE}
)

_POSTCODE = re.compile(
    r"""
    (?<![A-Za-z0-9])
    (?P<outward>
        GIR
      | [A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]
      | [A-PR-UWYZ][0-9][A-HJKPSTUW]
      | [A-PR-UWYZ][A-HK-Y][0-9]{1,2}
      | [A-PR-UWYZ][0-9]{1,2}
    )
    (?P<space>[ \u00a0]?)
    (?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})
    (?![A-Za-z0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_INWARD_CODE = re.compile(r"[0-9][A-Za-z]{2}(?![A-Za-z0-9])")
_ROAD = re.compile(r"[A-Za-z][0-9]+")
_ORDINAL = re.compile(r"1st|2nd|3rd|[04-9]th")

# Each pattern below opens with the character class it must start with (the guard on
# the character before it comes second) so that the regex engine can skip ahead quickly.
# The patterns for items that open with letters start at their first digit, looking back
# for the letters: digits are rare in replies and letters are not, so the regex engine
# can skip ahead to them.
_NI_NUMBER = re.compile(
    r"""
    [0-9]
    (?:
        (?<=(?<![A-Za-z0-9])[A-Za-z]{2}[0-9])
      | (?<=(?<![A-Za-z0-9])[A-Za-z]{2}[ \-][0-9])
    )
    [0-9](?P<gap>[ \-]?)[0-9]{2}[ \-]?[0-9]{2}
    (?:[ \-]?(?P<suffix>[A-Da-d]))?
    (?![A-Za-z0-9])
    """,
    re.VERBOSE,
)
_NI_FIRST_LETTERS = frozenset("ABCEGHJKLMNOPRSTWXYZ")
_NI_SECOND_LETTERS = frozenset("ABCEGHJKLMNPRSTWXYZ")
_NI_NEVER_ISSUED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_NI_EXAMPLE_PREFIXES = frozenset({"QQ"})
_NI_CONTEXT = re.compile(r"\bN\.?I\b|national\s+insurance|\bnino\b|\bN\.I\.", re.IGNORECASE)

_NOT_NHS_CONTEXT = re.compile(
    r"\b(?:order|orders|ref|reference|invoice|tracking|parcel|case|serial|meter|policy|"
    r"account|acc|booking|ticket|isbn|claim|application)\b",
    re.IGNORECASE,
)
_NHS_NUMBER = re.compile(
    r"\d(?<![\w+.,]\d)(?<!\d[ \-]\d)(?:[ \-]?\d){9}(?![ \-]?\d)(?![.,]\d)(?!\w)"
)

_VEHICLE_CURRENT = re.compile(
    r"[0-9](?<=(?<![A-Za-z0-9'’])[A-Za-z]{2}[0-9])[0-9][ ]?[A-Za-z]{3}(?![A-Za-z0-9])"
)
_VEHICLE_PREFIX = re.compile(
    r"[0-9](?<=(?<![A-Za-z0-9'’\-])[A-Za-z][0-9])[0-9]{0,2}[ ]?[A-Za-z]{3}(?![A-Za-z0-9])"
)
_VEHICLE_SUFFIX = re.compile(
    r"[0-9](?:(?<=(?<![A-Za-z0-9'’\-])[A-Za-z]{3}[0-9])|(?<=(?<![A-Za-z0-9'’\-])[A-Za-z]{3} [0-9]))"
    r"[0-9]{0,2}[ ]?[A-Za-z](?![A-Za-z0-9])"
)
_VEHICLE_AREA_LETTERS = frozenset("ABCDEFGHKLMNOPRSVWY")
_VEHICLE_OLD_YEAR_LETTERS = frozenset("ABCDEFGHJKLMNPRSTVWXY")
_VEHICLE_CONTEXT = re.compile(
    r"\b(?:reg|regs|registration|registered|plates?|numberplate|car|cars|van|vans|vehicle|"
    r"motorbike|motorcycle|lorry|taxi|dvla|parked|driving|drove|ticketed|clamped|mot)\b",
    re.IGNORECASE,
)
# Three-letter words that follow a district code or a road ("nw10 and", "the M25 one").
_COMMON_THREE_LETTER_WORDS = frozenset(
    "the and for are but not you all any can had her was one our out day get has him his "
    "how man new now old see two way who boy did its let put say she too use via per off "
    "yet why try top ten six few far own lot bus car van run ran pay buy end due set got "
    "mph kmh job age air area sat sun mon tue wed thu fri jan feb mar apr may jun jul aug "
    "sep oct nov dec ago yes nor tax met led saw won fit bad big low red hot wet dry etc "
    "a.m p.m ave rst fam lol omg tbh wtf btw imo nhs gov mps uks eur gbp usd pct hrs min "
    "sec yrs kms".split()
)

_SORT_CODE = re.compile(
    r"\d(?<![\w.,/+]\d)\d(?P<separator>[ \-–.]?)\d\d(?P=separator)\d\d(?![\w.,/]?\d)"
)
_ACCOUNT_NUMBER = re.compile(r"\d(?<![\w.,/+\-]\d)\d{6,7}(?![\w]|[.,/\-]\d)")
_BANK_CONTEXT = re.compile(
    r"sort[\s\-]?code|\bs/c\b|\bsc\b|account|\bacc(?:t|s)?\b|\ba/c\b|bank\s+details|"
    r"\bbank\s+acc|pay(?:ment)?s?\s+in(?:to)?\b|transfer|\brhif\s+cyfrif|cod\s+didoli",
    re.IGNORECASE,
)
_IBAN = re.compile(r"[0-9](?<=(?<![A-Za-z0-9])[A-Za-z]{2}[0-9])[0-9](?:[ ]?[A-Za-z0-9]){11,32}")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"ionawr|chwefror|mawrth|ebrill|mai|mehefin|gorffennaf|awst|medi|hydref|tachwedd|rhagfyr|"
    # After "o" ("y 5ed o Fehefin") a Welsh month takes the soft mutation.
    r"fawrth|fai|fehefin|orffennaf|fedi|dachwedd|ragfyr)"
)
# Ordinals in English and in Welsh ("1af", "2il", "3ydd", "5ed", "7fed", "11eg", "21ain").
_DAY = r"(?:[0-2]?[0-9]|3[01])(?:st|nd|rd|th|af|il|ydd|ed|fed|eg|ain)?"
_YEAR = r"(?:(?:19|20)\d\d|['’]\d\d)"
_DATE = re.compile(
    rf"""
    (?<![\w/.\-])
    (?:
        \d{{1,2}}\s?[/.\-]\s?\d{{1,2}}\s?[/.\-]\s?(?:\d{{4}}|\d{{2}})
      | (?:19|20)\d\d[/.\-]\d{{1,2}}[/.\-]\d{{1,2}}
      | {_DAY}(?:\s+(?:of|o))?[\s\-]+{_MONTH}\.?(?:,?[\s\-]+(?:{_YEAR}|\d\d))?
      | {_MONTH}\.?\s+{_DAY}(?:,?\s+{_YEAR})?
      | {_MONTH}\.?,?\s+(?:{_YEAR})
    )
    (?![\w/])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_BIRTH_CONTEXT = re.compile(
    r"\bborn\b|\bd\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|\bbirth\s?(?:day|date)\b|"
    r"\bbday\b|\bganwyd\b|dyddiad\s+geni|\bgeni\b",
    re.IGNORECASE,
)
# Every context above contains one of these; most replies contain none.
_BIRTH_WORDS = ("born", "birth", "dob", "d.o", "d o b", "bday", "ganwyd", "geni")
# Between "born" and the date: a few words ("on the", "is", ":"), not another sentence.
_BIRTH_GAP = re.compile(r"[^.!?\n\d]{0,28}")

_STREET_TYPES = (
    "road|rd|street|st|avenue|ave|av|lane|ln|close|cl|drive|dr|way|crescent|cres|cresc|"
    "place|pl|court|ct|gardens|gdns|grove|gr|terrace|terr|tce|row|hill|walk|square|sq|"
    "mews|park|rise|view|green|parade|vale|wharf|boulevard|blvd|croft|fold|gate|"
    "meadow|meadows|chase|brow|end|hey|bank|garth|wynd|yard|circus|approach|heights|"
    "villas|cottages|broadway|embankment|quay|promenade"
)
_WELSH_STREET_TYPES = "heol|stryd|ffordd|lôn|lon|rhodfa|cilgant|clos|maes|teras|llwybr|llys|bryn"
_ADDRESS = re.compile(
    rf"""
    \d(?<![\w£$€.,:/%\-+#]\d)(?P<number>\d{{0,3}})[A-Za-z]?(?:[\-–/]\d{{1,4}}[A-Za-z]?)?,?[ ]+
    (?:
        (?P<name>(?:[A-Za-z'’][\w'’.\-]*[ ]+){{1,4}}?)
        (?P<type>{_STREET_TYPES})\b\.?
      | (?P<welsh_type>{_WELSH_STREET_TYPES})(?P<welsh_name>(?:['’]r)?(?:[ ]+[\wÀ-ÿ'’\-]+){{1,3}})
      | (?P<welsh_hyphenated>(?:{_WELSH_STREET_TYPES})-(?:y|yr|r|'r|’r)-[\wÀ-ÿ'’\-]+)
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A house number and the words after it; only when one of them is a street type does
# the full pattern run (its alternation of types is slow to try at every number).
_ADDRESS_CANDIDATE = re.compile(
    r"\d(?<![\w£$€.,:/%\-+#]\d)\d{0,3}[A-Za-z]?(?:[\-–/]\d{1,4}[A-Za-z]?)?,?"
    r"(?P<words>(?:[ ]+[A-Za-zÀ-ÿ'’][\wÀ-ÿ'’.\-]*){1,6})"
)
_STREET_TYPE_WORDS = frozenset(_STREET_TYPES.split("|")) | frozenset(_WELSH_STREET_TYPES.split("|"))
_STREET_COMPASS_NEXT = re.compile(r"[ ]+(?:North|South|East|West|Upper|Lower|Isaf|Uchaf)\b")
# A street without a type word ("Ael-y-Bryn", "Gwel y Môr", "Brynffordd") is still an
# address when the writer says it is one.
_INTRODUCED_ADDRESS = re.compile(
    r"(?i:\blive[sd]?\s+at|\bliving\s+at|\baddress(?:\s+is|:)|"
    r"\b(?:my|our|her|his|their)\s+(?:home|house)(?:\s+is|,)|\bcyfeiriad:?|\bbyw\s+y[nm]g?)\s+"
    r"(?P<address>(?i:(?:no\.?|number|rhif)\s*)?\d{1,4}[A-Za-z]?,?\s+"
    r"[A-ZÀ-Ý][\wÀ-ÿ'’\-]*(?:[ ]+(?:y|yr|[A-ZÀ-Ý][\wÀ-ÿ'’\-]*)){0,3})"
)
_INTRODUCED_ADDRESS_WORDS = ("live", "living", "address", "home", "house", "cyfeiriad", "byw")
_STREET_TYPE_NEXT = re.compile(rf"[ ]+(?:{_STREET_TYPES})\b", re.IGNORECASE)
_STREET_ABBREVIATIONS = frozenset(
    "rd st ave av ln cl dr cres cresc pl ct gdns gr terr tce sq blvd".split()
)
_WELSH_NAME_WORD = re.compile(r"[ ]+([\wÀ-ÿ'’\-]+)")
_WELSH_ARTICLES = frozenset({"y", "yr", "'r", "’r", "ap"})
_FLAT_BEFORE = re.compile(
    r"(?:flat|apartment|apt|unit|fflat|room)\.?[ ]*(?:no\.?[ ]*)?\d{1,4}[A-Za-z]?,?[ ]+$",
    re.IGNORECASE,
)
# Words that make the number a count or the street a mere road ("38 miles down the road").
_NOT_STREET_NAME_WORDS = frozenset(
    "a an of in on at to from for and or but per by with without than into onto off "
    "down up along across over under near past via each every all some any no not more "
    "less fewer new old other same this that these those my our your their his her its "
    "is are was were be been being will would can could should may might must has have "
    "had do does did mph miles mile minutes minute mins min hours hour hrs days day weeks "
    "week months month years year times time people persons residents cars car buses bus "
    "homes houses flats lanes roads streets trees pounds percent metres meters yards feet "
    "km kms spaces places stops stop children kids dogs parking way ways lots lot extra "
    "only just also about around within between very too so quite really pretty".split()
)
_AMBIGUOUS_STREET_TYPES = frozenset(
    "way park green view walk hill row rise square vale parade end bank gate fold chase "
    "brow hey yard heights approach".split()
)
# Words that introduce an address: after them the name needs no capitals.
_ADDRESS_CONTEXT = re.compile(
    r"(?:\blive|\bliving|\blives|address|\bhouse|\bhome|\bflat|\bmoved|\bwe're|\bi'm|"
    r"\bsend|\bpost|\bdeliver|cyfeiriad|\bbyw|\bown|\boutside|\bat)\b[^.!?\n]{0,16}$",
    re.IGNORECASE,
)
_NOT_HOUSE_NUMBER_AFTER = re.compile(
    r"\b(?:paragraph|para|paras|section|sections|clause|page|pages|chapter|item|point|"
    r"question|option|route|routes|bus|buses|number|no|ward|wards|junction|jct|j|platform|"
    r"gate|stand|bay|exit|table|figure|fig|annex|appendix|proposal|policy|year|years|"
    r"aged|age|over|under|about|around|than)\.?\s*$|[£$€§]\s*$",
    re.IGNORECASE,
)

# A name its owner gives ("my name is …", "fy enw i yw …", a form's "Name:" line).
_NAME_INTRODUCTION = re.compile(
    r"(?i:\bmy\s+(?:full\s+)?name(?:\s+is|['’]s)|\bi\s+am\s+called|\bi['’]?m\s+called|"
    r"\bfy\s+enw\s+(?:llawn\s+)?(?:i\s+)?(?:yw|ydy|ydi)|\benw\s+fi\s+(?:yw|ydy|ydi)|"
    r"^[ \t]*(?:name|enw)[ \t]*:)[ \t]*:?[ \t]*",
    re.MULTILINE,
)
_NAME_INTRODUCTION_WORDS = ("name", "enw", "called")
# A capitalised name of up to four words, with Welsh and other particles between them
# ("Siân ap Gruffydd", "Rhys ab Owen", "Gwen ferch Ifan") and initials ("J. Price").
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ]\.|[A-ZÀ-ÖØ-Þ][\w'’\-]+)"
_CAPITALISED_NAME = re.compile(
    rf"{_NAME_WORD}(?:[ ]+(?:(?:ap|ab|ferch|van|von|de|da|le|la)[ ]+)?{_NAME_WORD}){{0,3}}"
)
# In a reply written all in lower case: one or two words that are not ordinary words.
_LOWERCASE_NAME = re.compile(r"[a-zà-ÿ][\w'’\-]*(?:[ ]+[a-zà-ÿ][\w'’\-]*)?")
_NOT_NAME_WORDS = frozenset(
    "a an the on in not no and but or is was being down up here there this that my your "
    "our their his her its at for to of with as just only also so very really too not "
    "irrelevant unimportant withheld private anonymous hidden below above "
    "ar yn y yr a ac ond neu ddim dim yma fan hyn yw ydy".split()
)

_CARD = re.compile(
    r"\d(?<![\w+.,]\d)(?<!\d[ \-]\d)(?:[ \-]?\d){12,18}(?![ \-]?\d)(?![.,]\d)(?!\w)",
)
_CARD_SEPARATOR = re.compile(r"[ \-]")
_CARD_GROUPINGS = frozenset({(4, 6, 5), (4, 6, 4)})

_URL = re.compile(
    r"[hw](?<![\w@.\-][hw])(?:(?<=[hH])ttps?://|(?<=[wW])ww\.)[^\s<>\"'\[\]{}|\\^`]+",
    re.IGNORECASE,
)
# A link written without "https://" or "www." ("portal.example.com/login?auth=…").
_BARE_URL = re.compile(
    r"(?<![\w@.\-/])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:com|org|net|uk|gov|io|info|eu|ie|scot|wales|cymru|app|dev|me|co)"
    r"(?::\d+)?/[^\s<>\"'\[\]{}|\\^`]*",
    re.IGNORECASE,
)
_DOMAIN_THEN_SLASH = re.compile(r"\.[A-Za-z]{2,6}(?::\d+)?/")
_URL_TRAILING = ".,;:!?*"
_SECRET_PARAMETER_PARTS = frozenset(
    "token tokens tok auth authorization key apikey session sessionid sid sig signature "
    "code otp email mail e reset invite invitation password pass pwd passwd secret "
    "credential credentials nonce ticket jwt hash uid userid user login phone mobile tel "
    "postcode magic verify verification confirm confirmation unsubscribe".split()
)
_PARAMETER_PART_SEPARATOR = re.compile(r"[_\-.\[\]]+")
_SECRET_PATH_KEYWORDS = frozenset(
    "reset invite invitation verify confirm confirmation unsubscribe token auth magic "
    "login activate activation password share s r t".split()
)
_PATH_PIECE_SEPARATOR = re.compile(r"[-_.~]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_PUBLIC_HOST_SUFFIXES = ("gov.uk", "parliament.uk")

_MENTION = re.compile(
    r"""
    @(?<![\w@./:+\-=&?#]@)
    (?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)
    (?:@(?P<instance>[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?
        (?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+))?
    (?![\w@])
    """,
    re.VERBOSE,
)
# "see you @5pm", "@10:30" are times, not handles.
_TIME_NOT_HANDLE = re.compile(r"\d{1,2}(?:[:.]\d{2})?(?:am|pm)?", re.IGNORECASE)


# --- Validators ------------------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def _phone_pieces(window: str) -> Iterator[tuple[int, int]]:
    """Cut a run of digits where a second number plainly starts ("07700 900123 07700
    900456"): the matcher alone would read it as one impossible number and give up."""
    groups = [(group.start(), _digits(group.group())) for group in _PHONE_GROUP.finditer(window)]
    remaining = sum(len(digits) for _position, digits in groups)
    start = 0
    digits_so_far = 0
    for position, digits in groups:
        begins_number = window[position] in "+(" or digits.startswith("0")
        if digits_so_far >= 10 and remaining >= 9 and begins_number:
            yield start, position
            start, digits_so_far = position, 0
        digits_so_far += len(digits)
        remaining -= len(digits)
    yield start, len(window)


def _phone_type(number: phonenumbers.PhoneNumber) -> int:
    # UNKNOWN exactly when no region's metadata holds the number: one look-up answers
    # both "is it valid" and "what kind of line is it" (each costs as much as the other).
    return phonenumbers.number_type(number)


def _phone_is_personal(number: phonenumbers.PhoneNumber, *, kind: int, raw: str) -> bool:
    written = raw.lstrip("(")
    # A UK or Irish number is written with its trunk 0 or a country code; "4500 1234"
    # or "10293847" without one is a reference, even where the metadata could read it.
    if not written.startswith(("+", "0")) or written.startswith(
        ("00 0", "0 ", "0-", "0.", "+0", "+ 0", "000")
    ):
        return False
    if kind in _SERVICE_LINE_TYPES:
        return False
    if number.country_code == 44 and str(number.national_number).startswith(("300", "301")):
        return False
    if kind != PhoneNumberType.UNKNOWN:
        return True
    if number.country_code == 44:
        return _is_uk_shaped(number)
    return written.startswith(("+", "00")) and phonenumbers.is_possible_number(number)


def _is_uk_shaped(number: phonenumbers.PhoneNumber) -> bool:
    """Unallocated but shaped like a UK line: 10 digits after the trunk 0 opening with
    1, 2, 3 or 7 (or 9 digits with 1), as Ofcom's numbering plan has them."""
    if number.country_code != 44:
        return False
    national = str(number.national_number)
    if len(national) == 10:
        return national[0] in "1237"
    return len(national) == 9 and national[0] == "1"


def _phone_reading(
    number: phonenumbers.PhoneNumber, *, raw: str
) -> tuple[phonenumbers.PhoneNumber, int]:
    """The number as a UK one, or as an Irish one when only that reading is valid
    ("087 123 4567" is an Irish mobile, no UK number); and its kind of line."""
    kind = _phone_type(number)
    if (
        kind != PhoneNumberType.UNKNOWN
        or raw.lstrip("(").startswith(("+", "00"))
        or _is_uk_shaped(number)
    ):
        return number, kind
    try:
        irish = phonenumbers.parse(raw, "IE")
    except phonenumbers.NumberParseException:
        return number, kind
    irish_kind = _phone_type(irish)
    return (irish, irish_kind) if irish_kind != PhoneNumberType.UNKNOWN else (number, kind)


# Within one `redact` call the published text is searched again; the numbers that
# stayed (freephone lines, references) need not go through the matcher twice.
_PhoneCache = dict[str, list[tuple[int, int]]]


def _phone_spans(text: str, *, cache: _PhoneCache) -> Iterator[tuple[int, int]]:
    for window in _PHONE_WINDOW.finditer(text):
        window_text = window.group()
        if _PHONE_START.search(window_text) is None:
            continue
        for piece_start, piece_end in _phone_pieces(window_text):
            # A UK or Irish number opens with "+", "(" or its trunk 0 (see
            # `_phone_is_personal`); the matcher need not read what comes before one.
            first = _PHONE_START.search(window_text, piece_start, piece_end)
            if first is None:
                continue
            piece = window_text[first.start() : piece_end]
            digit_count = sum(character.isdigit() for character in piece)
            international = piece.startswith(("+", "(+", "00"))
            # Small countries' numbers are short: "+290 22158" (St Helena).
            if digit_count < (7 if international else 8):
                continue
            offset = window.start() + first.start()
            spans = cache.get(piece)
            if spans is None:
                spans = cache[piece] = list(_phone_spans_in(piece, offset=0, region="GB"))
            for start, end in spans:
                yield offset + start, offset + end


def _phone_spans_in(piece: str, *, offset: int, region: str) -> Iterator[tuple[int, int]]:
    found = False
    for match in PhoneNumberMatcher(piece, region, leniency=Leniency.POSSIBLE):
        found = True
        raw = match.raw_string
        number, kind = _phone_reading(match.number, raw=raw)
        if _phone_is_personal(number, kind=kind, raw=raw):
            start = offset + match.start
            # "(07700 900123" at the start of a bracketed aside: the bracket stays.
            if raw.startswith("(") and raw.count("(") > raw.count(")"):
                start += 1
            yield start, offset + match.end
    if not found and region == "GB":
        # No UK number could be this long or short ("085 012 3456"); an Irish one can.
        yield from _phone_spans_in(piece, offset=offset, region="IE")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_card(match: re.Match[str]) -> bool:
    text = match.group()
    digits = _digits(text)
    # Issuer numbers never start with 0; "0044 20 7946 0123" glued up is a phone number.
    if digits[0] == "0" or not _luhn_valid(digits):
        return False
    separators = {character for character in text if not character.isdigit()}
    if not separators:
        return True
    if len(separators) > 1:
        return False
    pieces = _CARD_SEPARATOR.split(text)
    # "2023 2024 2025 2026" is a run of years that happens to pass Luhn.
    if all(len(piece) == 4 and piece.startswith(("19", "20")) for piece in pieces):
        return False
    groups = tuple(len(piece) for piece in pieces)
    if groups in _CARD_GROUPINGS:
        return True
    # As printed: fours, the last group possibly shorter (19 digits end in 3).
    return len(groups) >= 3 and all(size == 4 for size in groups[:-1]) and groups[-1] <= 4


def _postcode_spans(text: str) -> Iterator[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    # Every postcode ends in a digit and two letters; the full pattern, which opens with
    # letters, only runs just before one of those.
    for inward in _INWARD_CODE.finditer(text):
        window_start = max(0, inward.start() - 5)
        for match in _validated(
            _POSTCODE, text[: inward.end()], is_valid=_is_postcode, start=window_start
        ):
            found.add((match.start(), match.end()))
    return iter(sorted(found))


def _is_postcode(match: re.Match[str]) -> bool:
    inward = match.group("inward")
    # "the A1 2nd exit", "M6 3rd lane": a road and an ordinal, not a postcode.
    return not (
        match.group("space")
        and _ROAD.fullmatch(match.group("outward"))
        and inward[1:].islower()
        and _ORDINAL.fullmatch(inward)
    )


def _ni_number_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _NI_NUMBER.finditer(text):
        first_gap = text[match.start() - 1] in " -"
        start = match.start() - (3 if first_gap else 2)
        prefix = text[start : start + 2].upper()
        allowed = prefix in _NI_EXAMPLE_PREFIXES or (
            prefix[0] in _NI_FIRST_LETTERS
            and prefix[1] in _NI_SECOND_LETTERS
            and prefix not in _NI_NEVER_ISSUED
        )
        if not allowed:
            continue
        grouped_in_pairs = first_gap and bool(match.group("gap"))
        if (
            match.group("suffix")
            or grouped_in_pairs
            or _NI_CONTEXT.search(text, max(0, start - 40), start) is not None
        ):
            yield start, match.end()


def _nhs_number_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _validated(_NHS_NUMBER, text, is_valid=_is_nhs_number):
        before = text[max(0, match.start() - 30) : match.start()]
        # One ten-digit reference in eleven passes the check by chance; an "order
        # number" or "tracking ref" says what it is (unless NHS is said too).
        if _NOT_NHS_CONTEXT.search(before) and "nhs" not in before.lower():
            continue
        yield match.start(), match.end()


def _is_nhs_number(match: re.Match[str]) -> bool:
    return stdnum_nhs.is_valid(_digits(match.group()))


def _has_vehicle_context(text: str, *, start: int) -> bool:
    return _VEHICLE_CONTEXT.search(text, max(0, start - 40), start) is not None


def _vehicle_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _VEHICLE_CURRENT.finditer(text):
        start = match.start() - 2
        plate = text[start : match.end()].upper()
        age = int(plate[2:4])
        letters = plate[-3:]
        if plate[0] not in _VEHICLE_AREA_LETTERS or plate[1] in "IQ":
            continue
        if not (2 <= age <= 29 or 51 <= age <= 79) or set(letters) & set("IQ"):
            continue
        spaced = plate[4] == " "
        if (
            spaced
            and letters.lower() in _COMMON_THREE_LETTER_WORDS
            and not _has_vehicle_context(text, start=start)
        ):
            continue
        yield start, match.end()
    for match in _VEHICLE_PREFIX.finditer(text):
        start = match.start() - 1
        plate = text[start : match.end()]
        if _is_older_plate(
            text, start=start, plate=plate, year_letter=plate[0], letters=plate[-3:]
        ):
            yield start, match.end()
    for match in _VEHICLE_SUFFIX.finditer(text):
        start = match.start() - (4 if text[match.start() - 1] == " " else 3)
        plate = text[start : match.end()]
        if _is_older_plate(
            text, start=start, plate=plate, year_letter=plate[-1], letters=plate[:3]
        ):
            yield start, match.end()


def _is_older_plate(text: str, *, start: int, plate: str, year_letter: str, letters: str) -> bool:
    if year_letter.upper() not in _VEHICLE_OLD_YEAR_LETTERS or set(letters.upper()) & set("IQ"):
        return False
    if letters.lower() in _COMMON_THREE_LETTER_WORDS:
        return False
    # Written in capitals the way a plate is ("A123 BCD", "ABC 123D"), or after a word
    # about a vehicle; "the m25 one" or "the 38a" in a sentence is a road or a bus.
    return plate.isupper() or _has_vehicle_context(text, start=start)


def _bank_spans(text: str) -> Iterator[tuple[int, int]]:
    """A sort code only beside an account number (alone it names a branch, not a
    person); an account number beside a sort code or after a word about an account."""
    accounts = list(_ACCOUNT_NUMBER.finditer(text))
    if not accounts:
        return
    sort_codes = list(_SORT_CODE.finditer(text))
    accepted: list[tuple[int, int]] = []
    for account in accounts:
        # Each account number pairs with its nearest sort code, so a branch's sort
        # code quoted in the next sentence stays.
        distances = [
            (max(sort_code.start() - account.end(), account.start() - sort_code.end()), index)
            for index, sort_code in enumerate(sort_codes)
            if sort_code.start() != account.start()
        ]
        nearby = [(distance, index) for distance, index in distances if 0 <= distance <= 40]
        if nearby:
            sort_code = sort_codes[min(nearby)[1]]
            accepted.append((sort_code.start(), sort_code.end()))
            accepted.append((account.start(), account.end()))
        elif _BANK_CONTEXT.search(text, max(0, account.start() - 40), account.start()):
            accepted.append((account.start(), account.end()))
    yield from sorted(set(accepted))


def _iban_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        # Every country's account part is mostly digits; "sk14 hjw taxi rank" is not one.
        if sum(character.isdigit() for character in match.group()) < 10:
            continue
        start = match.start() - 2
        characters = [(text[start], start), (text[start + 1], start + 1)]
        characters += [
            (character, match.start() + index)
            for index, character in enumerate(match.group())
            if character.isalnum()
        ]
        # The pattern runs on into following words; the checksum says where it ends.
        # IBANs are 15 to 34 characters long.
        for length in range(min(len(characters), 34), 14, -1):
            compact = "".join(character for character, _position in characters[:length]).upper()
            if _iban_remainder(compact) == 1 and stdnum_iban.is_valid(compact):
                yield start, characters[length - 1][1] + 1
                break


def _iban_remainder(compact: str) -> int:
    """ISO 13616's check: the country and check digits moved to the end, letters as
    numbers (A = 10 … Z = 35), modulo 97. A valid IBAN leaves 1."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(character, 36)) for character in rearranged)) % 97


def _date_of_birth_spans(text: str, *, lowered: str) -> Iterator[tuple[int, int]]:
    if not any(word in lowered for word in _BIRTH_WORDS):
        return
    for context in _BIRTH_CONTEXT.finditer(text):
        gap = _BIRTH_GAP.match(text, context.end())
        position = context.end()
        limit = gap.end() if gap else position
        date = _DATE.search(text, position, min(len(text), limit + 40))
        if date is not None and date.start() <= limit:
            yield date.start(), date.end()


def _address_spans(text: str) -> Iterator[tuple[int, int]]:
    # A writer who never uses capitals cannot be asked to capitalise a street name.
    all_lowercase = text == text.lower()
    for candidate in _ADDRESS_CANDIDATE.finditer(text):
        words = candidate.group("words").lower().split()
        if not any(
            word.rstrip(".,") in _STREET_TYPE_WORDS
            or word[:-2] in _STREET_TYPE_WORDS
            or word.split("-", 1)[0] in _STREET_TYPE_WORDS
            for word in words
        ):
            continue
        match = _ADDRESS.match(text, candidate.start())
        if match is None:
            continue
        house_number = match.group()[: 1 + len(match.group("number"))]
        if len(house_number) == 4 and house_number.startswith(("19", "20")):
            continue  # a year: "in 2023 the cycle lane…"
        if _NOT_HOUSE_NUMBER_AFTER.search(text, max(0, match.start() - 12), match.start()):
            continue
        introduced = all_lowercase or (
            _ADDRESS_CONTEXT.search(text, max(0, match.start() - 30), match.start()) is not None
        )
        if match.group("name") is not None:
            end = _english_street_end(match, text=text, all_lowercase=introduced)
        elif match.group("welsh_hyphenated") is not None:
            end = match.end()  # "Heol-y-Felin"
        else:
            end = _welsh_street_end(match, all_lowercase=introduced)
        if end is None:
            continue
        start = match.start()
        flat = _FLAT_BEFORE.search(text, max(0, start - 24), start)
        if flat is not None:
            start = flat.start()
        yield start, end


def _introduced_address_spans(text: str, *, lowered: str) -> Iterator[tuple[int, int]]:
    if not any(word in lowered for word in _INTRODUCED_ADDRESS_WORDS):
        return
    for match in _INTRODUCED_ADDRESS.finditer(text):
        yield match.start("address"), match.end("address")


def _introduced_name_spans(text: str, *, lowered: str) -> Iterator[tuple[int, int]]:
    if not any(word in lowered for word in _NAME_INTRODUCTION_WORDS):
        return
    all_lowercase = text == lowered
    for introduction in _NAME_INTRODUCTION.finditer(text):
        start = introduction.end()
        name = (_LOWERCASE_NAME if all_lowercase else _CAPITALISED_NAME).match(text, start)
        if name is None:
            continue
        words = name.group().split()
        if all_lowercase:
            # "my name is on the petition": stop at the first ordinary word.
            kept = []
            for word in words:
                if word.strip(".'’") in _NOT_NAME_WORDS:
                    break
                kept.append(word)
            words = kept
        if not words:
            continue
        yield start, start + len(" ".join(words))


def _english_street_end(match: re.Match[str], *, text: str, all_lowercase: bool) -> int | None:
    words = match.group("name").split()
    lowered = [word.lower().strip(".,'’") for word in words]
    if lowered[0] == "the":
        # "5 The Parade", "12 The Green": the article only in capitals, or alone.
        if len(words) > 1 and not all(word[0].isupper() for word in words):
            return None
        if len(words) == 1 and not (words[0] == "The" or all_lowercase):
            return None
        lowered = lowered[1:]
    if any(word in _NOT_STREET_NAME_WORDS for word in lowered):
        return None
    street_type = match.group("type").lower()
    if (
        street_type in _AMBIGUOUS_STREET_TYPES
        and not all_lowercase
        and not all(word[0].isupper() for word in words if word.lower() not in ("of", "y"))
    ):
        return None
    end = match.end()
    if text[end - 1] == "." and street_type not in _STREET_ABBREVIATIONS:
        end -= 1  # the full stop ends the sentence, not an abbreviation
    # "Hill View Place", "Llys Glas Close": the first type word was part of the name.
    while (following := _STREET_TYPE_NEXT.match(text, end)) is not None:
        end = following.end()
    if (compass := _STREET_COMPASS_NEXT.match(text, end)) is not None:
        end = compass.end()  # "Cowbridge Road East"
    return end


def _welsh_street_end(match: re.Match[str], *, all_lowercase: bool) -> int | None:
    """Welsh streets put the type first ("Heol y Coed", "Stryd Fawr"): the name runs
    on while its words are capitalised (or articles), at most three of them."""
    name = match.group("welsh_name")
    end = match.start("welsh_name")
    if name[0] in "'’":
        end += 2
        name = name[2:]
    taken = 0
    for word in _WELSH_NAME_WORD.finditer(name):
        value = word.group(1)
        if value.lower() in _WELSH_ARTICLES:
            continue
        if value.lower() in _NOT_STREET_NAME_WORDS or not (value[0].isupper() or all_lowercase):
            break
        end = match.start("welsh_name") + (2 if match.group("welsh_name")[0] in "'’" else 0)
        end += word.end()
        taken += 1
        if all_lowercase and taken == 2:
            break
    return end if taken else None


def _email_spans(text: str) -> Iterator[tuple[int, int]]:
    """Addresses around each "@" (a local part is at most 64 characters, a domain 255):
    scanning the whole reply would try every word as the start of an address."""
    seen_up_to = -1
    at = text.find("@")
    while at != -1:
        if at >= seen_up_to:
            match = _EMAIL.search(text, max(0, at - 66, seen_up_to), at + 258)
            while match is not None and match.end() <= at:
                match = _EMAIL.search(text, match.end(), at + 258)
            if match is not None:
                seen_up_to = match.end()
                yield match.start(), match.end()
        at = text.find("@", at + 1)


def _is_obfuscated_email(match: re.Match[str]) -> bool:
    domain_labels = _OBFUSCATED_SEPARATOR.split(match.group("domain"))
    if domain_labels[-1].lower() not in _TOP_LEVEL_DOMAINS:
        return False
    # "have a look at gov.uk" is a sentence; bracketing "at" or spelling out "dot" is
    # what someone hiding an address does, and so is "at" before a webmail domain.
    at_is_bracketed = match.group("at").strip().lower() != "at"
    webmail = domain_labels[0].lower() in _WEBMAIL_DOMAINS
    return at_is_bracketed or webmail or _SPELLED_DOT_ANYWHERE.search(match.group()) is not None


def _is_random_secret(*, piece: str) -> bool:
    if len(piece) < 20 or not piece.isalnum():
        return False
    letters = sum(character.isalpha() for character in piece)
    digits = sum(character.isdigit() for character in piece)
    return letters >= 3 and digits >= 3


def _url_is_personal(*, url: str) -> bool:
    if not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
        has_credentials = parts.username is not None or parts.password is not None
        host = (parts.hostname or "").lower()
    except ValueError:
        # Unparseable (a bad port, a stray bracket): too odd to publish as a link.
        return True
    if has_credentials:
        return True
    for component in (parts.query, parts.fragment):
        for name, _value in parse_qsl(component, keep_blank_values=True):
            name_parts = _PARAMETER_PART_SEPARATOR.split(name.lower())
            if any(part in _SECRET_PARAMETER_PARTS for part in name_parts):
                return True
    public_host = host.endswith(_PUBLIC_HOST_SUFFIXES)
    segments = [segment for segment in parts.path.split("/") if segment]
    previous = ""
    for segment in segments:
        pieces = _PATH_PIECE_SEPARATOR.split(segment)
        # After /reset/ or /invite/ even a shorter opaque code is a key, on any host.
        if previous in _SECRET_PATH_KEYWORDS and any(
            _is_opaque_code(piece=piece) for piece in pieces
        ):
            return True
        previous = segment.lower()
        if public_host:
            continue
        if _UUID.search(segment):
            return True
        if any(_is_random_secret(piece=piece) for piece in pieces):
            return True
    return False


def _is_opaque_code(*, piece: str) -> bool:
    if len(piece) < 12 or not piece.isalnum():
        return False
    if not piece.isalpha():
        return True
    # Letters only but in no case a word has: "THZzzJAtKukAJ", not "Consultation".
    upper = sum(character.isupper() for character in piece[1:])
    return upper >= 2 and upper < len(piece) - 1


def _trim_url(*, text: str, start: int, end: int) -> int:
    unclosed = text.count(")", start, end) - text.count("(", start, end)
    while end > start:
        last = text[end - 1]
        if last in _URL_TRAILING:
            end -= 1
        elif last == ")" and unclosed > 0:
            end -= 1
            unclosed -= 1
        else:
            break
    return end


# --- Detectors ---------------------------------------------------------------------------


def _validated(
    pattern: re.Pattern[str],
    text: str,
    *,
    is_valid: Callable[[re.Match[str]], bool],
    start: int = 0,
) -> Iterator[re.Match[str]]:
    """Matches that pass `is_valid`; after a rejected one the search resumes one character
    on, so a valid candidate inside a rejected one is still found."""
    position = start
    while (match := pattern.search(text, position)) is not None:
        if is_valid(match):
            yield match
            position = match.end()
        else:
            position = match.start() + 1


def _bracket_trimmed_start(match: re.Match[str]) -> int:
    text = match.group()
    if text.startswith("(") and text.count("(") > text.count(")"):
        return match.start() + 1
    return match.start()


def _candidates(
    text: str, *, mentions: MentionPolicy | None, phone_cache: _PhoneCache
) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    ordinary_urls: list[tuple[int, int]] = []
    lowered = text.lower()
    url_matches: list[re.Match[str]] = []
    if "http" in lowered or "www." in lowered:
        url_matches.extend(_URL.finditer(text))
    if "/" in text and _DOMAIN_THEN_SLASH.search(text):
        url_matches.extend(
            match
            for match in _BARE_URL.finditer(text)
            if not any(other.start() <= match.start() < other.end() for other in url_matches)
        )
    if url_matches:
        for match in url_matches:
            end = _trim_url(text=text, start=match.start(), end=match.end())
            if _url_is_personal(url=text[match.start() : end]):
                candidates.append((match.start(), end, RemovalKind.LINK))
            else:
                ordinary_urls.append((match.start(), end))
    if "@" in text:
        for start, end in _email_spans(text):
            candidates.append((start, end, RemovalKind.EMAIL))
        if mentions is not None:
            for match in _MENTION.finditer(text):
                handle = match.group()[1:]
                if _TIME_NOT_HANDLE.fullmatch(handle) or mentions.keeps(handle=handle):
                    continue
                candidates.append((match.start(), match.end(), RemovalKind.MENTION))
    # Only a bracketed "at", a spelled-out "dot" or "at" before a webmail domain can make
    # one; most replies have none of them.
    if (
        ("dot" in lowered and _SPELLED_DOT_ANYWHERE.search(text))
        or _BRACKETED_AT.search(text)
        or (
            " at " in lowered
            and any(f"{domain}." in lowered for domain in _WEBMAIL_DOMAINS)
            and _AT_WEBMAIL.search(text)
        )
    ):
        for match in _validated(_OBFUSCATED_EMAIL, text, is_valid=_is_obfuscated_email):
            candidates.append((match.start(), match.end(), RemovalKind.EMAIL))
    if _HAS_DIGIT.search(text):
        for start, end in _phone_spans(text, cache=phone_cache):
            candidates.append((start, end, RemovalKind.PHONE))
        for match in _validated(_CARD, text, is_valid=_is_card):
            candidates.append((match.start(), match.end(), RemovalKind.CARD))
        for start, end in _nhs_number_spans(text):
            candidates.append((start, end, RemovalKind.NHS_NUMBER))
        for start, end in _ni_number_spans(text):
            candidates.append((start, end, RemovalKind.NI_NUMBER))
        for start, end in _postcode_spans(text):
            candidates.append((start, end, RemovalKind.POSTCODE))
        for start, end in _vehicle_spans(text):
            candidates.append((start, end, RemovalKind.VEHICLE_REGISTRATION))
        for start, end in _bank_spans(text):
            candidates.append((start, end, RemovalKind.BANK_DETAILS))
        for start, end in _iban_spans(text):
            candidates.append((start, end, RemovalKind.BANK_DETAILS))
        for start, end in _date_of_birth_spans(text, lowered=lowered):
            candidates.append((start, end, RemovalKind.DATE_OF_BIRTH))
        for start, end in _address_spans(text):
            candidates.append((start, end, RemovalKind.ADDRESS))
        for start, end in _introduced_address_spans(text, lowered=lowered):
            candidates.append((start, end, RemovalKind.ADDRESS))
    for start, end in _introduced_name_spans(text, lowered=lowered):
        candidates.append((start, end, RemovalKind.NAME))
    # A link that is fine on its own is not fine once it carries someone's details.
    for url_start, url_end in ordinary_urls:
        if any(start < url_end and url_start < end for start, end, _kind in candidates):
            candidates.append((url_start, url_end, RemovalKind.LINK))
    return candidates


def _resolve(candidates: list[_Candidate]) -> tuple[Removal, ...]:
    ranked = sorted(
        set(candidates),
        key=lambda candidate: (
            candidate[0] - candidate[1],
            _SPECIFICITY[candidate[2]],
            candidate[0],
        ),
    )
    # The chosen spans never overlap, so sorted by start they are sorted by end too.
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[RemovalKind] = []
    for start, end, kind in ranked:
        index = bisect_right(starts, start)
        if index > 0 and ends[index - 1] > start:
            continue
        if index < len(starts) and starts[index] < end:
            continue
        starts.insert(index, start)
        ends.insert(index, end)
        kinds.insert(index, kind)
    return tuple(
        Removal(kind=kind, start=start, end=end, replacement=MARKERS[kind])
        for start, end, kind in zip(starts, ends, kinds, strict=True)
    )


def find_removals(text: str, *, mentions: MentionPolicy | None = None) -> tuple[Removal, ...]:
    """What the detectors find in `text`, overlaps resolved, in order of position."""
    return _resolve(_candidates(text, mentions=mentions, phone_cache={}))


# --- Applying removals -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Piece:
    published_start: int
    published_end: int
    original_start: int
    original_end: int
    is_marker: bool


def _apply(text: str, removals: tuple[Removal, ...]) -> tuple[str, list[_Piece]]:
    parts: list[str] = []
    pieces: list[_Piece] = []
    original_position = 0
    published_position = 0

    def add(part: str, *, original_end: int, is_marker: bool) -> None:
        nonlocal original_position, published_position
        parts.append(part)
        pieces.append(
            _Piece(
                published_start=published_position,
                published_end=published_position + len(part),
                original_start=original_position,
                original_end=original_end,
                is_marker=is_marker,
            )
        )
        original_position = original_end
        published_position += len(part)

    for removal in removals:
        if removal.start > original_position:
            add(
                text[original_position : removal.start], original_end=removal.start, is_marker=False
            )
        add(removal.replacement, original_end=removal.end, is_marker=True)
    if original_position < len(text):
        add(text[original_position:], original_end=len(text), is_marker=False)
    return "".join(parts), pieces


def _to_original(
    *, pieces: list[_Piece], published_starts: list[int], start: int, end: int
) -> tuple[int, int]:
    first = pieces[bisect_right(published_starts, start) - 1]
    last = pieces[bisect_left(published_starts, end) - 1]
    if first.is_marker:
        original_start = first.original_start
    else:
        original_start = first.original_start + start - first.published_start
    if last.is_marker:
        original_end = last.original_end
    else:
        original_end = last.original_start + end - last.published_start
    return original_start, original_end


def _fold_in(
    *,
    text: str,
    removals: tuple[Removal, ...],
    found: tuple[Removal, ...],
    pieces: list[_Piece],
    to_line_end: bool,
) -> tuple[Removal, ...]:
    merged = list(removals)
    published_starts = [piece.published_start for piece in pieces]
    for removal in found:
        start, end = _to_original(
            pieces=pieces,
            published_starts=published_starts,
            start=removal.start,
            end=removal.end,
        )
        if to_line_end:
            line_end = text.find("\n", end)
            end = len(text) if line_end == -1 else line_end
        covered = [other for other in merged if other.start < end and start < other.end]
        start = min([start, *(other.start for other in covered)])
        end = max([end, *(other.end for other in covered)])
        merged = [other for other in merged if other not in covered]
        merged.append(
            Removal(kind=removal.kind, start=start, end=end, replacement=removal.replacement)
        )
    return tuple(sorted(merged, key=lambda removal: removal.start))


_EXACT_PASSES = 4


def redact(text: str, *, mentions: MentionPolicy | None = None) -> Redaction:
    """The text as it may be published, with each removal recorded against the original."""
    phone_cache: _PhoneCache = {}
    removals = _resolve(_candidates(text, mentions=mentions, phone_cache=phone_cache))
    published, pieces = _apply(text, removals)
    # Each pass strictly grows what is removed, so this ends; in ordinary text it runs
    # at most once. Items glued together ("+44…+44…+44…") can each reveal the next, one
    # per pass; after a few passes the rest of such a line goes, which keeps it linear.
    passes = 0
    while removals and (
        found := _resolve(_candidates(published, mentions=mentions, phone_cache=phone_cache))
    ):
        passes += 1
        removals = _fold_in(
            text=text,
            removals=removals,
            found=found,
            pieces=pieces,
            to_line_end=passes > _EXACT_PASSES,
        )
        published, pieces = _apply(text, removals)
    return Redaction(text=published, original=text, removals=removals)
