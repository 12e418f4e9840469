"""Small good files in each feed's real format, which the corpus cases mutate into bad ones.

Column lists come from the simulator (which writes the real formats); the rows are a handful of literal ones, so a
case's bad row is easy to see. Three trusts are known to ODS here: RA9 and RBA (open) and RX1 (closed on 31 March
2020); `etr()` doubles as the ODS trusts reference of the cases that check organisation codes.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

from simulator.cqc import LOCATION_COLUMNS_2021, PROVIDER_COLUMNS
from simulator.finance import MONTHLY_COLUMNS, TAC_COLUMNS
from simulator.ods import ETR_WIDTH, _quoted
from simulator.staff_groups import COLUMNS_2019
from simulator.workforce import SICKNESS_HEADER

FIXED_TIME = (2024, 6, 1, 0, 0, 0)  # zip entries carry a time: a fixed one keeps the bytes the same on every run


def csv_bytes(rows: list[list], eol: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=eol).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    return buffer.getvalue()


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    book.properties.created = book.properties.modified = datetime(*FIXED_TIME)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_cell(rows: list[list], row: int, column: str, value, header_row: int = 0) -> list[list]:
    """A copy of `rows` (header at index `header_row`) with one cell changed; `row` counts data rows from 0."""
    copy = [list(r) for r in rows]
    copy[header_row + 1 + row][copy[header_row].index(column)] = value
    return copy


# --- ODS and ONS (FEEDS.md §1) -------------------------------------------------------------------------------------

def etr_row(code: str, name: str, region: str, icb: str, opened: str, closed: str = "") -> list[str]:
    fields = [""] * ETR_WIDTH
    fields[:4] = [code, name, region, icb]
    fields[4], fields[9], fields[10], fields[11] = "HOSPITAL ROAD", "EX1 1AA", opened, closed
    fields[17], fields[21], fields[23] = "01234 567890", "1", "K"
    return fields


ETR_ROWS = [
    etr_row("RA9", "EXAMPLE HOSPITALS NHS FOUNDATION TRUST", "Y58", "QJK", "20000401"),
    etr_row("RBA", "SOMERSET NHS FOUNDATION TRUST", "Y58", "QSL", "19910401"),
    etr_row("RX1", "CLOSED COMMUNITY NHS TRUST", "Y58", "QJK", "19940401", "20200331"),
]


def etr(rows: list[list[str]] = ETR_ROWS) -> bytes:
    # headerless, every field quoted (empty ones too), LF line ends, as ODS publishes it
    return "".join(_quoted(r) + "\n" for r in rows).encode("utf-8")


SUCC_ROWS = [["RX1", "RA9", "R", "20200401", "X"], ["RX2", "RBA", "R", "20180401", "X"]]  # the older layout
# the current layout (FEEDS.md §1): reason empty, indicator 1 where the successor has itself been succeeded, CRLF;
# every organisation type (a CCG into its ICB), and a merger announced ahead
SUCC_ROWS_CURRENT = [["RX1", "RA9", "", "20200401", "0"], ["RX2", "RBA", "", "20180401", "0"],
                     ["00C", "16C", "", "20190401", "1"], ["16C", "QHM", "", "20220701", "0"],
                     ["RBA", "RA9", "", "20990401", "0"]]


def succ(rows: list[list[str]] = SUCC_ROWS, eol: str = "\n") -> bytes:
    return "".join(_quoted(r) + eol for r in rows).encode("utf-8")


def succ_current(rows: list[list[str]] = SUCC_ROWS_CURRENT) -> bytes:
    return succ(rows, eol="\r\n")


ICB_ROWS = [["ICB24CD", "ICB24CDH", "ICB24NM", "ObjectId"],
            ["E54000037", "QJK", "NHS Devon Integrated Care Board", "1"],
            ["E54000038", "QSL", "NHS Somerset, Integrated Care Board", "2"]]


def icb_names(rows: list[list[str]] = ICB_ROWS) -> bytes:
    return csv_bytes(rows, eol="\n")


# --- workforce (FEEDS.md §3) ---------------------------------------------------------------------------------------

SOUTH_WEST = ["Y58", "South West", "QJK", "NHS Devon"]
QZZ = ["QZZ", "Special Health Authorities and other statutory bodies"] * 2
SICKNESS_ROWS = [
    SICKNESS_HEADER,
    ["30/04/2024", *QZZ, "0AR", "NHS North of England Commissioning Support Unit", "Commissioning Support Unit",
     "1868.54684", "52881.10823", "3.53"],
    ["30/04/2024", *SOUTH_WEST, "RA9", "Example Hospitals NHS Foundation Trust", "Acute", "73956.96734999999",
     "1500000", "4.93"],
    ["30/04/2024", *SOUTH_WEST, "RBA", "Somerset NHS Foundation Trust", "Acute", "1000", "20000", "5.00"],
    ["30/04/2024", *SOUTH_WEST, "QJK", "NHS Devon ICB", "Integrated Care Board", "300", "10000", "3.00"],
]


def sickness(rows: list[list] = SICKNESS_ROWS) -> bytes:
    return csv_bytes(rows)  # CRLF, as published


STAFF_GROUP_MEMBER = "NHS Workforce Statistics, March 2024 Staff Group and Organisation.csv"
STAFF_GROUP_ZIP = "NHS Workforce Statistics, March 2024 csv files.zip"
_ORG = ["Y58", "South West", "QJK", "Devon"]
STAFF_GROUP_ROWS = [
    COLUMNS_2019,
    ["2024-03-31", *_ORG, "RA9", "Example Hospitals NHS Foundation Trust", "Acute", "Acute - Large", "01", "Total",
     "FTE", "9876.5"],
    ["2024-03-31", *_ORG, "RA9", "Example Hospitals NHS Foundation Trust", "Acute", "Acute - Large", "01", "Total",
     "HC", "10500"],
    ["2024-03-31", *_ORG, "RBA", "Somerset NHS Foundation Trust", "Acute", "Acute - Medium", "01", "Total", "FTE",
     "4321.25"],
    ["2024-03-31", "Y58", "South West", "QJK", "Devon", "T1460", "NHS Blood and Transplant", "Other", "Other", "01",
     "Total", "FTE", "800"],
]


def staff_group_csv(rows: list[list] = STAFF_GROUP_ROWS) -> bytes:
    return csv_bytes(rows)


def staff_group_zip(rows: list[list] = STAFF_GROUP_ROWS) -> bytes:
    return zip_bytes({STAFF_GROUP_MEMBER: staff_group_csv(rows)})


# --- CQC (FEEDS.md §2) ---------------------------------------------------------------------------------------------

def _location(location_id: str, service: str, domain: str, rating: str, published: str = "12/03/2024") -> list[str]:
    values = dict.fromkeys(LOCATION_COLUMNS_2021, "")
    values.update({"Location ID": location_id, "Location ODS Code": location_id, "Location Name": "Example Hospital",
                   "Location Type": "NHS Healthcare Organisation", "Location Region": "South West",
                   "Service / Population Group": service, "Domain": domain, "Latest Rating": rating,
                   "Publication Date": published, "Report Type": "Location", "Inherited Rating (Y/N)": "N",
                   "Provider ID": "RA9", "Provider Name": "Example Hospitals NHS Foundation Trust"})
    return list(values.values())


def _provider(domain: str, rating: str) -> list[str]:
    values = dict.fromkeys(PROVIDER_COLUMNS, "")
    values.update({"Provider ID": "RA9", "Provider ODS Code": "RA9",
                   "Provider Name": "Example Hospitals NHS Foundation Trust",
                   "Provider Type": "NHS Healthcare Organisation",
                   "Provider Region": "South West", "Service / Population Group": "Overall", "Domain": domain,
                   "Latest Rating": rating, "Publication Date": "12/03/2024", "Report Type": "Provider",
                   "Inherited Rating (Y/N)": "N"})
    return list(values.values())


PREAMBLE = [["Care Quality Commission"], ["Latest ratings, 1 June 2024"]]
LOCATION_ROWS = [
    *PREAMBLE,
    LOCATION_COLUMNS_2021,                                               # row 3: the header
    _location("RA901", "Overall", "Overall", "Good"),                     # row 4
    _location("RA901", "Maternity", "Safe", "Requires improvement"),      # row 5
    _location("RA902", "Overall", "Overall", "Outstanding"),              # row 6
]


def ratings_csv(rows: list[list] = LOCATION_ROWS) -> bytes:
    return csv_bytes(rows)


def ratings_xlsx(locations: str = "Locations", providers: str = "Providers",
                 provider_columns: list[str] = PROVIDER_COLUMNS) -> bytes:
    return xlsx_bytes({locations: LOCATION_ROWS,
                       providers: [*PREAMBLE, provider_columns, _provider("Overall", "Good")]})


def api_location(**changes) -> dict:
    document = {
        "locationId": "RA901", "providerId": "RA9", "registrationStatus": "Registered",
        "currentRatings": {"overall": {"rating": "Good", "reportDate": "2024-03-12", "reportLinkId": "r-2024",
                                       "keyQuestionRatings": [{"name": "Safe", "rating": "Requires improvement"},
                                                              {"name": "Caring", "rating": "Good"}]}},
        "historicRatings": [{"reportDate": "2021-05-04", "reportLinkId": "r-2021",
                             "overall": {"rating": "Requires improvement", "keyQuestionRatings": []}}],
    }
    document.update(changes)
    return document


def api_json(document: dict | None = None) -> bytes:
    return json.dumps(document or api_location(), indent=1).encode("utf-8")


# --- finance (FEEDS.md §4) -----------------------------------------------------------------------------------------

TAC_ROWS = [
    [*TAC_COLUMNS, "Value number"],
    ["SoCI", "1", "SCI0100", 1, "SCI0100A", "RA9", "Example Hospitals NHS Foundation Trust", 412345.0],   # row 2
    ["SoCI", "1", "SCI0110", 2, "SCI0110A", "RA9", "Example Hospitals NHS Foundation Trust", 23456.0],    # row 3
    ["SoCI", "1", "SCI0100", 1, "SCI0100A", "RBA", "Somerset NHS Foundation Trust", 298765.0],           # row 4
    ["Staff", "4", "STA0310", 6, "STA0310", "RBA", "Somerset NHS Foundation Trust", "-"],                 # row 5
]


def tac_xlsx(rows: list[list] = TAC_ROWS, sheet: str = "All data") -> bytes:
    return xlsx_bytes({"Notes": [["Trust accounts consolidation (TAC) data"], ["Financial year: 2023-24"]],
                       sheet: rows})


FINANCE_ROWS = [
    MONTHLY_COLUMNS,
    ["RA9", "Example Hospitals NHS Foundation Trust", "2024-25", "5", "31/08/2024", "350.0", "-1200.5", "171000.0",
     "6100.0", "5900.0", "31000.0", "1050.0", "-3.5", "6400.0", "5100.0"],
    ["RBA", "Somerset NHS Foundation Trust", "2024-25", "5", "31/08/2024", "200.0", "250.0", "124000.0", "3000.0",
     "3600.0", "25000.0", "800.0", "6.2", "4900.0", "3700.0"],
]


def finance_csv(rows: list[list] = FINANCE_ROWS) -> bytes:
    return csv_bytes(rows)
