"""The input side of components (SPEC §7.3): BillOfMaterials and IndustryStocks read and
checked, every mistake named by its cell with the fix, all at once."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.workbook.validation import load_workbook
from tests.alliances import sheets
from tests.conftest import write_workbook


def shells_from_tnt(**optional: list[list]) -> dict:
    """Two periods; POL needs 155HE. Line F1 (POL) makes 155HE from 2 kg of TNT a
    round, line F2 (DEU) from 1.5 kg of TNT and a fuze; line T1 (POL) makes TNT, line Z1
    (USA) fuzes; industry holds 300 kg of TNT."""
    bill = optional.pop("BillOfMaterials", [["F1", "155HE", "TNT", 2],
                                             ["F2", "155HE", "TNT", 1.5],
                                             ["F2", "155HE", "FUZE", 1]])
    return sheets(
        periods=["1", "2"],
        allies=[["POL", "Poland"], ["DEU", "Germany"]],
        items=[["155HE", "155 mm HE shell", "rounds"], ["TNT", "TNT", "kg"],
               ["FUZE", "Fuze", "fuzes"]],
        production=[["F1", "POL", "155HE", 100, 3000, 1], ["F2", "DEU", "155HE", 80, 3500, 0],
                    ["T1", "POL", "TNT", 250, 8, 0], ["Z1", "USA", "FUZE", 100, 90, 1]],
        requirements=[["POL", "155HE", "2", 150]],
        BillOfMaterials=bill,
        **{"IndustryStocks": [["TNT", 300]], **optional},
    )


def load(tmp_path, workbook: dict):
    return load_workbook(write_workbook(tmp_path / "alliance.xlsx", workbook))


def errors(tmp_path, workbook: dict) -> dict[str, str]:
    with pytest.raises(InputError) as raised:
        load(tmp_path, workbook)
    return {problem.where: problem.message for problem in raised.value.problems}


def warnings(tmp_path, workbook: dict) -> dict[str, str]:
    _, found = load(tmp_path, workbook)
    return {problem.where: problem.message for problem in found}


def test_components_and_their_lines_load_without_a_warning(tmp_path):
    data, found = load(tmp_path, shells_from_tnt())
    assert found == []
    assert data.bill_of_materials[["facility", "item", "component", "quantity", "row"]] \
        .values.tolist() == [["F1", "155HE", "TNT", 2.0, 2], ["F2", "155HE", "TNT", 1.5, 3],
                             ["F2", "155HE", "FUZE", 1.0, 4]]
    assert data.industry_stocks[["component", "on_hand"]].values.tolist() == [["TNT", 300.0]]


def test_a_blank_on_hand_is_0_and_a_component_held_by_industry_needs_no_line(tmp_path):
    workbook = shells_from_tnt(IndustryStocks=[["TNT", None], ["FUZE", 40]])
    workbook["Production"].pop()  # no line makes fuzes: industry's 40 are all there are
    data, found = load(tmp_path, workbook)
    assert found == []
    assert data.industry_stocks["on_hand"].tolist() == [0.0, 40.0]


def test_each_mistake_in_the_component_sheets_names_its_cell(tmp_path):
    found = errors(tmp_path, shells_from_tnt(
        BillOfMaterials=[["F1", "155HE", "TNT", 2], ["f1", "155HE", "TNT", 1],
                         ["F1", "155H", "TNT", 1], ["F2", "155HE", "TN-T", 1],
                         ["F2", "155HE", "TNT", 0], ["T1", "TNT", "TNT", 1],
                         ["F2", "155HE", "FUZE", "ten"], ["F1", "155HE", "TNT", 3]],
        IndustryStocks=[["TNT", 300], ["tnt", 5], ["FUZE", -1]]))
    assert found == {
        "BillOfMaterials!A3": "line (facility 'f1', item '155HE') is not defined in "
                              "Production; did you mean facility 'F1'?",
        "BillOfMaterials!A4": "line (facility 'F1', item '155H') is not defined in "
                              "Production; did you mean item '155HE'?",
        "BillOfMaterials!C5": "component 'TN-T' is not defined in Items; did you mean 'TNT'?",
        "BillOfMaterials!D6": "a quantity of 0 uses none of the component; delete the row "
                              "instead",
        "BillOfMaterials!C7": "'TNT' cannot be a component of itself; name what the line "
                              "uses up, or delete the row",
        "BillOfMaterials!D8": "quantity must be a number >= 0, got 'ten'",
        "BillOfMaterials!A9": "duplicate row for facility 'F1', item '155HE', component "
                              "'TNT'; first given in row 2",
        "IndustryStocks!A3": "component 'tnt' is not defined in Items; did you mean 'TNT'?",
        "IndustryStocks!B4": "on_hand must be a number >= 0, got -1",
    }


def test_a_cycle_of_components_is_one_error_naming_its_chain_and_cells(tmp_path):
    """TNT needs NC (T1), NC needs PETN (N1), PETN needs TNT (P1): none can be made
    first. FUZE and DET, each needing the other, are a second cycle, reported on its
    own."""
    workbook = shells_from_tnt(
        BillOfMaterials=[["F1", "155HE", "TNT", 2], ["T1", "TNT", "NC", 0.5],
                         ["N1", "NC", "PETN", 0.01], ["P1", "PETN", "TNT", 0.2],
                         ["F2", "155HE", "FUZE", 1], ["Z1", "FUZE", "DET", 1],
                         ["D1", "DET", "FUZE", 1]])
    workbook["Items"] += [["NC", "Nitrocellulose", "kg"], ["PETN", "PETN", "kg"],
                          ["DET", "Detonator", "units"]]
    workbook["Production"] += [["N1", "DEU", "NC", 500, 5, 0], ["P1", "DEU", "PETN", 90, 5, 0],
                               ["D1", "USA", "DET", 90, 5, 0]]
    assert errors(tmp_path, workbook) == {
        "BillOfMaterials!C3": "a cycle of components: TNT needs NC needs PETN needs TNT "
                              "(BillOfMaterials!C3, BillOfMaterials!C4, BillOfMaterials!C5), "
                              "so none of them can be made before the others; delete one "
                              "of these rows",
        "BillOfMaterials!C7": "a cycle of components: FUZE needs DET needs FUZE "
                              "(BillOfMaterials!C7, BillOfMaterials!C8), so none of them "
                              "can be made before the others; delete one of these rows",
    }


def test_a_chain_of_components_without_a_cycle_is_valid(tmp_path):
    """Multi-level: 155HE needs TNT, TNT needs NC from line N1, and FUZE needs NC too."""
    workbook = shells_from_tnt(
        BillOfMaterials=[["F1", "155HE", "TNT", 2], ["T1", "TNT", "NC", 0.5],
                         ["F2", "155HE", "FUZE", 1], ["Z1", "FUZE", "NC", 0.1]])
    workbook["Items"] += [["NC", "Nitrocellulose", "kg"]]
    workbook["Production"] += [["N1", "DEU", "NC", 500, 5, 0]]
    assert warnings(tmp_path, workbook) == {}


def test_a_component_nothing_makes_and_industry_lacks_is_an_error_at_its_first_use(tmp_path):
    workbook = shells_from_tnt(IndustryStocks=[["FUZE", 0]])
    workbook["Production"] = workbook["Production"][:3]  # no line makes TNT or fuzes
    assert errors(tmp_path, workbook) == {
        "BillOfMaterials!C2": "nothing makes TNT and industry holds none: add a Production "
                              "line for TNT or an IndustryStocks row with its on_hand",
        "BillOfMaterials!C4": "nothing makes FUZE and industry holds none "
                              "(IndustryStocks!B2 is 0): add a Production line for FUZE or "
                              "an IndustryStocks row with its on_hand",
    }


def test_no_ally_holds_targets_uses_or_fires_a_component(tmp_path):
    assert errors(tmp_path, shells_from_tnt(
        Requirements=[["POL", "155HE", "2", 150], ["DEU", "TNT", "2", 10]],
        Stocks=[["POL", "TNT", 5]],
        Consumption=[["POL", "FUZE", "1", 1]],
        AllianceTargets=[["TNT", "1", 100]],
        Platforms=[["POL", "KRAB"]],
        Compatibility=[["KRAB", "155HE"], ["KRAB", "TNT"]],
    )) == {
        f"{sheet}!{cell}": f"{item} is a component (BillOfMaterials!C{row}): allies do not "
                           "hold it, industry's pool does; delete this row, or delete the "
                           f"BillOfMaterials rows that name {item} as a component"
        for sheet, cell, item, row in (
            ("Requirements", "B3", "TNT", 2), ("Stocks", "B2", "TNT", 2),
            ("Consumption", "B2", "FUZE", 4), ("AllianceTargets", "A2", "TNT", 2),
            ("Compatibility", "B3", "TNT", 2))
    }


def test_no_framework_buys_from_a_component_line(tmp_path):
    found = errors(tmp_path, shells_from_tnt(
        Frameworks=[["NSPA", "F1", "155HE", "POL"], ["EXPL", "T1", "TNT", "POL"]]))
    assert found == {
        "Frameworks!C3": "line (facility 'T1', item 'TNT') makes a component "
                         "(BillOfMaterials!C2), which no ally orders: a framework cannot "
                         "buy from it; name a line of an item allies hold, or delete the row",
    }


def test_rows_that_cannot_touch_a_component_are_warned_of(tmp_path):
    """Capacity and Expansion of a component line are its own (SPEC §7.3); a route or an
    export control for a component, or industry stock of an item no line uses, changes
    nothing."""
    assert warnings(tmp_path, shells_from_tnt(
        Capacity=[["T1", "TNT", "1", 100]],
        Expansion=[["T1", "TNT", 200, 40]],
        Transport=[["POL", "DEU", 1, "TNT"]],
        Restrictions=[[None, "T1", "DEU", "TNT"], ["USA", None, "DEU", None]],
        IndustryStocks=[["TNT", 300], ["155HE", 20]],
    )) == {
        "IndustryStocks!A3": "'155HE' is not a component (no BillOfMaterials row uses it); "
                             "the row has no effect",
        "Transport!D2": "TNT is a component (BillOfMaterials!C2): it is delivered to no "
                        "ally, so the row has no effect",
        "Restrictions!D2": "TNT is a component (BillOfMaterials!C2): it is delivered to no "
                           "ally, so the row has no effect",
    }


def test_a_long_cycle_is_named_by_its_first_steps(tmp_path):
    """C01 needs C02 … needs C12 needs C01: the message names eight steps."""
    codes = [f"C{n:02d}" for n in range(1, 13)]
    workbook = shells_from_tnt(BillOfMaterials=[
        [f"L{code}", code, codes[(n + 1) % 12], 1] for n, code in enumerate(codes)])
    workbook["Items"] += [[code] for code in codes]
    workbook["Production"] += [[f"L{code}", "POL", code, 10, 1] for code in codes]
    assert errors(tmp_path, workbook) == {
        "BillOfMaterials!C2": "a cycle of components: C01 needs C02 needs C03 needs C04 "
                              "needs C05 needs C06 needs C07 needs C08 needs C09 needs … "
                              "needs C01 (" + ", ".join(f"BillOfMaterials!C{row}"
                                                       for row in range(2, 10))
                              + ", and 4 more), so none of them can be made before the "
                                "others; delete one of these rows"}
