"""Throughput of the redaction engine on generated consultation replies.

    .venv/bin/python scripts/bench_redaction.py [--texts 100000] [--seed 7]

Prints texts and characters per second; a figure to watch, not a test.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engagement.moderation.redaction import MentionPolicy, redact  # noqa: E402

SENTENCES = (
    "I support the proposal but the funding is not enough.",
    "The bus from the village stopped running in 2023 and fares rose 12%.",
    "Option 3 is best; the A1 and the M25 are already gridlocked at 8am.",
    "Rents in SW1A and W1 are beyond anyone on a nurse's salary of £31,250.",
    "See https://www.gov.uk/guidance for the rules, paragraph 4.2.1.",
    "My reference is HUB-7K3Q-9XPA and the order number 1234 5678 9012 3456.",
    "Meet at the library @ 5pm on Thursday. #SaveOurBuses",
    "Thanks @DHSCgovuk for listening, and to everyone who came on 12/03/2024.",
    "Employers' NI contributions went up in April and our café cut hours.",
    "We waited from 14:05 until 16:45 for an ambulance.",
)
PERSONAL = (
    "Call me on 07700 900{n:03d}.",
    "Email resident{n}@example.co.uk if you need more.",
    "I live at LS1 {d}AP.",
    "My NI number is AB 12 34 {n2:02d} C.",
    "Card 4111 1111 1111 1111 was charged twice.",
    "Reset link https://app.example.com/reset?token=a{n}b{n}c did not work.",
    "As @neighbour_{n} said, the cuts hurt.",
    "Ring +44 (0)20 7946 0{n:03d} in the evening.",
)
POLICY = MentionPolicy(keep=frozenset({"DHSCgovuk"}))


def generated_replies(*, count: int, seed: int) -> list[str]:
    chooser = random.Random(seed)  # noqa: S311 - benchmark data, not security
    replies = []
    for _ in range(count):
        parts = chooser.sample(SENTENCES, k=chooser.randint(1, 4))
        if chooser.random() < 0.4:
            n = chooser.randint(0, 999)
            template = chooser.choice(PERSONAL)
            parts.insert(
                chooser.randint(0, len(parts)),
                template.format(n=n, n2=n % 100, d=n % 10),
            )
        replies.append(" ".join(parts))
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()

    replies = generated_replies(count=arguments.texts, seed=arguments.seed)
    characters = sum(len(reply) for reply in replies)
    started = time.perf_counter()
    removals = sum(len(redact(reply, mentions=POLICY).removals) for reply in replies)
    elapsed = time.perf_counter() - started

    print(f"{len(replies):,} replies, {characters:,} characters, {removals:,} removals")
    print(
        f"{elapsed:.2f} s: {len(replies) / elapsed:,.0f} texts/s, {characters / elapsed:,.0f} chars/s"
    )


if __name__ == "__main__":
    main()
