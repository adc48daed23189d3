"""Platforms, Compatibility and CapabilityTargets (SPEC §7.1) in the input contract: read
with their defaults, and every bad row named by its sheet and cell with the fix."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.workbook.validation import load_workbook


def with_platforms(sheets: dict[str, list[list]]) -> None:
    """The valid alliance of conftest with two platforms: POL's KRAB fires 155HE, DEU's
    PZH2000 fires 155HE at 0.9, and PAC3 is a candidate for KRAB (qualified FALSE)."""
    sheets["Platforms"] = [["ally", "platform", "priority"],
                           ["POL", "KRAB", None],
                           ["DEU", "PZH2000", 2]]
    sheets["Compatibility"] = [["platform", "item", "factor", "qualified"],
                               ["KRAB", "155HE", None, None],
                               ["PZH2000", "155HE", 0.9, True],
                               ["KRAB", "PAC3", 1, False]]
    sheets["CapabilityTargets"] = [["ally", "platform", "period", "target"],
                                   ["POL", "KRAB", "2027Q2", 2000],
                                   ["DEU", "PZH2000", "2027Q2", 500]]


def problems_of(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workbook(path)
    return [str(p) for p in caught.value.problems]


def edited(workbook_path, change):
    def edit(sheets):
        with_platforms(sheets)
        change(sheets)

    return workbook_path(edit)


def test_platform_sheets_read_with_their_defaults_and_no_warning(workbook_path):
    data, warnings = load_workbook(edited(workbook_path, lambda sheets: None))
    assert [str(w) for w in warnings] == []
    assert data.platforms[["ally", "platform", "priority"]].values.tolist() == [
        ["POL", "KRAB", 1.0], ["DEU", "PZH2000", 2.0]]
    assert data.compatibility[["platform", "item", "factor", "qualified"]].values.tolist() == [
        ["KRAB", "155HE", 1.0, True], ["PZH2000", "155HE", 0.9, True],
        ["KRAB", "PAC3", 1.0, False]]
    assert data.capability_targets["target"].tolist() == [2000.0, 500.0]
    assert data.cell("CapabilityTargets", "platform", 3) == "CapabilityTargets!B3"


def test_an_undefined_platform_is_named_with_the_nearest_one(workbook_path):
    def change(sheets):
        sheets["Compatibility"].append(["krab", "PAC3", 1, True])
        sheets["CapabilityTargets"].append(["DEU", "PZH-2000", "2027Q1", 100])
        sheets["CapabilityTargets"].append(["POL", "HIMARS", "2027Q1", 100])

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "Compatibility!A5: platform 'krab' is not defined in Platforms; did you mean 'KRAB'?",
        "CapabilityTargets!B4: platform 'PZH-2000' is not defined in Platforms; "
        "did you mean 'PZH2000'?",
        "CapabilityTargets!B5: platform 'HIMARS' is not defined in Platforms",
    ]


def test_platforms_named_with_no_platforms_sheet_are_undefined(workbook_path):
    def change(sheets):
        del sheets["Platforms"]

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "Compatibility!A2: platform 'KRAB' is not defined in Platforms",
        "Compatibility!A3: platform 'PZH2000' is not defined in Platforms",
        "Compatibility!A4: platform 'KRAB' is not defined in Platforms",
        "CapabilityTargets!B2: platform 'KRAB' is not defined in Platforms",
        "CapabilityTargets!B3: platform 'PZH2000' is not defined in Platforms",
    ]


def test_undefined_allies_items_and_periods(workbook_path):
    def change(sheets):
        sheets["Platforms"].append(["pol", "HIMARS", 1])
        sheets["Compatibility"].append(["PZH2000", "155ER", 1, True])
        sheets["CapabilityTargets"].append(["POL", "KRAB", "2027Q3", 10])

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "Platforms!A4: ally 'pol' is not defined in Allies; did you mean 'POL'?",
        "Compatibility!B5: item '155ER' is not defined in Items",
        "CapabilityTargets!C4: period '2027Q3' is not defined in Periods",
    ]


def test_factors_must_be_above_0_and_at_most_1(workbook_path):
    def change(sheets):
        sheets["Compatibility"][1][2] = 0
        sheets["Compatibility"][2][2] = 1.5
        sheets["Compatibility"][3][2] = 80

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "Compatibility!C3: factor must be a number between 0 and 1, got 1.5",
        "Compatibility!C4: factor must be a number between 0 and 1, got 80",
        "Compatibility!C2: a factor of 0 counts nothing; delete the row or give it a factor "
        "above 0",
    ]


def test_a_target_for_a_platform_the_ally_does_not_operate(workbook_path):
    def change(sheets):
        sheets["CapabilityTargets"].append(["DEU", "KRAB", "2027Q2", 300])

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "CapabilityTargets!B4: ally 'DEU' does not operate platform 'KRAB' (no Platforms row "
        "for ally 'DEU', platform 'KRAB'); add that row to Platforms, or delete this target",
    ]


def test_duplicate_rows_of_the_platform_sheets(workbook_path):
    def change(sheets):
        sheets["Platforms"].append(["POL", "KRAB", 3])
        sheets["Compatibility"].append(["PZH2000", "155HE", 1, True])
        sheets["CapabilityTargets"].append(["POL", "KRAB", "2027Q2", 10])

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "Platforms!A4: duplicate row for ally 'POL', platform 'KRAB'; first given in row 2",
        "Compatibility!A5: duplicate row for platform 'PZH2000', item '155HE'; "
        "first given in row 3",
        "CapabilityTargets!A4: duplicate row for ally 'POL', platform 'KRAB', "
        "period '2027Q2'; first given in row 2",
    ]


def test_a_platform_no_qualified_item_serves_is_warned_on_its_platforms_rows(workbook_path):
    def change(sheets):
        sheets["Platforms"].append(["POL", "HIMARS", 1])
        sheets["Platforms"].append(["DEU", "HIMARS", 1])
        sheets["Platforms"].append(["POL", "K9", 1])
        sheets["Compatibility"].append(["K9", "155HE", 1, "no"])

    _, warnings = load_workbook(edited(workbook_path, change))
    assert [f"{w.where}: {w.message}" for w in warnings] == [
        "Platforms!B4: platform 'HIMARS' has no qualified item in Compatibility, so its "
        "capability targets cannot be met; add a Compatibility row for it with qualified TRUE",
        "Platforms!B5: platform 'HIMARS' has no qualified item in Compatibility, so its "
        "capability targets cannot be met; add a Compatibility row for it with qualified TRUE",
        "Platforms!B6: platform 'K9' has no qualified item in Compatibility (only "
        "candidates, qualified FALSE), so its capability targets cannot be met; add a "
        "Compatibility row for it with qualified TRUE",
    ]


def test_capability_targets_are_something_to_plan_without_requirements(workbook_path):
    def no_requirements(sheets):
        sheets["Requirements"] = [sheets["Requirements"][0]]

    _, warnings = load_workbook(workbook_path(no_requirements))
    assert [f"{w.where}: {w.message}" for w in warnings] == [
        "Requirements: no readiness targets; there is nothing to plan"]
    data, warnings = load_workbook(edited(workbook_path, no_requirements))
    assert [str(w) for w in warnings] == []
    assert data.requirements.empty and len(data.capability_targets) == 2


def test_every_problem_of_the_platform_sheets_at_once(workbook_path):
    def change(sheets):
        sheets["Platforms"][1][2] = "high"
        sheets["Compatibility"][1][3] = "maybe"
        sheets["CapabilityTargets"][1][3] = -5
        sheets["CapabilityTargets"].append(["DEU", "KRAB", "2027Q1", 1])

    found = problems_of(edited(workbook_path, change))
    assert found == [
        "Platforms!C2: priority must be a number >= 0, got 'high'",
        "Compatibility!D2: qualified must be TRUE or FALSE (or yes/no, 1/0), got 'maybe'",
        "CapabilityTargets!D2: target must be a number >= 0, got -5",
        "CapabilityTargets!B4: ally 'DEU' does not operate platform 'KRAB' (no Platforms row "
        "for ally 'DEU', platform 'KRAB'); add that row to Platforms, or delete this target",
    ]
