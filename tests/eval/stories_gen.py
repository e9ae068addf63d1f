"""Writes tests/eval/stories_eval.jsonl: fictional wire copy for the story-clustering eval.

Every sentence here is our own invention (no real feed text). Each event is told by
several outlets with their own headline and lede; many events share kind and day
with another event (two plant strikes, two sets of talks, two drone attacks on the
same morning) so the set tests precision as much as recall. Some events get a later
follow-up (the toll rises, a suspect is named) and some wire copy is reprinted
verbatim (syndication). Deterministic: ``python tests/eval/stories_gen.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("stories_eval.jsonl")
OUTLETS = [
    "Northwire",
    "Daily Ledger",
    "Harbor Times",
    "Eastline News",
    "Civic Post",
    "Meridian Wire",
    "Kite Radio",
    "Granite Herald",
    "Lantern Online",
    "Summit Journal",
]
UA_CITIES = [
    "Kharkiv",
    "Odesa",
    "Dnipro",
    "Zaporizhzhia",
    "Sumy",
    "Poltava",
    "Mykolaiv",
    "Kherson",
    "Chernihiv",
    "Lviv",
    "Vinnytsia",
    "Kryvyi Rih",
    "Kremenchuk",
    "Uzhhorod",
    "Rivne",
    "Kramatorsk",
    "Sloviansk",
    "Pavlohrad",
    "Nikopol",
    "Izmail",
    "Bila Tserkva",
    "Cherkasy",
]
WORLD_CITIES = [
    "Geneva",
    "Vienna",
    "Istanbul",
    "Doha",
    "Riyadh",
    "Oslo",
    "Helsinki",
    "Nairobi",
    "Jakarta",
    "Brasilia",
    "Singapore",
    "Cairo",
    "Warsaw",
    "Prague",
    "Lisbon",
    "Madrid",
    "Copenhagen",
    "Budapest",
    "Bangkok",
    "Manila",
    "Lima",
    "Santiago",
]
PLANT_CITIES = [
    "Detroit",
    "Bremen",
    "Turin",
    "Lyon",
    "Gdansk",
    "Ostrava",
    "Pune",
    "Monterrey",
    "Birmingham",
    "Leipzig",
    "Valencia",
    "Seville",
    "Krakow",
    "Chennai",
    "Toledo",
    "Porto",
    "Stuttgart",
    "Antwerp",
    "Rotterdam",
    "Graz",
    "Brno",
    "Curitiba",
    "Puebla",
    "Nagoya",
]
FIRMS = [
    "Norvale Motors",
    "Kestrel Steel",
    "Brightforge",
    "Altmark Chemie",
    "Pellam Aerospace",
    "Ridgeway Paper",
    "Corvina Foods",
    "Hallstrom Glass",
    "Veltra Batteries",
    "Ostwind Rail",
    "Quarry Lane Cement",
    "Sabelo Textiles",
    "Marrow Pharma",
    "Tessaly Tyres",
]
UNIONS = [
    "Metalworkers Union",
    "United Assembly Workers",
    "Transport and Allied Union",
    "Chemical Workers Federation",
    "General Trades Union",
]
PEOPLE = [
    "Oleh Marchenko",
    "Ivan Tkachuk",
    "Serhiy Bondar",
    "Nadia Kovalenko",
    "Petro Hlushko",
    "Anna Lysenko",
    "Mykola Savchuk",
    "Iryna Polishchuk",
    "Taras Melnyk",
    "Yulia Horbach",
]
MINISTERS = [
    ("Amara Okafor", "Nigeria"),
    ("Lena Brandt", "Germany"),
    ("Kenji Mori", "Japan"),
    ("Rafael Duarte", "Brazil"),
    ("Priya Raman", "India"),
    ("Tomas Novak", "Czechia"),
    ("Hassan Qadri", "Pakistan"),
    ("Sofia Lindqvist", "Sweden"),
    ("Marek Zielinski", "Poland"),
    ("Chloe Martin", "France"),
    ("Ahmet Kaya", "Turkey"),
    ("Lucia Ferraro", "Italy"),
]
PRODUCTS = [
    ("crude output", "barrels a day"),
    ("steel production", "tonnes a month"),
    ("chip production", "wafers a week"),
    ("car output", "vehicles a month"),
]
NUM_WORDS = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
}


def num(n: int, rng: random.Random) -> str:
    return NUM_WORDS[n] if n in NUM_WORDS and rng.random() < 0.5 else str(n)


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def drone_strike(rng: random.Random, city: str, ev: dict[str, Any]) -> list[tuple[str, str]]:
    k, w, gov, target = ev["killed"], ev["injured"], ev["person"], ev["target"]
    kw, ww = num(k, rng), num(w, rng)
    weapon = ev["weapon"]
    return [
        (
            f"Russian {weapon} strike on {city} {target} kills {kw}",
            f"A Russian {weapon} hit a {target} in {city} overnight, killing {kw} people and "
            f"wounding {ww}, regional governor {gov} said on Telegram.",
        ),
        (
            f"{cap(kw)} dead, {ww} wounded as {weapon} hits {city}",
            f"At least {kw} people were killed when a {weapon} struck a {target} in the city of "
            f"{city}, governor {gov} said, adding that rescuers were still searching the rubble.",
        ),
        (
            f"{city} {target} struck in overnight {weapon} attack",
            f"Russian forces attacked {city} with a {weapon} early on {ev['weekday']}, damaging a "
            f"{target}; {kw} people died and {ww} were injured, according to {gov}.",
        ),
        (
            f"Deadly {weapon} attack on {city}: {kw} killed",
            f"The {weapon} attack on {city} left {kw} dead. Governor {gov} said {ww} more were "
            f"taken to hospital after the {target} was hit.",
        ),
        (
            f"Ukraine says {weapon} attack killed {kw} in {city}",
            f"Ukrainian officials said a {weapon} launched by Russia killed {kw} civilians in "
            f"{city} and injured {ww}. The strike hit a {target}, {gov} said.",
        ),
    ]


def drone_followup(rng: random.Random, city: str, ev: dict[str, Any]) -> tuple[str, str]:
    k2 = ev["killed"] + rng.randint(2, 6)
    return (
        f"Death toll from {city} {ev['weapon']} strike rises to {k2}",
        f"The number of people killed by the {ev['weapon']} strike on a {ev['target']} in "
        f"{city} has risen to {k2}, governor {ev['person']} said as rescuers cleared rubble.",
    )


def labour_strike(rng: random.Random, city: str, ev: dict[str, Any]) -> list[tuple[str, str]]:
    firm, union, n = ev["firm"], ev["union"], ev["workers"]
    return [
        (
            f"Workers walk out at {firm} plant in {city}",
            f"About {n:,} workers at the {firm} plant in {city} went on strike on "
            f"{ev['weekday']} over pay, the {union} said.",
        ),
        (
            f"{firm} hit by strike at {city} factory",
            f"Production at {firm}'s {city} factory stopped after {n:,} members of the {union} "
            f"walked out demanding a {ev['pct']}% raise.",
        ),
        (
            f"{union} launches strike at {firm} in {city}",
            f"The {union} began an open-ended strike at the {firm} works in {city}, saying talks "
            f"on a {ev['pct']} percent pay rise had failed.",
        ),
        (
            f"Strike halts {firm} production in {city}",
            f"{firm} said output at its {city} plant was halted by a strike involving roughly "
            f"{n:,} employees; the union wants wages raised {ev['pct']}%.",
        ),
    ]


def talks(rng: random.Random, city: str, ev: dict[str, Any]) -> list[tuple[str, str]]:
    (a, ca), (b, cb), topic = ev["m1"], ev["m2"], ev["topic"]
    return [
        (
            f"{ca} and {cb} open {topic} talks in {city}",
            f"Foreign ministers {a} of {ca} and {b} of {cb} began two days of {topic} talks in "
            f"{city} on {ev['weekday']}.",
        ),
        (
            f"{a} meets {b} in {city} as {topic} negotiations start",
            f"{ca}'s {a} sat down with {cb}'s {b} in {city} for negotiations on {topic}, "
            f"officials from both sides said.",
        ),
        (
            f"{cb}, {ca} ministers hold {topic} talks",
            f"Ministers from {cb} and {ca} met in {city} to discuss {topic}. {b} said the "
            f"meeting with {a} was constructive.",
        ),
        (
            f"Talks on {topic} between {ca} and {cb} begin in {city}",
            f"Negotiators led by {a} and {b} opened talks on {topic} in {city}, hoping for a "
            f"framework deal within weeks.",
        ),
    ]


def plant_fire(rng: random.Random, city: str, ev: dict[str, Any]) -> list[tuple[str, str]]:
    firm, k = ev["firm"], ev["killed"]
    kw = num(k, rng)
    return [
        (
            f"Blast at {firm} plant in {city} kills {kw}",
            f"An explosion tore through a {firm} chemical plant in {city} on {ev['weekday']}, "
            f"killing {kw} workers, fire officials said.",
        ),
        (
            f"{cap(kw)} workers dead after explosion at {city} factory",
            f"{cap(kw)} people died when a tank exploded at the {firm} site in {city}; the cause "
            f"is under investigation.",
        ),
        (
            f"Fire and explosion at {firm} {city} site",
            f"Firefighters battled a blaze at {firm}'s {city} facility after an explosion that "
            f"killed {kw} staff, the company confirmed.",
        ),
        (
            f"{firm} confirms {kw} deaths in {city} plant explosion",
            f"{firm} said {kw} employees were killed in an explosion at its plant in {city} and "
            f"that production there was suspended.",
        ),
    ]


def fire_followup(rng: random.Random, city: str, ev: dict[str, Any]) -> tuple[str, str]:
    p = ev["person"]
    return (
        f"Police detain {firm_short(ev)} manager over {city} plant blast",
        f"Police in {city} detained {p}, a shift manager at the {ev['firm']} plant, over the "
        f"explosion that killed {ev['killed']} workers, prosecutors said.",
    )


def firm_short(ev: dict[str, Any]) -> str:
    return str(ev["firm"]).split()[0]


def output_policy(rng: random.Random, city: str, ev: dict[str, Any]) -> list[tuple[str, str]]:
    firm, (prod, _unit), pct, ceo = ev["firm"], ev["product"], ev["pct"], ev["person"]
    verb = ev["verb"]
    return [
        (
            f"{firm} to {verb} {prod} by {pct}%",
            f"{firm} will {verb} {prod} by {pct} percent from next month, chief executive {ceo} "
            f"told analysts at its headquarters in {city}.",
        ),
        (
            f"{firm} plans {pct}% {verb} in {prod}",
            f"{firm}, based in {city}, said it plans to {verb} {prod} by {pct}%, CEO {ceo} "
            f"announced on {ev['weekday']}.",
        ),
        (
            f"{ceo}: {firm} will {verb} {prod}",
            f"{firm} boss {ceo} said the company would {verb} {prod} by {pct} per cent, citing "
            f"demand; the group is based in {city}.",
        ),
    ]


KINDS = {
    "drone": (drone_strike, drone_followup, UA_CITIES),
    "labour": (labour_strike, None, PLANT_CITIES),
    "talks": (talks, None, WORLD_CITIES),
    "fire": (plant_fire, fire_followup, PLANT_CITIES),
    "policy": (output_policy, None, PLANT_CITIES),
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOPICS = ["trade", "energy", "fisheries", "border security", "grain exports", "climate finance"]


def event(kind: str, rng: random.Random, day: int) -> dict[str, Any]:
    m1, m2 = rng.sample(MINISTERS, 2)
    return {
        "kind": kind,
        "day": day,
        "weekday": WEEKDAYS[day % 7],
        "killed": rng.randint(2, 12),
        "injured": rng.randint(3, 40),
        "person": rng.choice(PEOPLE),
        "target": rng.choice(
            ["apartment block", "power plant", "school", "grain terminal", "hospital"]
        ),
        "weapon": rng.choice(["drone", "missile"]),
        "firm": rng.choice(FIRMS),
        "union": rng.choice(UNIONS),
        "workers": rng.choice([800, 1200, 2500, 4000, 6000]),
        "pct": rng.choice([5, 8, 10, 12, 15, 20]),
        "m1": m1,
        "m2": m2,
        "topic": rng.choice(TOPICS),
        "product": rng.choice(PRODUCTS),
        "verb": rng.choice(["cut", "raise"]),
    }


def build(seed: int = 7, n_stories: int = 170) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    used: dict[tuple[str, int], set[str]] = {}
    for sid in range(n_stories):
        kind = rng.choice(list(KINDS))
        render, followup, cities = KINDS[kind]
        day = rng.randint(0, 8)
        # the same kind of event in the same city on adjacent days would be told
        # identically; real repeats (a city shelled twice) are further apart
        taken = set().union(*(used.get((kind, d), set()) for d in (day - 1, day, day + 1)))
        city = rng.choice([c for c in cities if c not in taken])
        used.setdefault((kind, day), set()).add(city)
        ev = event(kind, rng, day)
        variants = render(rng, city, ev)
        n = rng.choice([1, 2, 3, 3, 4, 4, 5])
        outlets = rng.sample(OUTLETS, n + 2)
        t0 = day * 86400 + rng.randint(5, 20) * 3600
        picks = rng.sample(variants, min(n, len(variants)))
        arts = [
            (o, *p, t0 + i * rng.randint(5, 150) * 60)
            for i, (o, p) in enumerate(zip(outlets, picks, strict=False))
        ]
        if rng.random() < 0.2:  # a wire story reprinted word for word under a new headline
            _o, title, summary, t = arts[0]
            other = [v[0] for v in variants if v[0] != title]
            arts.append((outlets[-1], rng.choice(other), summary, t + 1800))
        if followup is not None and rng.random() < 0.35:
            title, summary = followup(rng, city, ev)
            arts.append((outlets[-2], title, summary, t0 + rng.randint(3, 20) * 3600))
        for j, (outlet, title, summary, t) in enumerate(arts):
            rows.append(
                {
                    "id": f"e{sid:03d}-{j}",
                    "story": f"story-{sid:03d}",
                    "title": title,
                    "summary": summary,
                    "source": outlet,
                    "published": f"2024-03-{4 + t // 86400:02d}T{t % 86400 // 3600:02d}:"
                    f"{t % 3600 // 60:02d}:00Z",
                }
            )
    rows.sort(key=lambda r: (r["published"], r["id"]))
    return rows


if __name__ == "__main__":
    rows = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} articles, {len({r['story'] for r in rows})} stories -> {OUT}")
