"""Fixtures shared by the Excel exchange tests (export and import append their own)."""

import io

import openpyxl
import pytest


def workbook_of(response) -> openpyxl.Workbook:
    """The .xlsx a response carries, opened with openpyxl (a reader independent of the writer)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.fixture
def export_ledger(world, settings):
    """The ledger tests' eight issues in every status, seen differently by every role."""
    from tests.test_views_ledger import Ledger

    settings.LEDGER = {**settings.LEDGER, "PAGE_SIZE": 50}
    return Ledger(world)
