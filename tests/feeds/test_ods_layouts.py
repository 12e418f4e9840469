"""The ODS parsers of etr.csv and the ICB names: real layouts accepted, malformed files rejected naming file, row and
column. succ.csv, in its two layouts: test_ods_successors.py."""
import pytest

from orchestration.feeds.ods.layouts import ETR_LAYOUT, check_trust_icbs, parse_etr, parse_icb_names


def etr_row(code="RA9", name="EXAMPLE HOSPITALS NHS FOUNDATION TRUST", region="Y58", icb="QJK",
            open_="20000401", close="", width=27) -> str:
    fields = [""] * 27
    fields[0], fields[1], fields[2], fields[3] = code, name, region, icb
    fields[9], fields[10], fields[11], fields[21], fields[23] = "EX1 1AA", open_, close, "1", "K"
    fields = (fields + [""] * width)[:width]
    return ",".join(f'"{f}"' for f in fields)


def etr(*rows: str, eol="\n") -> bytes:
    return (eol.join(rows) + eol).encode()


GOOD = [etr_row("RA9"), etr_row("RBA", icb="QSL"), etr_row("RX1", close="20200101")]


def test_good_file_is_accepted_with_every_row_parsed():
    result = parse_etr(etr(*GOOD), "etr.csv")
    assert result.accepted and result.layout == ETR_LAYOUT
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (3, 3, 0)
    assert result.valid.column("organisation_code").to_pylist() == ["RA9", "RBA", "RX1"]
    assert str(result.valid.column("open_date")[0]) == "2000-04-01"
    assert result.valid.column("close_date").to_pylist()[:2] == [None, None]
    assert result.notes["open"] == 2 and result.notes["closed"] == 1


def test_crlf_line_endings_read_the_same_as_lf():
    assert parse_etr(etr(*GOOD, eol="\r\n")).valid.equals(parse_etr(etr(*GOOD)).valid)


def test_wrong_column_count_quarantines_the_row_and_rejects_the_file():
    result = parse_etr(etr(*GOOD, etr_row("RZZ", width=26)), "etr.csv")
    assert not result.accepted
    assert result.rows == 4 and result.rows_valid == 3 and result.rows_quarantined == 1
    [error] = result.errors
    assert error.row == 4 and "expected 27 columns, found 26" in error.message
    assert result.quarantined[0]["row"] == 4 and "26" in result.quarantined[0]["reason"]


@pytest.mark.parametrize("column,kwargs,needle", [
    ("11 (open_date)", {"open_": "20241301"}, "open date '20241301' is not a YYYYMMDD date"),
    ("11 (open_date)", {"open_": "2024-01-01"}, "is not a YYYYMMDD date"),
    ("12 (close_date)", {"close": "2024013"}, "close date '2024013'"),
    ("12 (close_date)", {"open_": "20200101", "close": "20190101"}, "before open date"),
    ("1 (organisation_code)", {"code": "ra 9"}, "is not 3–6 upper-case"),
    ("4 (high_level_health_geography)", {"icb": "XYZ1"}, "is not an ICB code"),
    ("3 (national_grouping)", {"region": "LONDON"}, "is not a region code"),
])
def test_bad_values_name_the_row_and_column(column, kwargs, needle):
    result = parse_etr(etr(GOOD[0], etr_row(**{"code": "RZZ", **kwargs})), "etr.csv")
    assert not result.accepted and result.rows_quarantined == 1 and result.rows_valid == 1
    [error] = result.errors
    assert (error.row, error.column) == (2, column)
    assert needle in error.message
    assert f"etr.csv row 2 column {column}" in error.describe("etr.csv")


def test_duplicate_code_quarantines_every_copy():
    result = parse_etr(etr(GOOD[0], GOOD[1], etr_row("RA9", name="OTHER NHS TRUST")), "etr.csv")
    assert not result.accepted
    assert result.rows_valid == 1 and result.rows_quarantined == 2
    assert sorted(e.row for e in result.errors) == [1, 3]
    assert all("duplicate organisation code RA9" in e.message for e in result.errors)
    assert "also at row 3" in result.errors[0].message


def test_unknown_layout_is_refused_by_name():
    header = '"Organisation Code","Name"' + ',""' * 25
    result = parse_etr(etr(header, *GOOD))
    assert result.layout is None and not result.accepted
    assert "header" in result.file_errors[0].message
    narrow = parse_etr(b'"RA9","X","Y56"\n"RB1","Y","Y56"\n')
    assert narrow.layout is None and "expected 27 columns" in narrow.file_errors[0].message
    assert narrow.rows == narrow.rows_quarantined == 2  # nothing dropped, even when the file is refused


def test_empty_file_is_rejected():
    result = parse_etr(b"")
    assert not result.accepted and "empty" in result.file_errors[0].message


def test_no_icb_marker_q99_and_empty_become_null_and_are_reported():
    result = parse_etr(etr(GOOD[0], etr_row("RQF", region="", icb=""), etr_row("RT4", region="", icb="Q99")))
    assert result.accepted
    assert result.valid.column("high_level_health_geography").to_pylist() == ["QJK", None, None]
    assert [w["code"] for w in result.notes["open_without_icb"]] == ["RQF", "RT4"]
    assert len(result.warnings) == 2 and result.report()["warnings_total"] == 2


def test_windows_1252_text_is_refused_naming_the_byte_its_row_and_the_likely_encoding():
    content = etr(GOOD[0], etr_row("RA8", name="ST MARY’S NHS TRUST")).decode().encode("cp1252")
    result = parse_etr(content)
    assert not result.accepted and result.rows_valid == 0
    [error] = result.file_errors
    assert error.rule == "not_utf8" and error.row == 2
    offset = content.index(b"\x92")
    assert f"byte 0x92 at offset {offset} (row 2)" in error.message and "Windows-1252" in error.message
    assert "ST MARY’S" in error.value  # the line, shown as it would read in the encoding it looks like


def test_a_utf8_byte_order_mark_is_accepted():
    result = parse_etr(b"\xef\xbb\xbf" + etr(*GOOD))
    assert result.accepted and result.valid.column("organisation_code").to_pylist() == ["RA9", "RBA", "RX1"]


def test_icb_cross_check_flags_open_trusts_in_unknown_icbs():
    icbs = parse_icb_names(b"ICB24CD,ICB24CDH,ICB24NM,ObjectId\nE54000001,QJK,NHS Somewhere ICB,1\n")
    trusts = parse_etr(etr(GOOD[0], GOOD[1], etr_row("RX1", icb="QSL", close="20200101")))
    check_trust_icbs(trusts, set(icbs.valid.column("icb_ods_code").to_pylist()), icbs.file)
    [error] = trusts.errors
    assert error.row == 2 and error.value == "QSL" and "open trust RBA" in error.message
    assert error.whole_file and not trusts.accepted  # an open trust in no known health economy refuses the file
    assert any("closed trust RX1" in w.message for w in trusts.warnings)
    assert trusts.notes["open_trusts_with_unknown_icb"] == 1


def test_icb_names_layout_is_detected_from_the_header_year():
    content = "\ufeffICB23CD,ICB23CDH,ICB23NM,ObjectId\nE54000008,QYG,\"NHS A, B and C ICB\",1\n".encode()
    result = parse_icb_names(content)
    assert result.accepted and result.layout == "ons-icb-names-2023"
    assert result.valid.column("icb_name")[0].as_py() == "NHS A, B and C ICB"
    wrong = parse_icb_names(b"code,name\nQYG,x\n", "icbs.csv")
    assert wrong.layout is None and not wrong.accepted and wrong.file_errors[0].row == 1
    assert wrong.rows == wrong.rows_quarantined == 1
    bad = parse_icb_names(b"ICB24CD,ICB24CDH,ICB24NM,ObjectId\nE5400000X,QYG,N,1\n")
    assert bad.errors[0].column == "ICB24CD" and bad.errors[0].row == 2
