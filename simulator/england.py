"""The world model of the simulator: a synthetic England's NHS, deterministic for a (scale, seed, as_of).

Every feed writer reads this one model, so ODS codes, ICBs and trusts agree across feeds. Names are invented
(syllables, not real places); codes follow the real patterns.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

# The 7 NHS England regions (real codes) and the GOR letter etr.csv column 24 carries for each.
REGIONS = [
    ("Y56", "London", "H"), ("Y58", "South West", "K"), ("Y59", "South East", "J"), ("Y60", "Midlands", "F"),
    ("Y61", "East of England", "G"), ("Y62", "North West", "B"), ("Y63", "North East and Yorkshire", "A"),
]
# ICBs per region at national scale, as in England since 2022 (42 in all).
NATIONAL_ICBS_PER_REGION = {"Y56": 5, "Y58": 7, "Y59": 6, "Y60": 11, "Y61": 6, "Y62": 3, "Y63": 4}
SMALL_ICBS_PER_REGION = {"Y58": 2, "Y62": 2}
SCALES = ("small", "national")

KINDS = ("acute", "mental_health", "community", "ambulance")
NAME_SUFFIX = {
    "acute": ["HOSPITALS NHS FOUNDATION TRUST", "HOSPITALS NHS TRUST", "UNIVERSITY HOSPITALS NHS FOUNDATION TRUST",
              "HEALTHCARE NHS FOUNDATION TRUST"],
    "mental_health": ["MENTAL HEALTH NHS TRUST", "PARTNERSHIP NHS FOUNDATION TRUST",
                      "HEALTH AND CARE NHS FOUNDATION TRUST"],
    "community": ["COMMUNITY HEALTHCARE NHS TRUST", "COMMUNITY HEALTH SERVICES NHS TRUST"],
    "ambulance": ["AMBULANCE SERVICE NHS FOUNDATION TRUST", "AMBULANCE SERVICE NHS TRUST"],
}
_START = ["ash", "brad", "kel", "mil", "sten", "har", "thorn", "wick", "east", "north", "brom", "cal", "dun",
          "elm", "fen", "gran", "hal", "ing", "lang", "mar", "nor", "oak", "pen", "ral", "sal", "tam", "wal",
          "wes", "yar", "ald", "bel", "cor", "dal", "ever", "frod", "glen", "hol", "kirk", "lyn", "mor"]
_END = ["worth", "ford", "ton", "by", "ley", "dene", "field", "bridge", "bury", "ham", "wick", "well", "stead",
        "mouth", "minster", "caster", "moor", "dale", "brook", "holme"]
_STREETS = ["HIGH STREET", "STATION ROAD", "CHURCH LANE", "HOSPITAL ROAD", "PARK AVENUE", "LONDON ROAD",
            "MILL LANE", "QUEEN STREET", "VICTORIA ROAD", "INFIRMARY DRIVE"]
_BUILDINGS = ["TRUST HEADQUARTERS", "MANAGEMENT OFFICES", "TRUST OFFICES", "GENERAL HOSPITAL", "ROYAL INFIRMARY",
              "UNIT 4", "1ST FLOOR"]
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXY0123456789"


@dataclass
class Region:
    code: str
    name: str
    gor: str


@dataclass
class Icb:
    code: str          # ODS code, e.g. QXA (etr.csv column 4)
    ons_code: str      # E54000NNN
    name: str
    region: str
    stress: float = 0.0  # planted: the economy-level part of its trusts' condition (standard normal)


@dataclass
class Trust:
    code: str
    name: str
    kind: str
    region: str        # "" outside England
    icb: str           # "" outside England
    gor: str
    address: list[str]  # 5 lines, blank where absent
    postcode: str
    open_date: date
    close_date: date | None = None
    telephone: str = ""
    english: bool = True
    fte: float = 0.0        # staff in post, full-time equivalent
    condition: float = 0.0  # planted latent condition: higher is worse (economy part + trust part)


@dataclass
class Succession:
    old_code: str
    new_code: str
    reason: str        # R reconfiguration, F finance code change, O organisation type change
    effective_date: date
    indicator: str     # F: the new code has a further successor; X: end of chain


@dataclass
class England:
    scale: str
    seed: int
    as_of: date
    regions: list[Region] = field(default_factory=list)
    icbs: list[Icb] = field(default_factory=list)
    trusts: list[Trust] = field(default_factory=list)
    successions: list[Succession] = field(default_factory=list)
    size: int = 1      # N× England: N times the ICBs, and so the trusts and locations (for benchmarks)

    def trust(self, code: str) -> Trust:
        return next(t for t in self.trusts if t.code == code)

    def as_dict(self) -> dict:
        return {k: ([asdict(x) for x in v] if isinstance(v, list) else v) for k, v in self.__dict__.items()}


class _Namer:
    """Invented, unique place names: two syllables, capitalised; beyond one England's worth (`words` 2), two such
    words ("Ashford Kelby"), as there are not enough two-syllable names for ten Englands."""

    def __init__(self, rng: random.Random, words: int = 1):
        self.rng, self.used, self.words = rng, set(), words

    def place(self) -> str:
        while True:
            name = " ".join((self.rng.choice(_START) + self.rng.choice(_END)).capitalize()
                            for _ in range(self.words))
            if name not in self.used:
                self.used.add(name)
                return name


class _Codes:
    """Unique ODS-like codes: `first` is the first character, or (several) the characters it is drawn from —
    R alone gives 1,089 trust codes, enough for one England but not for ten."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def new(self, first: str, length: int = 3) -> str:
        while True:
            lead = first if len(first) == 1 else self.rng.choice(first)
            code = lead + "".join(self.rng.choice(_CODE_CHARS) for _ in range(length - 1))
            if code not in self.used:
                self.used.add(code)
                return code


def _postcode(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUWY"
    return (f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 29)} "
            f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}")


def _date_between(rng: random.Random, start: date, end: date) -> date:
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    return day.replace(day=1)  # organisations open and close on the first of a month


# Typical staff (FTE) by kind of trust.
FTE_RANGE = {"acute": (3000, 12000), "mental_health": (1500, 5000), "community": (800, 3000),
             "ambulance": (2500, 5000)}


def build_england(scale: str, seed: int, as_of: date = date(2026, 10, 1), economy_strength: float = 0.6,
                  size: int = 1) -> England:
    """economy_strength (0 to 1): the share of a trust's latent condition that comes from its health economy,
    so failing trusts cluster in failing economies; 0 plants no link at all. size (N ≥ 1): N times the ICBs of
    each region, and so N times the trusts, mergers, closures and locations — the growth curve of the benchmarks
    (size 1 is the England every test knows, unchanged)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    if not isinstance(size, int) or not 1 <= size <= 20:
        raise ValueError(f"size must be a whole number from 1 to 20, not {size!r}")
    rng = random.Random(f"{scale}:{seed}" if size == 1 else f"{scale}:{seed}:x{size}")
    namer, codes = _Namer(rng, 1 if size == 1 else 2), _Codes(rng)
    trust_lead = "R" if size == 1 else "RTNAD"  # real trust codes begin R or T; more letters for ten Englands
    world = England(scale=scale, seed=seed, as_of=as_of, size=size)
    per_region = {region: count * size for region, count in
                  (NATIONAL_ICBS_PER_REGION if scale == "national" else SMALL_ICBS_PER_REGION).items()}
    regions = {code: Region(code, name, gor) for code, name, gor in REGIONS if code in per_region}
    world.regions = list(regions.values())

    ons_numbers = iter(sorted(rng.sample(range(8, 200 * size), sum(per_region.values()))))
    for region_code, count in per_region.items():
        for _ in range(count):
            places = [namer.place() for _ in range(rng.choice([1, 2, 2, 3]))]
            # real names carry commas ("NHS Bath and North East Somerset, Swindon and Wiltshire …")
            joined = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
            if len(places) == 2:
                joined = " and ".join(places)
            world.icbs.append(Icb(codes.new("Q"), f"E54{next(ons_numbers):06d}",
                                  f"NHS {joined} Integrated Care Board", region_code))

    def new_trust(kind: str, icb: Icb | None, region: Region | None, opened: date, place: str | None = None) -> Trust:
        place = place or namer.place().upper()
        return Trust(
            code=codes.new(trust_lead), name=f"{place} {rng.choice(NAME_SUFFIX[kind])}", kind=kind,
            region=region.code if region else "", icb=icb.code if icb else "", gor=region.gor if region else "W",
            address=[rng.choice(_BUILDINGS), f"{rng.randint(1, 200)} {rng.choice(_STREETS)}", "",
                     place, ""],
            postcode=_postcode(rng), open_date=opened,
            telephone=f"0{rng.randint(1000, 3999)} {rng.randint(100000, 999999)}" if rng.random() < 0.6 else "")

    # Open English trusts: 4–8 per ICB at national scale (mostly acute and mental health), one ambulance per region.
    for icb in world.icbs:
        region = regions[icb.region]
        n = rng.choice([4, 5, 5, 5, 6]) if scale == "national" else rng.randint(3, 4)
        kinds = ["acute", "mental_health"] + [rng.choice(["acute", "acute", "mental_health", "community"])
                                              for _ in range(n - 2)]
        for kind in kinds:
            world.trusts.append(new_trust(kind, icb, region, _date_between(rng, date(1991, 4, 1), date(2012, 4, 1))))
    for region in world.regions:
        icb = next(i for i in world.icbs if i.region == region.code)
        world.trusts.append(new_trust("ambulance", icb, region, _date_between(rng, date(2006, 7, 1), date(2006, 7, 1))))

    # Trusts outside England (Welsh): in the ODS file, with no region and no ICB.
    for _ in range((3 if scale == "national" else 1) * size):
        world.trusts.append(new_trust(rng.choice(["acute", "ambulance"]), None, None,
                                      _date_between(rng, date(1994, 4, 1), date(2009, 10, 1))))

    english_open = [t for t in world.trusts if t.english and t.region]
    _plant_mergers(world, rng, english_open, new_trust, regions, mergers=(10 if scale == "national" else 2) * size)

    # Trusts that simply closed (dissolved), keeping their last region and ICB codes.
    for _ in range((50 if scale == "national" else 2) * size):
        icb = rng.choice(world.icbs)
        opened = _date_between(rng, date(1991, 4, 1), date(2008, 4, 1))
        trust = new_trust(rng.choice(["acute", "mental_health", "community"]), icb, regions[icb.region], opened)
        trust.close_date = _date_between(rng, max(opened + timedelta(days=400), date(2000, 4, 1)), date(2024, 4, 1))
        world.trusts.append(trust)

    world.trusts.sort(key=lambda t: t.code)
    world.successions.sort(key=lambda s: s.old_code)
    _plant_condition(world, seed, economy_strength)
    return world


def _plant_condition(world: England, seed: int, economy_strength: float) -> None:
    """The latent condition every later feed draws on. Its own random stream, so that adding it (or changing
    the strength) leaves the organisations themselves unchanged."""
    if not 0 <= economy_strength <= 1:
        raise ValueError(f"economy_strength must be between 0 and 1, not {economy_strength}")
    rng = random.Random(f"{world.scale}:{seed}:condition" if world.size == 1 else
                        f"{world.scale}:{seed}:x{world.size}:condition")
    for icb in world.icbs:
        icb.stress = rng.gauss(0, 1)
    stress = {icb.code: icb.stress for icb in world.icbs}
    for trust in world.trusts:
        low, high = FTE_RANGE[trust.kind]
        trust.fte = round(rng.uniform(low, high), 1)
        own = rng.gauss(0, 1)
        # variance 1 whatever the strength: strength moves only how much of it the economy explains
        trust.condition = (economy_strength ** 0.5) * stress.get(trust.icb, 0.0) + ((1 - economy_strength) ** 0.5) * own


def _plant_mergers(world: England, rng: random.Random, candidates: list[Trust], new_trust, regions, mergers: int):
    """Mergers: one or two trusts close and a new trust opens in their place, in the same ICB. The first
    merger's successor is itself merged later, so resolution has to follow a chain (A → B → C)."""
    for n in range(mergers):
        icb = rng.choice([i for i in world.icbs if sum(t.icb == i.code for t in candidates) >= 2])
        pool = [t for t in candidates if t.icb == icb.code and t.kind != "ambulance" and t.close_date is None]
        merged = rng.sample(pool, k=min(len(pool), rng.choice([1, 2])))
        # after every merging trust opened (a successor can itself merge again later)
        earliest = max(date(2012, 4, 1), max(t.open_date for t in merged) + timedelta(days=400))
        when = _date_between(rng, earliest, max(earliest, date(2022, 4, 1)))
        successor = new_trust(merged[0].kind, icb, regions[icb.region], when)
        world.trusts.append(successor)
        for old in merged:
            old.close_date = when
            candidates.remove(old)
            world.successions.append(Succession(old.code, successor.code, "R", when, "X"))
        if n == 0:  # the chain: the successor is merged again later
            later = _date_between(rng, when + timedelta(days=400), max(when + timedelta(days=400), date(2024, 4, 1)))
            final = new_trust(successor.kind, icb, regions[icb.region], later)
            world.trusts.append(final)
            successor.close_date = later
            world.successions.append(Succession(successor.code, final.code, "R", later, "X"))
        else:
            candidates.append(successor)
    predecessors = {s.old_code for s in world.successions}
    for s in world.successions:
        s.indicator = "F" if s.new_code in predecessors else "X"  # F: follow the chain again
