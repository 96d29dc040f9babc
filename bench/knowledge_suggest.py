"""Suggestion latency over a large knowledge base: ``python -m bench.knowledge_suggest``.

Fills the database ``DATABASE_URL`` names (migrated, and one of its own: the articles are
bulk-inserted) with ``--articles`` published articles written from an IT vocabulary, indexes
them through ``knowledge.search.reindex_all``, then times ``knowledge.search.suggest`` (what
the incident forms call while one types) for ``--samples`` typed sentences, as a requester
(portal articles only) and as an agent. Prints one JSON line: p50, p95 and max in ms.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/steward_bench
    .venv/bin/steward manage migrate
    .venv/bin/python -m bench.knowledge_suggest --articles 50000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from typing import Any

SUBJECTS = (
    "printer",
    "laptop",
    "vpn",
    "outlook",
    "mailbox",
    "password",
    "wifi",
    "monitor",
    "docking",
    "teams",
    "sharepoint",
    "onedrive",
    "browser",
    "certificate",
    "phone",
    "headset",
    "scanner",
    "database",
    "backup",
    "server",
    "firewall",
    "account",
    "license",
    "keyboard",
    "camera",
    "calendar",
    "badge",
    "desktop",
    "network",
    "drive",
    "excel",
    "word",
    "powerpoint",
)
PROBLEMS = (
    "offline",
    "slow",
    "crashes",
    "freezes",
    "locked",
    "expired",
    "missing",
    "disconnects",
    "blank",
    "error",
    "denied",
    "full",
    "stuck",
    "noisy",
    "flickers",
    "fails",
    "unreachable",
)
CONTEXT = (
    "after the update",
    "on the third floor",
    "from home",
    "every morning",
    "since monday",
    "when docked",
    "in meeting rooms",
    "for new starters",
    "on battery",
    "over the vpn",
)
FILLER_TEXT = (
    "open the settings and check the connection then restart the device and sign in again "
    "if the problem stays remove the stored credentials clear the cache and try once more "
    "ask your colleagues whether they see the same and note the time it happened contact "
    "the service desk with a screenshot of the message and the name of the device"
)
FILLER = tuple(FILLER_TEXT.split(" "))


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)} {rng.choice(CONTEXT)}"


def _article(rng: random.Random) -> tuple[str, str]:
    title = _sentence(rng).capitalize()
    words = [rng.choice(FILLER) for _ in range(rng.randint(60, 160))]
    for _ in range(6):
        words.insert(rng.randrange(len(words)), rng.choice(SUBJECTS + PROBLEMS))
    return title, " ".join(words)


def fill(articles: int, seed: int) -> dict[str, Any]:
    from django.db import transaction

    from steward.accounts.models import Person
    from steward.knowledge import search
    from steward.knowledge.models import Article

    if Article.objects.exists():
        raise SystemExit("The database already holds articles: use a fresh one.")
    rng = random.Random(seed)
    owner = Person.objects.create(email="bench-author@example.org", full_name="Bench author")
    started = time.perf_counter()
    with transaction.atomic():
        batch = []
        for n in range(articles):
            title, body = _article(rng)
            batch.append(
                Article(
                    title=title,
                    body=body,
                    owner=owner,
                    created_by=owner,
                    state="published",
                    audience="portal" if n % 3 else "agents",
                )
            )
            if len(batch) == 2000:
                Article.objects.bulk_create(batch)
                batch = []
        Article.objects.bulk_create(batch)
        indexed = search.reindex_all(batch_size=2000)
    return {"articles": indexed, "fill_s": round(time.perf_counter() - started, 1)}


def measure(samples: int, seed: int) -> dict[str, Any]:
    from django.contrib.auth.models import AnonymousUser  # noqa: F401  (Django is set up)

    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Person, Role
    from steward.knowledge import search

    rng = random.Random(seed + 1)
    requester = Person.objects.get_or_create(email="bench-requester@example.org")[0]
    agent = Person.objects.get_or_create(email="bench-agent@example.org")[0]
    agent.roles.add(Role.objects.get(code=RoleCode.AGENT))
    agent = Person.objects.get(pk=agent.pk)  # fresh permission cache
    typed = [
        f"{_sentence(rng)} {' '.join(rng.choice(FILLER) for _ in range(rng.randint(0, 12)))}"
        for _ in range(samples)
    ]
    result: dict[str, Any] = {}
    for label, person in (("requester", requester), ("agent", agent)):
        search.suggest(person, typed[0])  # warm the connection and caches
        times = []
        found = 0
        for text in typed:
            started = time.perf_counter()
            found += len(search.suggest(person, text))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        result[label] = {
            "p50_ms": round(times[len(times) // 2], 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "max_ms": round(times[-1], 1),
            "mean_suggestions": round(found / len(typed), 2),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Measure the articles already there.")
    options = parser.parse_args()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    django.setup()
    from django.db import connection

    from steward.knowledge.models import Article

    if options.reuse and Article.objects.exists():
        facts = {"articles": Article.objects.count(), "fill_s": None}
    else:
        facts = fill(options.articles, options.seed)
    figures = measure(options.samples, options.seed)
    print(
        json.dumps(
            {
                "bench": "knowledge_suggest",
                "vendor": connection.vendor,
                **facts,
                "samples": options.samples,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
