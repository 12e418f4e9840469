"""CQC ratings (FEEDS.md §2): the monthly "Latest ratings" spreadsheet and the public API's location documents.

One inspection history per NHS location drives both. Planted, for the analysis to find (truth in `cqc_truth`):
- ratings follow each trust's latent condition (worse condition, worse ratings) — so they line up with finance
  and workforce, which draw on the same condition;
- ratings improve on average over time (2014–16 inspections worse than recent ones);
- pockets of poor care: in some trusts rated Good or Outstanding, one core service rated Inadequate or RI;
- inherited ratings: a merged trust's sites carry the predecessor's ratings (flag Y) until re-inspected.
"""
from __future__ import annotations

import calendar
import csv
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from simulator.archives import entry, save_workbook
from simulator.england import England, Trust

KEY_QUESTIONS = ["Safe", "Effective", "Caring", "Responsive", "Well-led"]
DOMAINS = ["Overall", *KEY_QUESTIONS]
RATINGS = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
SERVICES = {
    "acute": ["Urgent and emergency services", "Medical care (including older people's care)", "Surgery",
              "Critical care", "Maternity", "Services for children and young people", "End of life care",
              "Outpatients"],
    "mental_health": ["Acute wards for adults of working age and psychiatric intensive care units",
                      "Community-based mental health services for adults of working age",
                      "Child and adolescent mental health wards", "Wards for older people with mental health problems",
                      "Mental health crisis services and health-based places of safety"],
    "community": ["Community health services for adults", "Community health services for children and young people",
                  "Community health inpatient services", "Community end of life care"],
    "ambulance": ["Emergency operations centre (EOC)", "Urgent and emergency care", "Patient transport services"],
}
SITES = {"acute": (2, 5), "mental_health": (3, 6), "community": (2, 4), "ambulance": (1, 3)}
LOCATION_TYPE = {"acute": "NHS Healthcare Organisation", "mental_health": "NHS Healthcare Organisation",
                 "community": "NHS Healthcare Organisation", "ambulance": "NHS Healthcare Organisation",
                 "social_care": "Social Care Org"}
CATEGORY = {"acute": "Acute hospital - NHS non-specialist", "mental_health": "Mental health - community & hospital based",
            "community": "Community health - NHS & Independent", "ambulance": "Ambulance service",
            "social_care": "Residential social care"}
FIRST_INSPECTIONS = date(2014, 1, 1)
PUBLICATION_LAG = timedelta(days=70)

# Columns of the two sheets (FEEDS.md §2b). From LAYOUT_CHANGE the CCG columns are renamed for ICBs — simulated,
# to give the parsers a renamed header to detect between releases, as the real files have had.
LOCATION_COLUMNS_2021 = [
    "Location ID", "Location ODS Code", "Location Name", "Care Home?", "Location Type",
    "Location Primary Inspection Category", "Location Street Address", "Location Address Line 2", "Location City",
    "Location Post Code", "Location Local Authority", "Location Region", "Location NHS Region",
    "Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
    "Location Commissioning CCG Name", "Service / Population Group", "Domain", "Latest Rating", "Publication Date",
    "Report Type", "Inherited Rating (Y/N)", "URL", "Provider ID", "Provider Name", "Brand ID", "Brand Name"]
LOCATION_COLUMNS_2026 = [c.replace("CCG", "ICB") for c in LOCATION_COLUMNS_2021]
PROVIDER_COLUMNS = [
    "Provider ID", "Provider ODS Code", "Provider Name", "Provider Type", "Provider Primary Inspection Category",
    "Provider Street Address", "Provider Address Line 2", "Provider City", "Provider Post Code",
    "Provider Local Authority", "Provider Region", "Provider NHS Region", "Service / Population Group", "Domain",
    "Latest Rating", "Publication Date", "Report Type", "Inherited Rating (Y/N)", "URL", "Brand ID", "Brand Name"]
LAYOUT_CHANGE = date(2026, 8, 1)
REGION_NAME = {"Y56": "London", "Y58": "South West", "Y59": "South East", "Y60": "Midlands", "Y61": "East of England",
               "Y62": "North West", "Y63": "North East and Yorkshire"}


@dataclass
class Inspection:
    published: date
    report_id: str
    # (service or "Overall", domain) → rating word; services a location holds
    ratings: dict[tuple[str, str], str] = field(default_factory=dict)
    inherited: bool = False
    # What the API's history shows of it (FEEDS.md §2a, as real documents do): its overall may be left unrated (the
    # report rated key questions only), and a second report may share its date (an inspection not rated).
    overall_rated: bool = True
    same_day_report: str | None = None


@dataclass
class Location:
    location_id: str
    provider_id: str
    name: str
    kind: str
    services: list[str]
    trust: Trust
    inspections: list[Inspection] = field(default_factory=list)
    planted_pocket: str | None = None   # the core service planted as a pocket of poor care, if any

    def latest(self, on: date) -> Inspection | None:
        published = [i for i in self.inspections if i.published <= on]
        return published[-1] if published else None


def _rating(rng: random.Random, condition: float, when: date, shift: float = 0.0) -> str:
    # higher condition is worse; ratings improve by about 0.12 of a standard deviation a year
    quality = -0.8 * condition + 0.12 * (when.year - 2018) + shift + rng.gauss(0, 0.7)
    if quality < -1.5:
        return "Inadequate"
    if quality < -0.35:
        return "Requires improvement"
    if quality < 1.4:
        return "Good"
    return "Outstanding"


def aggregate(ratings: list[str]) -> str:
    """CQC aggregation principles (DOMAIN.md), as the simulator applies them to write consistent overalls."""
    rated = [r for r in ratings if r in RATINGS]
    if not rated:
        return "No published rating"
    if rated.count("Inadequate") >= 2:
        return "Inadequate"
    if rated.count("Requires improvement") >= 2 or ("Inadequate" in rated):
        return "Requires improvement"
    if rated.count("Outstanding") >= 2 and all(r in ("Good", "Outstanding") for r in rated):
        return "Outstanding"
    return "Good"


def build_locations(world: England, with_social_care: bool = False) -> list[Location]:
    rng = random.Random(f"{world.scale}:{world.seed}:cqc")
    successors = {s.old_code: s for s in world.successions}
    by_trust: dict[str, list[Location]] = {}
    locations = []
    for trust in sorted((t for t in world.trusts if t.icb), key=lambda t: t.open_date):
        low, high = SITES[trust.kind]
        sites = []
        for n in range(1, rng.randint(low, high) + 1):
            services = sorted(rng.sample(SERVICES[trust.kind], k=rng.randint(2, len(SERVICES[trust.kind]))))
            sites.append(Location(f"{trust.code}{n:02d}", trust.code, f"{trust.address[3].title()} "
                                  f"{['Hospital', 'General Hospital', 'Centre', 'House', 'Unit'][n % 5]}",
                                  trust.kind, services, trust))
        by_trust[trust.code] = sites
        locations += sites
    for location in locations:
        _inspect(location, world, rng, successors, by_trust)
    _plant_pockets(world, locations)
    locations += _plant_api_quirks(world, locations)
    if with_social_care:  # its own random stream: the NHS part is the same with or without it
        locations += _social_care(world)
    return locations


def _social_care(world: England) -> list[Location]:
    """Care homes and home-care agencies: one location each, ids like 1-115574477, rated at location level only."""
    rng = random.Random(f"{world.scale}:{world.seed}:cqc-social-care")
    regions = {r.code: r for r in world.regions}
    locations = []
    for _ in range(300 if world.scale == "national" else 20):
        icb = rng.choice(world.icbs)
        place = rng.choice(["ASH", "OAK", "ELM", "BIRCH", "WILLOW", "ROWAN", "MAPLE", "CEDAR"])
        provider = Trust(code=f"1-{rng.randint(100000000, 999999999)}", name=f"{place} CARE LIMITED",
                         kind="social_care", region=icb.region, icb=icb.code, gor=regions[icb.region].gor,
                         address=["", f"{rng.randint(1, 90)} {place} ROAD", "", place, ""], postcode="AB1 2CD",
                         open_date=date(2010, 10, 1) + timedelta(days=rng.randint(0, 3000)),
                         condition=rng.gauss(0, 1))
        location = Location(f"1-{rng.randint(100000000, 999999999)}", provider.code,
                            f"{place.title()} {rng.choice(['House', 'Lodge', 'Court', 'Home Care'])}", "social_care",
                            [], provider)
        _inspect(location, world, rng, {}, {})
        locations.append(location)
    return locations


def _inspect(location: Location, world: England, rng: random.Random, successors, by_trust) -> None:
    trust = location.trust
    start = max(trust.open_date, FIRST_INSPECTIONS)
    end = trust.close_date or world.as_of
    # a merged trust's site starts with its predecessor's last ratings, flagged as inherited
    predecessor = next((s.old_code for s in world.successions if s.new_code == trust.code), None)
    if predecessor and by_trust.get(predecessor):
        source = by_trust[predecessor][(int(location.location_id[-2:]) - 1) % len(by_trust[predecessor])]
        last = source.latest(trust.open_date)
        if last:
            location.services = list(source.services)
            location.inspections.append(Inspection(trust.open_date, f"INH-{location.location_id}",
                                                   dict(last.ratings), inherited=True))
        start = trust.open_date + timedelta(days=rng.randint(200, 900))
    day = start + timedelta(days=rng.randint(0, 700))
    while day + PUBLICATION_LAG <= end:
        published = day + PUBLICATION_LAG
        ratings = {}
        if not location.services:  # social care: rated at location level only
            for q in KEY_QUESTIONS:
                ratings[("Overall", q)] = _rating(rng, trust.condition, day)
        for service in location.services:
            kq = {q: _rating(rng, trust.condition, day) for q in KEY_QUESTIONS}
            if rng.random() < 0.03:
                kq["Responsive"] = rng.choice(["Inspected but not rated", "Insufficient evidence to rate"])
            ratings.update({(service, q): r for q, r in kq.items()})
            ratings[(service, "Overall")] = aggregate(list(kq.values()))
        for q in KEY_QUESTIONS if location.services else []:
            ratings[("Overall", q)] = aggregate([ratings[(s, q)] for s in location.services])
        ratings[("Overall", "Overall")] = aggregate([ratings[("Overall", q)] for q in KEY_QUESTIONS])
        location.inspections.append(Inspection(published, f"{rng.getrandbits(64):016x}", ratings))
        day += timedelta(days=rng.randint(730, 1460))
    del successors


def _plant_pockets(world: England, locations: list[Location]) -> None:
    """In about one trust in eight, one core service of one site gets Inadequate or RI at its latest inspection."""
    rng = random.Random(f"{world.scale}:{world.seed}:cqc-pockets")
    trusts = sorted({loc.provider_id for loc in locations if loc.trust.close_date is None})
    for code in trusts:
        if rng.random() >= 0.125:
            continue
        sites = [loc for loc in locations if loc.provider_id == code and loc.inspections
                 and not loc.inspections[-1].inherited]
        if not sites:
            continue
        site = rng.choice(sites)
        service = rng.choice(site.services)
        latest = site.inspections[-1]
        rating = rng.choice(["Inadequate", "Requires improvement"])
        latest.ratings[(service, "Overall")] = rating
        latest.ratings[(service, "Safe")] = rating
        site.planted_pocket = service


def _plant_api_quirks(world: England, locations: list[Location]) -> list[Location]:
    """What real API documents hold (FEEDS.md §2a), on their own random stream so the ratings stay as they were:
    - in one location with a history in ten, an earlier report's overall left unrated (its key questions rated),
      and in as many others, a second report published the same day (an inspection not rated);
    - in one open trust in ten (at least one), a site registered but not yet inspected: `No published rating` throughout,
      with no report date — in the API only (the ratings sheet lists rated locations). Returns the new sites.
    Only reports superseded over a year before the world's date are touched, so no sheet release shows them."""
    rng = random.Random(f"{world.scale}:{world.seed}:cqc-api-quirks")
    settled = world.as_of - timedelta(days=365)
    with_history = [(location, [i for i, later in zip(location.inspections, location.inspections[1:])
                                if not i.inherited and later.published <= settled]) for location in locations]
    with_history = [(location, earlier) for location, earlier in with_history if earlier]
    chosen = rng.sample(with_history, k=min(len(with_history), 2 * max(1, len(with_history) // 10)))
    for n, (_, earlier) in enumerate(chosen):
        report = rng.choice(earlier)
        if n % 2:
            report.same_day_report = f"{rng.getrandbits(64):016x}"
        else:
            report.overall_rated = False
    unrated = []
    trusts = sorted({loc.provider_id for loc in locations if loc.trust.close_date is None})
    for code in rng.sample(trusts, k=min(len(trusts), max(1, len(trusts) // 10))):
        sites = [loc for loc in locations if loc.provider_id == code]
        trust = sites[0].trust
        unrated.append(Location(f"{code}{len(sites) + 1:02d}", code, f"{trust.address[3].title()} New Unit",
                                trust.kind, [], trust))
    return sorted(unrated, key=lambda loc: loc.location_id)


def provider_ratings(locations: list[Location], provider: str, on: date) -> tuple[dict[str, str], date | None]:
    """A trust's own ratings on a date: each key question aggregated over its sites' latest ratings; Well-led
    is the trust's own assessment (its worst site's, here)."""
    latest = [loc.latest(on) for loc in locations if loc.provider_id == provider]
    latest = [i for i in latest if i and not i.inherited]
    if not latest:
        return {}, None
    ratings = {q: aggregate([i.ratings[("Overall", q)] for i in latest]) for q in KEY_QUESTIONS}
    wells = [i.ratings[("Overall", "Well-led")] for i in latest if i.ratings[("Overall", "Well-led")] in RATINGS]
    if wells:
        ratings["Well-led"] = min(wells, key=RATINGS.index)
    ratings["Overall"] = aggregate([ratings[q] for q in KEY_QUESTIONS])
    return ratings, max(i.published for i in latest)


def cqc_truth(world: England, locations: list[Location] | None = None) -> dict:
    """For tests only: pockets of poor care in Good/Outstanding trusts on world.as_of (planted and natural), the
    planted ones, and the mean overall rating score (0 Inadequate … 3 Outstanding) by year of publication."""
    locations = locations or build_locations(world)
    pockets = []
    nhs = [loc for loc in locations if loc.kind != "social_care"]
    for provider in sorted({loc.provider_id for loc in nhs if loc.trust.close_date is None}):
        overall, _ = provider_ratings(locations, provider, world.as_of)
        if overall.get("Overall") not in ("Good", "Outstanding"):
            continue
        for loc in locations:
            latest = loc.latest(world.as_of)
            if loc.provider_id != provider or not latest or latest.inherited:
                continue
            for service in loc.services:
                if latest.ratings[(service, "Overall")] in ("Inadequate", "Requires improvement"):
                    pockets.append({"provider_id": provider, "location_id": loc.location_id, "service": service,
                                    "rating": latest.ratings[(service, "Overall")]})
    by_year: dict[int, list[int]] = {}
    for loc in locations:
        for inspection in loc.inspections:
            if not inspection.inherited and inspection.overall_rated:  # as published: an unrated overall is none
                by_year.setdefault(inspection.published.year, []).append(
                    RATINGS.index(inspection.ratings[("Overall", "Overall")]))
    planted = [{"provider_id": loc.provider_id, "location_id": loc.location_id, "service": loc.planted_pocket}
               for loc in locations if loc.planted_pocket]
    return {"pockets": pockets, "planted_pockets": planted,
            "mean_overall_score_by_year": {y: round(sum(v) / len(v), 3) for y, v in sorted(by_year.items())}}


# --- the "Latest ratings" release -----------------------------------------------------------------------------------

def ratings_releases(as_of: date, count: int) -> list[date]:
    """The 1st of each of the latest `count` months up to as_of."""
    releases, year, month = [], as_of.year, as_of.month
    for _ in range(count):
        releases.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(releases)


def release_name(release: date, suffix: str) -> str:
    return f"{release.day:02d}_{calendar.month_name[release.month]}_{release.year}_Latest_ratings{suffix}"


def sheet_rows(world: England, locations: list[Location], release: date) -> dict[str, list[list]]:
    """Rows of the Locations and Providers sheets for a release (long format, the header first)."""
    location_header = LOCATION_COLUMNS_2026 if release >= LAYOUT_CHANGE else LOCATION_COLUMNS_2021
    icbs = {i.code: i for i in world.icbs}
    location_rows, provider_rows = [location_header], [PROVIDER_COLUMNS]
    providers = {}
    for loc in locations:
        trust = loc.trust
        if trust.open_date > release or (trust.close_date and trust.close_date <= release):
            continue
        latest = loc.latest(release)
        if not latest:
            continue
        providers[loc.provider_id] = trust
        icb = icbs[trust.icb]
        for service in ["Overall", *loc.services]:
            for domain in DOMAINS:
                rating = latest.ratings.get((service, domain))
                if rating is None:
                    continue
                location_rows.append([
                    loc.location_id, "" if loc.kind == "social_care" else loc.location_id, loc.name,
                    "Y" if loc.kind == "social_care" else "N", LOCATION_TYPE[loc.kind], CATEGORY[loc.kind],
                    trust.address[1], "", trust.address[3].title(), trust.postcode, trust.address[3].title(),
                    REGION_NAME[trust.region], REGION_NAME[trust.region], icb.code, icb.name, icb.code, icb.name,
                    service, domain, rating, latest.published, "Location",
                    "Y" if latest.inherited else "N", f"https://www.cqc.org.uk/location/{loc.location_id}",
                    loc.provider_id, trust.name.title().replace("Nhs", "NHS"), "-", "-"])
    for code, trust in sorted(providers.items()):
        ratings, published = provider_ratings(locations, code, release)
        for domain in DOMAINS if ratings else []:
            provider_rows.append([
                code, "" if trust.kind == "social_care" else code, trust.name.title().replace("Nhs", "NHS"),
                LOCATION_TYPE[trust.kind],
                CATEGORY[trust.kind], trust.address[1], "", trust.address[3].title(), trust.postcode,
                trust.address[3].title(), REGION_NAME[trust.region], REGION_NAME[trust.region], "Overall", domain,
                ratings[domain], published, "Provider", "N", f"https://www.cqc.org.uk/provider/{code}", "-", "-"])
    return {"Locations": location_rows, "Providers": provider_rows}


def _preamble(release: date) -> list[list[str]]:
    return [["Care Quality Commission"], [f"Latest ratings: data as at {release.day} "
                                          f"{calendar.month_name[release.month]} {release.year}"],
            ["Ratings for NHS trusts, their locations and core services. Inherited ratings are flagged."], []]


def _text(value) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def write_ratings_release(world: England, release: date, path: Path, fmt: str,
                          locations: list[Location] | None = None) -> None:
    """One release as .ods, .xlsx, or (fmt "csv") the pair `…_Locations.csv` / `…_Providers.csv` beside `path`."""
    sheets = sheet_rows(world, locations or build_locations(world), release)
    if fmt == "csv":
        for name, rows in sheets.items():
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerows([*_preamble(release), *[[_text(v) for v in row] for row in rows]])
            path.with_name(path.stem + f"_{name}.csv").write_bytes(buffer.getvalue().encode("utf-8"))
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        for name, rows in sheets.items():
            sheet = book.create_sheet(name)
            for row in [*_preamble(release), *rows]:
                sheet.append(row)
        save_workbook(book, path, release)
    elif fmt == "ods":
        path.write_bytes(_ods(release, sheets))
    else:
        raise ValueError(f"unknown format {fmt!r}: ods, xlsx or csv")


def _ods(release: date, sheets: dict[str, list[list]]) -> bytes:
    """An OpenDocument spreadsheet written directly (odfpy is far too slow for 100k rows), padded at the end of
    each sheet with a huge repeated empty row, as the real files are."""
    def cell(value) -> str:
        if isinstance(value, date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.strftime('%d/%m/%Y')}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = []
    for name, rows in sheets.items():
        body.append(f'<table:table table:name="{name}">')
        for row in [*_preamble(release), *rows]:
            body.append("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>")
        body.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                    f'table:number-columns-repeated="{len(rows[0])}"/></table:table-row></table:table>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               "<office:body><office:spreadsheet>" + "".join(body) + "</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry("mimetype", release), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(entry("META-INF/manifest.xml", release), manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(entry("content.xml", release), content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- the public API's documents -------------------------------------------------------------------------------------

def write_api_documents(world: England, out_dir: Path, locations: list[Location] | None = None) -> int:
    """`locations/{id}.json` and `providers/{id}.json` as the API serves them on world.as_of."""
    locations = locations or build_locations(world)
    icbs = {i.code: i for i in world.icbs}
    (out_dir / "locations").mkdir(parents=True, exist_ok=True)
    (out_dir / "providers").mkdir(parents=True, exist_ok=True)
    written = 0
    providers = {}
    for loc in locations:
        trust = loc.trust
        latest = loc.latest(world.as_of)
        registered = trust.close_date is None
        if not latest and not (registered and not loc.inspections):
            continue  # never inspected and gone: the API has nothing to say
        providers.setdefault(loc.provider_id, (trust, []))[1].append(loc.location_id)
        document = {
            "locationId": loc.location_id, "providerId": loc.provider_id, "organisationType": "Location",
            "type": LOCATION_TYPE[loc.kind], "name": loc.name,
            "registrationStatus": "Registered" if registered else "Deregistered",
            "registrationDate": max(trust.open_date, date(2010, 4, 1)).isoformat(),
            "deregistrationDate": trust.close_date.isoformat() if trust.close_date else None,
            "dormancy": "N", "numberOfBeds": None, "postalCode": trust.postcode,
            "region": REGION_NAME[trust.region], "localAuthority": trust.address[3].title(),
            "onspdIcbCode": icbs[trust.icb].ons_code, "inspectionDirectorate": "Adult social care" if loc.kind == "social_care" else "Hospitals",
            "inspectionCategories": [{"code": "H1", "name": CATEGORY[loc.kind], "primary": "true"}],
            "relationships": [],
            **({"lastInspection": {"date": (latest.published - PUBLICATION_LAG).isoformat()},
                "lastReport": {"publicationDate": latest.published.isoformat()}} if latest else {}),
            "currentRatings": _current(loc, latest), "historicRatings": _historic(loc, latest) if latest else [],
        }
        if any(i.inherited for i in loc.inspections):   # the predecessor stays named once re-inspected
            predecessor = next(s.old_code for s in world.successions if s.new_code == trust.code)
            document["relationships"].append({"relatedLocationId": f"{predecessor}{loc.location_id[-2:]}",
                                              "relatedLocationName": loc.name, "type": "HSCA Predecessor",
                                              "reason": "Merger"})
        (out_dir / "locations" / f"{loc.location_id}.json").write_text(json.dumps(document, indent=1))
        written += 1
    for code, (trust, ids) in providers.items():
        (out_dir / "providers" / f"{code}.json").write_text(json.dumps({
            "providerId": code, "name": trust.name.title().replace("Nhs", "NHS"), "postalCode": trust.postcode,
            "organisationType": "Provider", "ownershipType": "NHS Body", "locationIds": ids,
            "registrationStatus": "Registered" if trust.close_date is None else "Deregistered"}, indent=1))
    return written


def _report(rating: str, day: str, report_id: str) -> dict:
    """A rating's report, as the API gives it: a non-rating comes without one (FEEDS.md §2a)."""
    return {"reportDate": day, "reportLinkId": report_id} if rating in RATINGS else {}


def _current(loc: Location, latest: Inspection | None) -> dict:
    if latest is None:  # registered, not yet inspected: no rating, no report
        return {"overall": {"rating": "No published rating",
                            "keyQuestionRatings": [{"name": q, "rating": "No published rating"} for q in KEY_QUESTIONS]}}
    day = latest.published.isoformat()
    overall = latest.ratings[("Overall", "Overall")]
    return {
        "overall": {"rating": overall, **_report(overall, day, latest.report_id), "useOfResources": {},
                    "keyQuestionRatings": [{"name": q, "rating": latest.ratings[("Overall", q)],
                                            **_report(latest.ratings[("Overall", q)], day, latest.report_id)}
                                           for q in KEY_QUESTIONS]},
        "serviceRatings": [{"name": s, "rating": latest.ratings[(s, "Overall")], "reportDate": day,
                            "reportLinkId": latest.report_id, "organisationId": loc.location_id,
                            "keyQuestionRatings": [{"name": q, "rating": latest.ratings[(s, q)]}
                                                   for q in KEY_QUESTIONS]} for s in loc.services],
        "reportDate": day,
    }


def _historic(loc: Location, latest: Inspection) -> list[dict]:
    reports = []
    for i in loc.inspections:
        if i is latest or i.published >= latest.published:
            continue
        overall = {"rating": i.ratings[("Overall", "Overall")]} if i.overall_rated else {}
        reports.append({"reportLinkId": i.report_id, "reportDate": i.published.isoformat(),
                        "overall": {**overall, "keyQuestionRatings": [{"name": q, "rating": i.ratings[("Overall", q)]}
                                                                      for q in KEY_QUESTIONS]}})
        if i.same_day_report:  # another report the same day: an inspection that was not rated
            reports.append({"reportLinkId": i.same_day_report, "reportDate": i.published.isoformat(),
                            "overall": {"rating": "Inspected but not rated"}})
    return reports
