#!/usr/bin/env python3
"""Generate the frozen PII evaluation set: Tests/Fixtures/pii/sentences.jsonl.

The sentences come from presidio-evaluator's data generator
(PresidioSentenceFaker): its own template file, plus chat-style templates
defined below for the entities its templates cover thinly (IBAN, SSN, date of
birth, IPv6, ...) and for realistic negatives (order numbers, prices,
versions, URLs containing "@", non-Luhn 16-digit numbers, ...).

Every value is produced by Faker (or by the generator's own bundled record
data); nothing is tuned to suit a particular detector.

Output: one JSON object per line

    {"id": 1, "text": "...", "spans": [{"entity": "phone", "start": 12, "end": 26}]}

start/end are offsets in UTF-8 BYTES into text, end exclusive.

Scored entities: email, phone, credit_card, iban, ip_address, us_ssn,
date_of_birth. Other generated values keep unscored labels (person, location,
organization, date, url, ...) so the file says what is in the text.

Run from the repository root:

    python scripts/pii/generate.py

The output is deterministic for a given set of package versions
(scripts/pii/requirements.txt).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import ipaddress
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

# presidio-evaluator pulls in transformers/huggingface for its entity-mapping
# code; nothing here needs a hub, so keep them offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
from faker import Faker  # noqa: E402
from faker.providers import BaseProvider  # noqa: E402
from presidio_evaluator.data_generator import (  # noqa: E402
    PresidioSentenceFaker,
    presidio_templates_file_path,
)
from presidio_evaluator.data_generator.faker_extensions import (  # noqa: E402
    AddressProviderNew,
    AgeProvider,
    IpAddressProvider,
    NationalityProvider,
    OrganizationProvider,
    PhoneNumberProviderNew,
    ReligionProvider,
    UsDriverLicenseProvider,
)
from presidio_evaluator.data_generator.faker_extensions.datasets import (  # noqa: E402
    load_fake_person_df,
)

SEED = 20261121
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures" / "pii" / "sentences.jsonl"

SCORED = ["email", "phone", "credit_card", "iban", "ip_address", "us_ssn", "date_of_birth"]
MIN_PER_SCORED = 150
MIN_NEGATIVE_SENTENCES = 200
MIN_SENTENCES = 2200

# Fixed date windows: Faker's own date_of_birth()/date_time()/year() are
# relative to today, which would make the file change from day to day.
DOB_RANGE = (dt.date(1938, 1, 1), dt.date(2007, 12, 31))
OTHER_DATE_RANGE = (dt.date(2024, 1, 1), dt.date(2027, 12, 31))
DATETIME_RANGE = (dt.datetime(1970, 1, 1), dt.datetime(2025, 12, 31, 23, 59, 59))

MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]

PHONE_LOCALES = [
    ("en_US", 26), ("en_GB", 18), ("de_DE", 14), ("fr_FR", 14),
    ("en_CA", 5), ("en_AU", 5), ("en_IN", 5), ("es_ES", 4), ("it_IT", 4),
    ("nl_NL", 3), ("en_IE", 2),
]
# Locales whose Faker bank provider emits that country's IBAN.
IBAN_LOCALES = [
    "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_PT", "pl_PL",
    "de_AT", "de_CH", "fi_FI", "no_NO", "en_IE", "nl_BE", "da_DK", "cs_CZ",
    "ro_RO", "el_GR", "tr_TR",
]
EMAIL_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT"]
CARD_TYPES = [
    ("visa16", 30), ("mastercard", 25), ("amex", 12), ("discover", 8),
    ("visa13", 3), ("visa19", 3), ("jcb16", 6), ("jcb15", 2), ("diners", 5),
    ("maestro", 6),
]

# Placeholder name -> our label. None drops the span (the value is there, but
# it is not personal data of any kind we track: order numbers, prices, ...).
LABELS: dict[str, str | None] = {
    # scored
    "email": "email", "chat_email": "email",
    "phone_number": "phone", "chat_phone": "phone",
    "credit_card_number": "credit_card", "credit_card": "credit_card", "chat_card": "credit_card",
    "iban": "iban", "chat_iban": "iban",
    "ip_address": "ip_address", "chat_ipv4": "ip_address", "chat_ipv6": "ip_address",
    "ssn": "us_ssn", "chat_ssn": "us_ssn",
    "chat_dob": "date_of_birth",
    # dates: date_of_birth / birthday / date_time are resolved by template context
    "chat_date": "date", "year": "date", "day_of_week": "date",
    # unscored, kept for honesty
    "person": "person", "name": "person", "name_male": "person", "name_female": "person",
    "first_name": "person", "first_name_male": "person", "first_name_female": "person",
    "first_name_nonbinary": "person", "last_name": "person", "last_name_male": "person",
    "last_name_female": "person",
    "prefix": "title", "prefix_male": "title", "prefix_female": "title", "job": "title",
    "address": "location", "street_name": "location", "building_number": "location",
    "secondary_address": "location", "city": "location", "country": "location",
    "state": "location", "state_abbr": "location", "postcode": "location",
    "zipcode": "zip_code",
    "organization": "organization",
    "url": "url", "neg_at_url": "url",
    "nationality": "nrp", "nation_woman": "nrp", "nation_man": "nrp", "nation_plural": "nrp",
    "age": "age",
    "us_driver_license": "us_driver_license",
    "neg_handle": "username",
    "neg_bic": "bic",
    # negatives: no label
    "neg_order": None, "neg_invoice": None, "neg_tracking": None, "neg_price": None,
    "neg_time": None, "neg_version": None, "neg_non_luhn": None, "neg_last4": None,
    "neg_ticket": None, "neg_meeting_id": None, "neg_sku": None, "neg_port": None,
    "neg_cvv": None, "neg_expiry": None, "neg_otp": None, "neg_amount": None,
    "neg_build": None,
}
DATE_PLACEHOLDERS = {"date_of_birth", "birthday", "date_time"}
DOB_CONTEXT = re.compile(r"\bborn\b|date of birth|\bd\.?o\.?b\b|birthday|birth ?date", re.I)


# --------------------------------------------------------------------------
# Faker provider for the chat templates
# --------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


class ChatPiiProvider(BaseProvider):
    """Values for the chat templates. Everything comes from Faker generators;
    only the written form varies (grouping, date format) the way people type it."""

    def __init__(self, generator) -> None:
        super().__init__(generator)
        # Faker instances share one RNG (seeded by Faker.seed), so these are
        # deterministic as long as the call order is.
        locales = sorted({l for l, _ in PHONE_LOCALES} | set(IBAN_LOCALES) | set(EMAIL_LOCALES))
        self._fk = {loc: Faker(loc) for loc in locales}
        self._en = self._fk["en_US"]

    # -- utilities
    def _rnd(self) -> random.Random:
        return self.generator.random

    def _weighted(self, pairs):
        items = [p[0] for p in pairs]
        weights = [p[1] for p in pairs]
        return self._rnd().choices(items, weights=weights, k=1)[0]

    @staticmethod
    def _group(s: str, sizes, sep: str) -> str:
        out, i = [], 0
        for n in sizes:
            out.append(s[i:i + n])
            i += n
        if i < len(s):
            out.append(s[i:])
        return sep.join(out)

    def _format_date(self, d: dt.date) -> str:
        style = self._rnd().randrange(11)
        if style == 0:
            return d.strftime("%m/%d/%Y")
        if style == 1:
            return f"{d.month}/{d.day}/{d.year}"
        if style == 2:
            return d.strftime("%d/%m/%Y")
        if style == 3:
            return d.strftime("%d.%m.%Y")
        if style == 4:
            return d.isoformat()
        if style == 5:
            return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        if style == 6:
            return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        if style == 7:
            return f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}"
        if style == 8:
            return d.strftime("%d-%m-%Y")
        if style == 9:
            return d.strftime("%m/%d/%y")
        return f"{d.day}.{d.month}.{d.year}"

    # -- overrides of date providers used by the library templates (fixed windows)
    def date_of_birth(self) -> str:
        return f"{self.generator.date_between_dates(*DOB_RANGE):%m/%d/%Y}"

    def date_time(self) -> dt.datetime:
        return self.generator.date_time_between_dates(*DATETIME_RANGE)

    def year(self) -> str:
        return str(self._rnd().randint(1950, 2025))

    # -- scored
    def chat_phone(self) -> str:
        return self._fk[self._weighted(PHONE_LOCALES)].phone_number()

    def chat_card(self) -> str:
        number = self._en.credit_card_number(card_type=self._weighted(CARD_TYPES))
        assert luhn_ok(number), number
        roll = self._rnd().random()
        if roll < 0.55:
            return number
        sep = " " if roll < 0.85 else "-"
        if len(number) == 16:
            return self._group(number, [4, 4, 4, 4], sep)
        if len(number) == 15:
            return self._group(number, [4, 6, 5], sep)
        if len(number) == 14:
            return self._group(number, [4, 6, 4], sep)
        return number

    def chat_iban(self) -> str:
        value = self._fk[self._rnd().choice(IBAN_LOCALES)].iban()
        assert iban_ok(value), value
        if self._rnd().random() < 0.5:
            return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
        return value

    def chat_ipv4(self) -> str:
        kind = self._rnd().randrange(3)
        if kind == 0:
            return self._en.ipv4()
        if kind == 1:
            return self._en.ipv4_public()
        return self._en.ipv4_private()

    def chat_ipv6(self) -> str:
        value = self._en.ipv6()
        if self._rnd().random() < 0.35:
            # Real IPv6 addresses usually carry a run of zero groups.
            groups = value.split(":")
            start = self._rnd().randint(2, 5)
            run = self._rnd().randint(2, 8 - start - 1)
            for i in range(start, start + run):
                groups[i] = "0"
            value = ipaddress.IPv6Address(":".join(groups)).compressed
        return value

    def chat_ssn(self) -> str:
        value = self._en.ssn()
        if self._rnd().random() < 0.15:
            return value.replace("-", "")
        return value

    def chat_dob(self) -> str:
        return self._format_date(self.generator.date_between_dates(*DOB_RANGE))

    def chat_email(self) -> str:
        f = self._fk[self._rnd().choice(EMAIL_LOCALES)]
        kind = self._rnd().randrange(3)
        if kind == 0:
            return f.email()
        if kind == 1:
            return f.free_email()
        return f.company_email()

    # -- unscored / negatives
    def chat_date(self) -> str:
        return self._format_date(self.generator.date_between_dates(*OTHER_DATE_RANGE))

    def neg_order(self) -> str:
        return self._en.numerify(self._rnd().choice(
            ["%#######", "%#######", "%########", "ORD-%#######", "#%######"]))

    def neg_invoice(self) -> str:
        return self._en.numerify(self._rnd().choice(
            ["INV-2026-%####", "%#########", "%#######", "2026%#####"]))

    def neg_tracking(self) -> str:
        kind = self._rnd().randrange(4)
        if kind == 0:  # UPS
            return "1Z" + self._en.bothify("???###??########", letters="ABCDEFGHJKLMNPRSTUVWXYZ")
        if kind == 1:  # USPS, as printed
            return self._en.numerify("9400 1%## #### #### #### ##")
        if kind == 2:  # USPS, compact
            return self._en.numerify("92%###################")
        return self._en.numerify("%#########")  # DHL Express

    def neg_price(self) -> str:
        amount = self._rnd().randint(100, 250000) / 100
        kind = self._rnd().randrange(4)
        if kind == 0:
            return f"${amount:,.2f}"
        if kind == 1:
            return f"€{amount:.2f}".replace(".", ",")
        if kind == 2:
            return f"£{amount:,.2f}"
        return f"{amount:.2f} EUR"

    def neg_amount(self) -> str:
        return f"{self._rnd().randint(1000, 9_999_999):,}"

    def neg_time(self) -> str:
        h, m = self._rnd().randint(0, 23), self._rnd().choice([0, 15, 30, 45, 5, 50])
        kind = self._rnd().randrange(3)
        if kind == 0:
            return f"{h:02d}:{m:02d}"
        h12 = h % 12 or 12
        if kind == 1:
            return f"{h12}:{m:02d}{'am' if h < 12 else 'pm'}"
        return f"{h12} {'AM' if h < 12 else 'PM'}"

    def neg_version(self) -> str:
        r = self._rnd()
        kind = r.randrange(4)
        a, b, c = r.randint(0, 19), r.randint(0, 30), r.randint(0, 99)
        if kind == 0:
            return f"v{a}.{b}.{c}"
        if kind == 1:
            return f"{a}.{b}.{c}"
        if kind == 2:
            return f"{a}.{b}.{c}-beta.{r.randint(1, 9)}"
        return f"{a}.{b}.{r.randint(10000, 99999)}"

    def neg_build(self) -> str:
        return f"{self._rnd().randint(2019, 2026)}.{self._rnd().randint(1, 12)}.{self._rnd().randint(1, 400)}"

    def neg_at_url(self) -> str:
        r = self._rnd()
        user = self._en.user_name()
        kind = r.randrange(4)
        if kind == 0:
            return f"https://{self._en.domain_name()}/@{user}"
        if kind == 1:
            return f"https://medium.com/@{user}/{self._en.slug()}-{self._en.hexify('^^^^^^^^^^^^')}"
        if kind == 2:
            return f"https://www.tiktok.com/@{user}/video/{self._en.numerify('7%#################')}"
        return f"https://mastodon.social/@{user}"

    def neg_handle(self) -> str:
        return "@" + self._en.user_name()

    def neg_non_luhn(self) -> str:
        r = self._rnd()
        while True:
            digits = str(r.randint(3, 6)) + "".join(str(r.randrange(10)) for _ in range(15))
            if not luhn_ok(digits):
                break
        if r.random() < 0.35:
            return self._group(digits, [4, 4, 4, 4], " ")
        return digits

    def neg_last4(self) -> str:
        return self._en.numerify("####")

    def neg_ticket(self) -> str:
        return self._en.numerify(self._rnd().choice(["#%####", "CS-%#####", "SUP-%###", "%######"]))

    def neg_meeting_id(self) -> str:
        return self._en.numerify("%## #### ####")

    def neg_sku(self) -> str:
        return self._en.bothify("??-####-??", letters="ABCDEFGHJKLMNPQRSTUVWXYZ")

    def neg_port(self) -> str:
        return str(self._rnd().choice([22, 80, 443, 3000, 5432, 6379, 8080, 8443, 9200]))

    def neg_cvv(self) -> str:
        return self._en.numerify("###")

    def neg_expiry(self) -> str:
        return f"{self._rnd().randint(1, 12):02d}/{self._rnd().randint(26, 32)}"

    def neg_otp(self) -> str:
        return self._en.numerify("%#####")

    def neg_bic(self) -> str:
        return self._en.swift()


# --------------------------------------------------------------------------
# Chat templates: (group name, how many sentences, templates)
# --------------------------------------------------------------------------

CHAT_GROUPS: list[tuple[str, int, list[str]]] = [
    ("phone", 230, [
        "you can reach me on {{chat_phone}} after 6",
        "my number is {{chat_phone}}",
        "call me at {{chat_phone}} pls",
        "text me on {{chat_phone}} when you're outside",
        "new number, save it: {{chat_phone}}",
        "Hi, {{first_name}} here. My mobile is {{chat_phone}}, the old one doesn't work anymore",
        "can the courier ring {{chat_phone}} instead?",
        "ph: {{chat_phone}}",
        "WhatsApp: {{chat_phone}} 👍",
        "Merci ! Mon numéro : {{chat_phone}}",
        "if no answer try my landline {{chat_phone}} or my cell {{chat_phone}}",
        "Kontakt: {{chat_phone}} (nur abends) – danke!",
        "best to call {{chat_phone}} between 9–5",
        "pls update my contact number to {{chat_phone}} thx",
        "{{chat_phone}} is my work phone, don't call it on weekends",
        "The delivery guy keeps calling {{chat_phone}} but that's not me",
        "Tel.: {{chat_phone}}",
        "my wife's number is {{chat_phone}} if I don't pick up",
        "📞 {{chat_phone}}",
        "could someone from billing phone me back? {{chat_phone}}",
    ]),
    ("credit_card", 210, [
        "my card is {{chat_card}}",
        "card no. {{chat_card}} exp {{neg_expiry}}",
        "I got charged twice on {{chat_card}}, can you refund one?",
        "here's the number {{chat_card}} cvv is {{neg_cvv}}",
        "pay with {{chat_card}} please",
        "I used my card {{chat_card}} for order {{neg_order}}",
        "Can you remove {{chat_card}} from my account? I cancelled that card",
        "the payment with {{chat_card}} keeps failing 😤",
        "Karte: {{chat_card}}",
        "please put it on {{chat_card}}, expiry {{neg_expiry}}",
        "my new card number is {{chat_card}}, the old one was stolen",
        "cc# {{chat_card}}",
        "Is {{chat_card}} still on file? I want to use that one",
        "{{first_name}} said to use the company card: {{chat_card}}",
    ]),
    ("iban", 210, [
        "my IBAN is {{chat_iban}}",
        "please send the refund to {{chat_iban}}",
        "IBAN: {{chat_iban}} (account holder {{person}})",
        "wire it to {{chat_iban}}, BIC {{neg_bic}}",
        "Kontonummer / IBAN {{chat_iban}}",
        "can you change my payout account to {{chat_iban}}?",
        "the transfer from {{chat_iban}} bounced, any idea why?",
        "bank details: {{chat_iban}}",
        "Voici mon RIB : {{chat_iban}}",
        "pay the invoice into {{chat_iban}} please, reference {{neg_invoice}}",
        "I think I typed my IBAN wrong, it should be {{chat_iban}}",
    ]),
    ("ipv4", 150, [
        "my ip is {{chat_ipv4}}",
        "getting 403 from {{chat_ipv4}} since this morning",
        "server at {{chat_ipv4}}:{{neg_port}} is down again",
        "ssh into {{chat_ipv4}} and restart it",
        "ping {{chat_ipv4}} → timeout",
        "can you whitelist {{chat_ipv4}} for our office?",
        "login from {{chat_ipv4}} at {{neg_time}}, that wasn't me",
        "the printer is on {{chat_ipv4}}",
        "DNS resolves to {{chat_ipv4}} but the site won't load",
        "blocked IP: {{chat_ipv4}}",
    ]),
    ("ipv6", 90, [
        "whitelist {{chat_ipv6}} please",
        "login from unknown IP {{chat_ipv6}}?? wasn't me",
        "the VPN gives me {{chat_ipv6}} now",
        "our IPv6 is {{chat_ipv6}}",
        "connection refused from {{chat_ipv6}}",
        "ip6 address {{chat_ipv6}} is on the ban list, why?",
    ]),
    ("ssn", 185, [
        "my SSN is {{chat_ssn}}",
        "social: {{chat_ssn}}",
        "for the tax form, SSN {{chat_ssn}}",
        "Here is my social security number {{chat_ssn}}, please keep it safe",
        "last time I gave you {{chat_ssn}} as my ssn, is that wrong?",
        "SSN# {{chat_ssn}}",
        "do you really need my social? fine, it's {{chat_ssn}}",
        "the W-9 has my SSN as {{chat_ssn}}",
        "{{person}}, SSN {{chat_ssn}}",
    ]),
    ("dob", 190, [
        "DOB: {{chat_dob}}",
        "I was born on {{chat_dob}}",
        "date of birth {{chat_dob}}",
        "my birthday is {{chat_dob}} 🎂",
        "born {{chat_dob}} in {{city}}",
        "Name: {{person}}, DOB {{chat_dob}}",
        "for verification: d.o.b. {{chat_dob}}",
        "the form says my date of birth is {{chat_dob}} but that's wrong",
        "my son was born {{chat_dob}}, can I add him?",
        "Geburtsdatum (date of birth): {{chat_dob}}",
        "birthdate {{chat_dob}}",
    ]),
    ("email", 190, [
        "email me at {{chat_email}}",
        "my email is {{chat_email}}, not the old one",
        "cc {{chat_email}} on the invoice pls",
        "{{chat_email}} is my login",
        "send it to {{chat_email}} or {{chat_email}}",
        "can you update my email to {{chat_email}}?",
        "I never got the reset link at {{chat_email}}",
        "Contact: {{chat_email}}",
        "Mon adresse e-mail : {{chat_email}}",
        "forward the receipt to {{chat_email}} thanks 🙏",
    ]),
    ("mixed", 170, [
        "Hi, I'm {{person}}: {{chat_email}}, {{chat_phone}}",
        "ssn {{chat_ssn}} dob {{chat_dob}}",
        "name {{person}}\ndob {{chat_dob}}\nphone {{chat_phone}}",
        "refund to {{chat_iban}} or back to the card {{chat_card}}, whichever is quicker",
        "login from {{chat_ipv4}} with {{chat_email}}, I didn't do that",
        "my details: {{chat_email}} / {{chat_phone}} / born {{chat_dob}}",
        "Card {{chat_card}}, billing email {{chat_email}}",
        "account locked after login from {{chat_ipv6}}, my email is {{chat_email}}",
        "SSN {{chat_ssn}}, IBAN {{chat_iban}}",
        "call {{chat_phone}} or email {{chat_email}}, I'm in {{city}} until {{chat_date}}",
    ]),
    ("dates", 70, [
        "the meeting moved to {{chat_date}}",
        "delivery expected {{chat_date}}",
        "my appointment on {{chat_date}} at {{neg_time}} – can I move it?",
        "the invoice dated {{chat_date}} is wrong",
        "contract ends {{chat_date}}, do I need to cancel before then?",
        "the sale ends {{chat_date}}, right?",
    ]),
    ("negatives", 300, [
        "order {{neg_order}} still hasn't arrived",
        "invoice #{{neg_invoice}} is overdue?",
        "tracking number {{neg_tracking}}",
        "it costs {{neg_price}} now, was cheaper last week",
        "see you at {{neg_time}}",
        "we're on {{neg_version}} of the app and it still crashes",
        "check my profile {{neg_at_url}}",
        "ref {{neg_non_luhn}} from the bank statement, what is it?",
        "ticket {{neg_ticket}} was closed without a reply",
        "ping {{neg_handle}} in the channel",
        "my card ending in {{neg_last4}} was declined",
        "SKU {{neg_sku}} is out of stock again",
        "release notes for {{neg_version}}: fixed the login bug",
        "Total: {{neg_price}} incl. VAT, invoice {{neg_invoice}}",
        "zoom id {{neg_meeting_id}}",
        "lmk when {{neg_order}} ships",
        "the build {{neg_build}} failed on step 3",
        "your code is {{neg_otp}}, don't share it",
        "we have {{neg_amount}} users now 🎉",
        "refund of {{neg_price}} for order {{neg_order}} please",
        "parcel {{neg_tracking}} says delivered but nothing here",
        "follow us: {{neg_at_url}}",
        "the number on the back of the gift card is {{neg_non_luhn}}",
        "customer id {{neg_order}} – same as last time",
        "port {{neg_port}} is closed on the staging box",
        "the shop opens at {{neg_time}} tomorrow",
    ]),
]


# --------------------------------------------------------------------------

# PresidioSentenceFaker turns "<" and ">" into "{{" and "}}" (an alternative
# placeholder syntax), which would mangle the e-mail style "> " quoting in two
# library templates. They travel as private-use characters instead and are put
# back after generation; both sides are one character, so offsets do not move.
LT_STANDIN, GT_STANDIN = "\ue000", "\ue001"


def preprocess_library_template(line: str) -> str:
    # The bundled template file writes line breaks as a literal backslash-n
    # (and one "\,"); chat messages carry real line breaks.
    line = line.replace("\\n", "\n").replace("\\,", ",")
    return line.replace("<", LT_STANDIN).replace(">", GT_STANDIN)


def library_providers():
    # HospitalProvider is left out: it queries WikiData when constructed
    # (network), and no template uses it.
    return [
        IpAddressProvider, NationalityProvider, OrganizationProvider,
        UsDriverLicenseProvider, AgeProvider, AddressProviderNew,
        PhoneNumberProviderNew, ReligionProvider, ChatPiiProvider,
    ]


def placeholders_in(templates) -> list[str]:
    names = set()
    for t in templates:
        names.update(m.lower() for m in re.findall(r"\{\{\s*(\w+)", t))
    return sorted(names)


def make_faker(templates, records, seed) -> PresidioSentenceFaker:
    identity = {name: name for name in placeholders_in(templates)}
    identity.update({"credit_card": "credit_card", "birthday": "birthday"})
    return PresidioSentenceFaker(
        locale="en_US",
        lower_case_ratio=0.0,
        sentence_templates=templates,
        entity_providers=library_providers(),
        base_records=records,
        entity_type_mapping=identity,
        random_seed=seed,
    )


def label_for(placeholder: str, template: str) -> str | None:
    if placeholder in DATE_PLACEHOLDERS:
        return "date_of_birth" if DOB_CONTEXT.search(template) else "date"
    if placeholder not in LABELS:
        raise KeyError(f"no label for placeholder {placeholder!r} (template {template!r})")
    return LABELS[placeholder]


def to_record(sample, source: str) -> dict:
    text = sample.full_text.replace(LT_STANDIN, "<").replace(GT_STANDIN, ">")
    template = (sample.masked or "").replace(LT_STANDIN, "<").replace(GT_STANDIN, ">")
    spans = []
    for span in sample.spans:
        value = str(span.entity_value)
        cs, ce = span.start_position, span.end_position
        if text[cs:ce] != value:
            raise AssertionError(f"span mismatch {text[cs:ce]!r} != {value!r} in {text!r}")
        label = label_for(span.entity_type, template)
        if label is None:
            continue
        bs = len(text[:cs].encode("utf-8"))
        be = bs + len(value.encode("utf-8"))
        if text.encode("utf-8")[bs:be].decode("utf-8") != value:
            raise AssertionError(f"byte offsets wrong for {value!r} in {text!r}")
        spans.append({"entity": label, "start": bs, "end": be})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    for a, b in zip(spans, spans[1:]):
        if b["start"] < a["end"]:
            raise AssertionError(f"overlapping spans in {text!r}: {a} {b}")
    return {"text": text, "spans": spans, "_source": source}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--library-sentences", type=int, default=1000,
                    help="sentences drawn from presidio-evaluator's own template file")
    args = ap.parse_args()

    random.seed(SEED)
    np.random.seed(SEED)
    Faker.seed(SEED)
    records = load_fake_person_df()

    library_templates = [
        preprocess_library_template(line.strip())
        for line in presidio_templates_file_path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]

    rows: list[dict] = []
    faker = make_faker(library_templates, records, SEED)
    for sample in faker.generate_new_fake_sentences(args.library_sentences):
        rows.append(to_record(sample, "presidio-evaluator templates"))

    for i, (group, count, templates) in enumerate(CHAT_GROUPS, start=1):
        faker = make_faker(templates, records, SEED + i)
        for sample in faker.generate_new_fake_sentences(count):
            rows.append(to_record(sample, f"chat:{group}"))

    random.Random(SEED).shuffle(rows)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as fh:
        for idx, row in enumerate(rows, start=1):
            obj = {"id": idx, "text": row["text"], "spans": row["spans"]}
            fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")

    # Re-read and check what was written.
    counts: Counter = Counter()
    negatives = 0
    non_ascii = 0
    n = 0
    with args.out.open(encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            n += 1
            raw = obj["text"].encode("utf-8")
            if len(raw) != len(obj["text"]):
                non_ascii += 1
            scored = 0
            for s in obj["spans"]:
                raw[s["start"]:s["end"]].decode("utf-8")  # must be a whole-character slice
                counts[s["entity"]] += 1
                scored += s["entity"] in SCORED
            negatives += scored == 0

    size = args.out.stat().st_size
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"\nwrote {args.out} ({n} sentences, {size} bytes, sha256 {digest})")
    print(f"sentences with no scored entity: {negatives}; with non-ASCII text: {non_ascii}")
    print("\n| entity | spans | scored |\n| --- | ---: | --- |")
    for ent in SCORED:
        print(f"| {ent} | {counts[ent]} | yes |")
    for ent, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if ent not in SCORED:
            print(f"| {ent} | {c} | no |")

    problems = [f"{e}: {counts[e]} < {MIN_PER_SCORED}" for e in SCORED if counts[e] < MIN_PER_SCORED]
    if n < MIN_SENTENCES:
        problems.append(f"only {n} sentences")
    if negatives < MIN_NEGATIVE_SENTENCES:
        problems.append(f"only {negatives} sentences without a scored entity")
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
