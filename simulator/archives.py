"""Zip-based files (.ods, .xlsx, the workforce .zip) written byte-for-byte the same for the same seed.

A zip entry records when it was written, and openpyxl stamps the workbook's "modified" time: left alone, two runs a
second apart give different bytes (and a different sha256 at ingestion). Every entry is dated by the release instead.
"""
from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def entry(name: str, when: date, compress_type: int = zipfile.ZIP_STORED, level: int | None = None) -> zipfile.ZipInfo:
    """A zip entry dated at midnight on `when` (zip times have no zone and start in 1980). An entry passed to
    ZipFile.open is written with its own compression, not the archive's: hence `compress_type` and `level`."""
    info = zipfile.ZipInfo(name, date_time=(max(when.year, 1980), when.month, when.day, 0, 0, 0))
    info.compress_type = compress_type
    info._compresslevel = level  # ZipFile.open(info, "w") reads this private field; there is no public one in 3.11
    return info


def save_workbook(book, path: Path, when: date) -> None:
    """openpyxl's save, then every entry re-dated by `when` and the document's created/modified set to it."""
    book.save(path)
    stamp = f"{when.isoformat()}T00:00:00Z".encode()
    with zipfile.ZipFile(path) as saved:
        members = [(info, saved.read(info)) for info in saved.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            archive.writestr(entry(info.filename, when), data, compress_type=info.compress_type)
