"""The price of not standardising (SPEC §7.1): each candidate pair's value, measured by a
re-solve with the pair qualified, checked against solving that input directly."""

from __future__ import annotations

import openpyxl
import pytest

from optimizer.reports.tables import write_report
from tests.alliances import solve
from tests.headers import fields
from tests.test_capabilities import MODES, SOLVERS, interchangeable


def _rows(sheet) -> list[dict]:
    """The sheet's data rows as {field: value}."""
    names = fields(sheet)
    return [dict(zip(names, row, strict=False))
            for row in sheet.iter_rows(min_row=2, values_only=True)]


def _pair(result, platform: str, item: str) -> dict:
    table = result.standardisation
    return table[(table["platform"] == platform) & (table["item"] == item)].iloc[0].to_dict()


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("mode", MODES)
def test_qualifying_b_for_px_closes_10_at_12_more(tmp_path, solver, mode):
    """The known answer: unqualified, 760 with 10 open; qualified, 772 with none open.
    The Standardisation row is the difference, and equals solving the qualified input."""
    settings = (f"solver.name={solver}", f"objective.mode={mode}")
    result = solve(tmp_path, interchangeable(False), *settings)
    (tmp_path / "qualified").mkdir()
    qualified = solve(tmp_path / "qualified", interchangeable(True), *settings)
    pair = _pair(result, "PX", "B")
    assert pair["status"] == "optimal" and pair["rank"] == 1
    assert pair["shortfall_closed"] == pytest.approx(
        result.plan.weighted_shortfall - qualified.plan.weighted_shortfall, abs=1e-6)
    assert pair["shortfall_closed"] == pytest.approx(10, abs=1e-6)
    assert pair["cost_more"] == pytest.approx(
        qualified.plan.total_cost - result.plan.total_cost, rel=1e-9)
    assert pair["cost_more"] == pytest.approx(12, rel=1e-9)
    assert pair["units_counted"] == pytest.approx(20)
    assert pair["shortfall_closed_per_unit"] == pytest.approx(0.5)
    assert pair["cost_more_per_unit"] == pytest.approx(0.6)
    assert pair["allies_gaining"] == "X"
    assert pair["operators"] == "X"
    assert pair["cell"] == "Compatibility!D4"
    assert pair["value"] == ("qualifying B for PX would close 10 units of weighted "
                             "shortfall at 12 more (X gains)")
    advice = result.advice[result.advice["kind"] == "qualification"].iloc[0]
    assert advice["advice"] == pair["value"] and advice["set_by"] == "Compatibility!D4"
    assert (advice["shortfall_closed"], advice["cost_saved"]) == pytest.approx((10, -12))


def test_the_report_ranks_the_candidates_on_its_own_sheet(tmp_path):
    """A second candidate that helps nobody ranks after the one that closes the gap."""
    workbook = interchangeable(False)
    workbook["Compatibility"].append(["PY", "A", 1, False])  # Y is short of nothing
    result = solve(tmp_path, workbook)
    path = write_report(result, tmp_path / "report.xlsx")
    rows = _rows(openpyxl.load_workbook(path)["Standardisation"])
    assert [(row["rank"], row["platform"], row["item"]) for row in rows] == [
        (1, "PX", "B"), (2, "PY", "A")]
    assert rows[0]["shortfall_closed"] == pytest.approx(10, abs=1e-6)
    assert rows[0]["cost_more"] == pytest.approx(12)
    assert rows[1]["value"] == ("qualifying A for PY makes no difference within the "
                                "solver's tolerance")
    assert rows[1]["shortfall_closed"] == 0 and rows[1]["cost_more"] == 0
    assert result.verification.passed


def test_no_candidate_no_sheet_and_the_switch_turns_it_off(tmp_path):
    qualified = solve(tmp_path, interchangeable(True))
    assert qualified.standardisation is None
    assert "Standardisation" not in qualified.tables
    (tmp_path / "off").mkdir()
    off = solve(tmp_path / "off", interchangeable(False), "explain.standardisation=false")
    assert off.standardisation is None
    assert "Standardisation" not in off.tables
    assert off.plan.total_cost == pytest.approx(760)


def test_the_dashboard_shows_capability_held_by_ally(tmp_path):
    """Beside each ally's gaps closed, the share of its capability targets held: X holds
    130 of 140, Y 60 of 60 (neither has a readiness gap: 100)."""
    result = solve(tmp_path, interchangeable(False))
    path = write_report(result, tmp_path / "report.xlsx")
    rows = list(openpyxl.load_workbook(path)["Dashboard"].iter_rows(values_only=True))
    held = rows[1].index("Capability held (%)")
    assert rows[1][held - 2: held + 1] == ("Ally", "Gap closed (%)", "Capability held (%)")
    found = {row[held - 2]: (row[held - 1], row[held]) for row in rows[2:4]}
    headline = {row[0]: row[1] for row in rows}
    assert headline["share of capability targets held, weighted by priority (%)"] == (
        pytest.approx(100 * (1 - 10 / 200)))
    assert found["X"] == pytest.approx((100.0, 100 * 130 / 140))
    assert found["Y"] == pytest.approx((100.0, 100.0))


def test_the_page_lists_the_candidates_as_the_workbook_does(tmp_path):
    """The HTML page drawn from the run's tables and from the written workbook read back
    both show the Standardisation table with the PX–B row."""
    from optimizer.reports.html import write_html_report

    result = solve(tmp_path, interchangeable(False))
    result.write_report(tmp_path / "report.xlsx")
    in_process = result.to_html(tmp_path / "page.html").read_text(encoding="utf-8")
    assert 'id="standardisation"' in in_process
    assert "qualifying B for PX would close 10 units of weighted shortfall" in in_process
    read_back = write_html_report(tmp_path / "report.xlsx", tmp_path / "back.html")
    assert 'id="standardisation"' in read_back.read_text(encoding="utf-8")
