"""The bundled sample alliance (``inputs/sample_alliance.xlsx``, written by
``scripts/make_sample.py``): valid, built from the public figures it cites in its Sources
sheet, the same as the script writes, and a plan worth reading."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.config import load_config
from optimizer.pipeline import solve_workbook
from optimizer.scenarios.edits import load_scenarios
from optimizer.workbook.schema import SHEETS
from optimizer.workbook.validation import load_workbook

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "inputs" / "sample_alliance.xlsx"
SCRIPT = REPO / "scripts" / "make_sample.py"
WHOLE_UNITS = {"GMLRS", "IRIST", "PAC3MSE"}
# The sample sets no joint purchases (SPEC §7.2) and no components (§7.3).
UNSET_SHEETS = ("Frameworks", "FrameworkMembers", "BillOfMaterials", "IndustryStocks")
OPTIONAL_SHEETS = [s.name for s in SHEETS if not s.required and s.name not in UNSET_SHEETS]
SHELL_LINES = {"UNTERLUESS", "BOURGES", "GLASCOED", "RAUFOSS", "SNINA"}
LABEL = re.compile(r"\[(src|inference|unverified|assumption|weak)|ILLUSTRATIVE")


def load_script():
    spec = importlib.util.spec_from_file_location("make_sample", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample():
    data, warnings = load_workbook(SAMPLE)  # raises InputError on any error
    return data, warnings


@pytest.fixture(scope="module")
def script():
    return load_script()


def sheet_rows(path: Path, name: str) -> list[tuple]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(workbook[name].iter_rows(values_only=True))
    finally:
        workbook.close()


def test_sample_loads_without_errors_or_warnings(sample):
    """The Sources and README sheets are notes: read with no warning."""
    _, warnings = sample
    assert [str(w) for w in warnings] == []


def test_sample_has_the_alliance_items_and_quarters(sample):
    data, _ = sample
    allies = list(data.allies["ally"])
    assert allies == ["DEU", "FRA", "GBR", "POL", "NOR", "EST", "LVA", "LTU"]
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in allies)  # ISO 3166 alpha-3
    assert data.allies["name"].notna().all() and (data.allies["gdp"] > 0).all()
    items = data.items.set_index("item")
    assert set(items.index) == {"155HE", "155PL"} | WHOLE_UNITS
    assert items.loc[sorted(WHOLE_UNITS), "integer"].all()  # rockets and missiles: whole
    assert not items.loc[["155HE", "155PL"], "integer"].any()
    assert data.periods == tuple(f"{y}Q{q}" for y in range(2027, 2031) for q in range(1, 5))


def test_every_optional_sheet_has_rows(sample):
    data, _ = sample
    for name in OPTIONAL_SHEETS:
        assert len(data.table(name)) > 0, name


def test_lines_prices_and_lead_times_are_the_published_ones(sample, script):
    data, _ = sample
    lines = data.production.set_index(["facility", "item"])
    shells = lines.xs("155HE", level="item")
    assert set(shells.index) >= SHELL_LINES
    assert shells["unit_cost"].between(3_000, 8_000).all()
    usd = 1 / script.EUR_PER_USD
    assert 4e6 <= lines.loc[("LOCKHEED", "PAC3MSE"), "unit_cost"] * usd <= 5e6
    assert lines.loc[("DIEHL", "IRIST"), "unit_cost"] == 1_900_000
    assert 100e3 <= lines.loc[("LOCKHEED", "GMLRS"), "unit_cost"] * usd <= 170e3
    assert data.production["lead_time"].between(2, 12).all()
    assert lines.loc[("UNTERLUESS", "155HE"), "capacity"] == 350_000 / 4  # a year's / 4


def test_budgets_are_in_proportion_to_published_defence_spending(sample, script):
    data, _ = sample
    budget = data.budgets.groupby("ally")["budget"].agg(["min", "max"])
    assert (budget["min"] == budget["max"]).all()  # the same every quarter
    assert set(budget.index) == set(data.allies["ally"])
    ratio = budget["min"] / pd.Series(script.SPENDING_USD_BN) / 1e9
    assert ratio.max() / ratio.min() == pytest.approx(1, abs=0.01)  # rounded to 100,000
    assert ratio.mean() == pytest.approx(script.EUR_PER_USD * script.MUNITIONS_SHARE / 4,
                                         rel=0.01)


def test_consumption_never_exceeds_stock(sample):
    data, _ = sample
    on_hand = data.stocks.set_index(["ally", "item"])["on_hand"]
    order = data.period_index
    used = data.consumption.assign(t=data.consumption["period"].map(order)).sort_values("t")
    used["cumulative"] = used.groupby(["ally", "item"])["quantity"].cumsum()
    for ally, item, cumulative in used[["ally", "item", "cumulative"]].itertuples(index=False):
        assert cumulative <= on_hand.get((ally, item), 0.0), (ally, item)


def test_sample_exercises_the_rules(sample):
    data, _ = sample
    allies = set(data.allies["ally"])
    hosts = set(data.production["host"])
    assert hosts - allies == {"SVK", "USA"}, "some lines are outside the alliance"
    transport_items = data.transport["item"]
    assert transport_items.isna().any() and transport_items.notna().any()
    payers = data.expansion["payer"]
    assert payers.isna().any() and payers.notna().any()
    lines = data.production.set_index(["facility", "item"])["capacity"]
    replaced = data.capacity.set_index(["facility", "item"])["capacity"]
    base = lines.reindex(replaced.index)
    assert (replaced == 0).any(), "a plant that starts later"
    assert ((replaced > 0) & (replaced < base)).any(), "a ramp-up"
    closing = data.allies.dropna(subset=["min_gap_closure"])
    assert len(closing) >= 2 and closing["min_gap_closure_from"].notna().all()
    working = data.allies.loc[data.allies["work_share_min"].notna(), "ally"]
    assert len(working) >= 2 and set(working) <= hosts


def test_platforms_fire_the_sample_items_with_a_candidate_pair(sample):
    """Every ally fields platforms; each platform fires a qualified item, the M109 at a
    factor below 1; the Polish shell is a candidate for other nations' guns; capability
    targets are for platforms their allies field (EST and LVA: their guns only), below
    the readiness targets."""
    data, _ = sample
    platforms = data.platforms
    assert set(platforms["ally"]) == set(data.allies["ally"])
    assert {"PZH2000", "CAESAR", "KRAB", "M109", "HIMARS", "PATRIOT"} <= set(
        platforms["platform"])
    compatibility = data.compatibility.set_index(["platform", "item"])
    qualified = compatibility[compatibility["qualified"]]
    assert set(qualified.index.get_level_values("platform")) == set(platforms["platform"])
    assert qualified.loc[("M109", "155HE"), "factor"] == 0.9
    candidates = compatibility[~compatibility["qualified"]].index.tolist()
    assert ("PZH2000", "155PL") in candidates and ("KRAB", "155PL") in qualified.index
    targets = data.capability_targets
    fielded = set(platforms[["ally", "platform"]].itertuples(index=False, name=None))
    targeted = set(targets[["ally", "platform"]].itertuples(index=False, name=None))
    untargeted = {("EST", "HIMARS"), ("EST", "IRIST_SLM"), ("LVA", "HIMARS"),
                  ("LVA", "IRIST_SLM")}
    assert targeted == fielded - untargeted
    final = targets[targets["period"] == "2030Q4"].merge(
        data.compatibility[data.compatibility["qualified"]], on="platform").merge(
        data.requirements, on=["ally", "item", "period"], suffixes=("", "_readiness"))
    assert (final["target"] <= final["target_readiness"]).all()


def test_the_example_scenarios_load_against_the_sample(sample):
    """``models/scenarios_example.toml`` is what the README points an analyst to: every
    edit in it names codes of the sample and is accepted as written."""
    data, _ = sample
    scenarios = load_scenarios(REPO / "models" / "scenarios_example.toml", data,
                               load_config(None, []))
    kinds = {edit.kind for scenario in scenarios for edit in scenario.edits}
    assert {"scale_alliance_targets", "scale_funding"} <= kinds
    funded = next(s for s in scenarios if s.name == "German funding for the Baltics halved")
    caps = funded.apply(data).funding.set_index("to")["max_amount"]
    assert caps.to_dict() == pytest.approx(
        (data.funding.set_index("to")["max_amount"] / 2).to_dict())


def test_sources_cite_every_public_figure_with_its_label():
    header, *rows = sheet_rows(SAMPLE, "Sources")
    assert header == ("figure", "value", "label and source", "used for")
    assert len(rows) >= 20
    assert all(figure and value and LABEL.search(label) and used
               for figure, value, label, used in rows)
    text = " ".join(" ".join(row) for row in rows)
    for named in ("Unterlüß", "Bourges", "Glascoed", "Raufoss", "Snina", "PAC-3 MSE",
                  "IRIS-T SLM", "GMLRS", "SIPRI", "NATO", "PzH 2000", "CAESAR", "Krab"):
        assert named in text, named
    illustrative = [row for row in rows if "ILLUSTRATIVE" in row[2]]
    assert any("Budgets" in row[3] for row in illustrative)
    assert any("Requirements" in row[3] for row in illustrative)
    assert any("CapabilityTargets" in row[3] for row in illustrative)


def test_readme_says_targets_and_budgets_are_illustrative():
    workbook = openpyxl.load_workbook(SAMPLE, read_only=True)
    names = workbook.sheetnames
    workbook.close()
    assert names[0] == "README" and names[-1] == "Sources"
    text = " ".join(str(value) for row in sheet_rows(SAMPLE, "README")
                    for value in row if value)
    assert "READINESS TARGETS AND BUDGETS ARE ILLUSTRATIVE" in text
    assert "Sources sheet" in text
    assert "python scripts/make_sample.py" in text
    assert "EXAMPLE-" not in text  # the template's example rows are not the sample's


def test_the_bundled_sample_is_what_the_script_writes(sample, script, tmp_path):
    committed, _ = sample
    path = script.write_sample(tmp_path / "sample.xlsx")
    regenerated, warnings = load_workbook(path)
    assert warnings == []
    assert regenerated.periods == committed.periods
    for sheet in SHEETS:
        if sheet.name == "Periods":
            continue
        pd.testing.assert_frame_equal(
            regenerated.table(sheet.name), committed.table(sheet.name), obj=sheet.name
        )
    for notes in ("README", "Sources"):
        assert sheet_rows(path, notes) == sheet_rows(SAMPLE, notes), notes


@pytest.fixture(scope="module")
def plan_result():
    return solve_workbook(SAMPLE, load_config(None, ["solver.time_limit=120"]))


def test_sample_plan_is_proven_optimal_in_whole_units(plan_result):
    assert plan_result.status == "optimal", plan_result.message
    assert plan_result.verification.passed
    orders = plan_result.plan.orders
    whole = orders[orders["item"].isin(WHOLE_UNITS)]["quantity"]
    assert len(whole) > 0 and (whole == whole.round()).all()


def test_sample_plan_closes_gaps_where_lead_times_allow(plan_result):
    """The first year-end's gaps cannot all close (lead times of 2 to 10 quarters); by the
    end of 2030 most of the gap is closed and capacity is expanded."""
    plan = plan_result.plan
    readiness = plan.readiness
    assert plan.weighted_shortfall > 0
    by_period = readiness.groupby("period")[["shortfall", "gap"]].sum()
    assert by_period.loc["2027Q4", "shortfall"] > 0.5 * by_period.loc["2027Q4", "gap"]
    assert by_period.loc["2030Q4", "shortfall"] < 0.1 * by_period.loc["2030Q4", "gap"]
    assert (readiness["closed_pct"] >= 100 - 1e-6).sum() >= 20
    assert not plan.expansions.empty


def test_a_small_allys_budget_binds_and_more_of_it_is_worth_something(plan_result, script):
    """The small allies spend all their budget in several quarters; Binding measures what
    one more million would close or save (whole units: a re-solve) for at least one of
    them (with the alliance's 155 mm goal, the ones measured lower the plan's cost)."""
    small = {"EST", "LVA", "LTU"}
    budgets = plan_result.plan.budgets
    spent_out = budgets[budgets["remaining"] <= 1e-6 * budgets["budget"]]
    assert small & set(spent_out["ally"])
    assert not {"DEU", "FRA", "GBR"} & set(spent_out["ally"])
    binding = plan_result.binding
    measured = binding[(binding["family"] == "budget") & binding["ally"].isin(small)
                       & ((binding["shortfall_closed"] > 0) | (binding["cost_saved"] > 0))]
    assert len(measured) >= 1
    assert measured["how"].str.startswith("measured").all()


def test_the_small_allies_minimum_gap_closure_has_a_price(plan_result):
    """EST and LVA must close 30 % of every gap from 2029Q4 (Allies.min_gap_closure_from):
    they spend some of their budget on rockets and interceptors rather than shells. The
    alliance's 155 mm goal has the other allies buy shells enough to keep the weighted
    shortfall where it was without the rule; the rule's price is then money."""
    prices = plan_result.rule_prices
    [rule] = prices[(prices["rule"] == "minimum gap closure")
                    & prices["ally"].isna()].to_dict("records")
    assert rule["set_by"] == "Allies!D7, Allies!D8, Allies!F7, Allies!F8"  # EST, LVA
    assert rule["shortfall_of_rule"] >= -1e-6
    assert rule["cost_of_rule"] > 1e6
    readiness = plan_result.plan.readiness
    ruled = readiness[readiness["ally"].isin(["EST", "LVA"])
                      & readiness["period"].isin(["2029Q4", "2030Q4"])
                      & (readiness["gap"] > 0)]
    assert (ruled["closed_pct"] >= 30 - 1e-6).all()



def test_fair_shares_follow_defence_spending_and_sum_to_1(sample, script):
    data, _ = sample
    shares = data.allies.set_index("ally")["fair_share"]
    assert shares.sum() == pytest.approx(1, abs=1e-12)
    spending = pd.Series(script.SPENDING_USD_BN)
    assert shares.to_dict() == pytest.approx((spending / spending.sum()).to_dict(),
                                             abs=len(shares) * 0.5e-4)
    assert shares["DEU"] == 0.3066 and shares["EST"] == 0.0048


def test_the_alliance_holds_its_155_mm_goal_unevenly(plan_result, tmp_path):
    """AllianceTargets: 4 million 155HE at the end of 2030, above the allies' own 2030
    targets (3.68 million): the plan holds it whole, and the Burden sharing sheet shows
    who holds it: Poland well above its fair share of 13.16 %, the United Kingdom well
    below its 28.34 %."""
    data = plan_result.data
    assert data.alliance_targets[["item", "period", "target"]].values.tolist() == [
        ["155HE", "2030Q4", 4_000_000.0]]
    own = data.requirements[(data.requirements["item"] == "155HE")
                            & (data.requirements["period"] == "2030Q4")]["target"].sum()
    assert own == 3_680_000
    [target] = plan_result.plan.alliance.to_dict("records")
    assert target["held"] == pytest.approx(4_000_000, rel=1e-9)
    assert target["shortfall"] == pytest.approx(0, abs=1e-6)
    report = openpyxl.load_workbook(plan_result.write_report(tmp_path / "report.xlsx"))
    rows = list(report["Burden sharing"].iter_rows(values_only=True))
    header = rows[0]
    cells = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert list(cells) == list(data.allies["ally"])
    held = {ally: row["Share of alliance stock held (%)"] for ally, row in cells.items()}
    assert sum(held.values()) == pytest.approx(100)
    assert held["POL"] > cells["POL"]["Fair share (%)"] + 5
    assert held["GBR"] < cells["GBR"]["Fair share (%)"] - 5
    assert all(row["Short of band"] == 0 for row in cells.values())  # the band is off


def test_with_a_band_of_0_1_each_ally_holds_90_percent_of_its_share(plan_result):
    """The README's suggestion, --set rules.fair_share_band=0.1: every ally holds at least
    0.9 × its fair share × 4 million, which costs more than the plan without the band at
    the same weighted shortfall (to the whole-unit solves' solver.mip_gap, 1e-4)."""
    banded = solve_workbook(SAMPLE, load_config(None, [
        "rules.fair_share_band=0.1", "explain.rule_prices=false",
        "explain.standardisation=false"]))
    assert banded.status == "optimal" and banded.verification.passed
    shares = banded.plan.fair_shares
    assert shares["band_floor"].tolist() == pytest.approx(
        (0.9 * shares["fair_share"] * 4e6).tolist())
    assert (shares["held"] >= shares["band_floor"] - 1e-6).all()
    assert shares["short_of_band"].abs().max() <= 1e-6
    assert banded.plan.weighted_shortfall == pytest.approx(
        plan_result.plan.weighted_shortfall, rel=1e-4)
    assert banded.plan.total_cost > plan_result.plan.total_cost
