"""The synthetic alliance generator: reproducible, valid, and shaped like the real problem."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimizer.workbook.schema import SHEETS, SHEETS_BY_NAME, Kind
from optimizer.workbook.synthetic import generate_tables, generate_workbook
from optimizer.workbook.validation import load_workbook

SMALL = {"allies": 5, "items": 10, "lines": 40, "periods": 12}  # the benchmark's S
OPTIONAL = ["Capacity", "Expansion", "Stocks", "Consumption", "Budgets", "Transport",
            "Restrictions"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_tables(**SMALL, seed=7)


def _stock_without_orders(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Requirements with on_hand and P = on_hand - cumulative consumption (SPEC §4, rule 6)."""
    req = tables["Requirements"].copy()
    req["t"] = req["period"].map({p: t for t, p in enumerate(tables["Periods"]["period"])})
    req = req.merge(tables["Stocks"], on=["ally", "item"], how="left").fillna({"on_hand": 0.0})
    req = req.merge(tables["Consumption"], on=["ally", "item", "period"], how="left")
    req["quantity"] = req["quantity"].fillna(0.0)
    req = req.sort_values(["ally", "item", "t"])
    req["used"] = req.groupby(["ally", "item"])["quantity"].cumsum()
    req["without_orders"] = req["on_hand"] - req["used"]
    return req


def test_same_seed_same_tables_other_seed_other_tables(tables):
    again = generate_tables(**SMALL, seed=7)
    assert list(again) == list(tables)
    for name in tables:
        pd.testing.assert_frame_equal(again[name], tables[name])
    other = generate_tables(**SMALL, seed=8)
    assert not other["Requirements"]["target"].equals(tables["Requirements"]["target"])
    assert not other["Production"].equals(tables["Production"])


PLATFORM_SHEETS = ["Platforms", "Compatibility", "CapabilityTargets"]


@pytest.fixture(scope="module")
def with_platforms() -> dict[str, pd.DataFrame]:
    return generate_tables(**SMALL, seed=7, platforms=3)


ALLIANCE_SHEETS = ["AllianceTargets"]  # SPEC §7.2, with --alliance-targets
FUNDING_SHEETS = ["Funding"]  # SPEC §7.2, only with --funding
FRAMEWORK_SHEETS = ["Frameworks", "FrameworkMembers"]  # only with --frameworks
COMPONENT_SHEETS = ["BillOfMaterials", "IndustryStocks"]  # SPEC §7.3, with --components
GENERATED = [sheet for sheet in SHEETS
             if sheet.name not in FUNDING_SHEETS + FRAMEWORK_SHEETS + COMPONENT_SHEETS]


@pytest.fixture(scope="module")
def with_everything() -> dict[str, pd.DataFrame]:
    return generate_tables(**SMALL, seed=7, platforms=3, alliance_targets=6)


def test_sheets_and_columns_follow_the_schema(tables, with_platforms, with_everything):
    assert list(tables) == [sheet.name for sheet in GENERATED
                            if sheet.name not in PLATFORM_SHEETS + ALLIANCE_SHEETS]
    assert list(with_platforms) == [sheet.name for sheet in GENERATED
                                    if sheet.name not in ALLIANCE_SHEETS]
    assert list(with_everything) == [sheet.name for sheet in GENERATED]
    for sheet in GENERATED:
        frame = with_everything[sheet.name]
        assert list(frame.columns) == sheet.column_names, sheet.name
        for column in sheet.columns:
            values = frame[column.name]
            if column.kind in (Kind.CODE, Kind.TEXT):
                assert values.map(lambda v: v is None or isinstance(v, str)).all(), column.name
            elif column.kind is Kind.BOOLEAN:
                assert values.dtype == bool
            else:
                assert pd.api.types.is_numeric_dtype(values), (sheet.name, column.name)
                assert (values.dropna() >= 0).all(), (sheet.name, column.name)
            if column.required:
                assert values.notna().all(), (sheet.name, column.name)


def test_generated_workbook_loads_without_errors_or_warnings(tmp_path, tables):
    path = generate_workbook(tmp_path / "alliance.xlsx", **SMALL, seed=7)
    assert path == tmp_path / "alliance.xlsx"
    data, warnings = load_workbook(path)
    assert [str(w) for w in warnings] == []
    assert data.periods == tuple(tables["Periods"]["period"])
    assert len(data.requirements) == 5 * 10 * 12
    for name in OPTIONAL + ["Allies", "Items", "Production"]:
        assert len(data.table(name)) == len(tables[name]), name
    assert data.requirements["target"].sum() == pytest.approx(
        tables["Requirements"]["target"].sum())
    workbook = openpyxl.load_workbook(path, read_only=True)
    text = " ".join(str(v) for row in workbook["README"].iter_rows(values_only=True)
                    for v in row if v)
    workbook.close()
    assert "synthetic" in text
    assert "seed 7" in text


@pytest.mark.parametrize("sizes", [(1, 1, 1, 1), (3, 6, 2, 3), (2, 2, 30, 1)])
def test_edge_sizes_are_valid_workbooks(tmp_path, sizes):
    allies, items, lines, periods = sizes
    path = generate_workbook(tmp_path / "edge.xlsx", allies, items, lines, periods, seed=1)
    data, warnings = load_workbook(path)
    assert warnings == []
    assert len(data.requirements) == allies * items * periods
    assert len(data.production) == lines


def test_row_counts_and_every_optional_sheet_used(tables):
    assert len(tables["Requirements"]) == 5 * 10 * 12
    assert not tables["Requirements"].duplicated(["ally", "item", "period"]).any()
    assert len(tables["Production"]) == 40
    for name in OPTIONAL:
        assert len(tables[name]) > 0, name
    assert 0.7 * 50 <= len(tables["Stocks"]) < 50  # most (ally, item) have stock
    assert 0 < len(tables["Consumption"]) < 0.5 * 600
    large = generate_tables(32, 100, 1000, 32, seed=0)
    assert len(large["Requirements"]) == 102_400
    assert len(large["Production"]) == 1000
    assert list(large["Allies"]["ally"][:3]) == ["A01", "A02", "A03"]
    assert large["Items"]["item"].iloc[-1] == "IT100"


def test_codes(tables):
    assert list(tables["Periods"]["period"]) == [
        "2027Q1", "2027Q2", "2027Q3", "2027Q4", "2028Q1", "2028Q2", "2028Q3", "2028Q4",
        "2029Q1", "2029Q2", "2029Q3", "2029Q4"]
    assert list(tables["Allies"]["ally"]) == ["A01", "A02", "A03", "A04", "A05"]
    assert list(tables["Items"]["item"]) == [f"IT{n:03d}" for n in range(1, 11)]
    production = tables["Production"]
    assert production["facility"].str.fullmatch(r"F\d{4}").all()
    assert production["facility"].iloc[0] == "F0001"
    assert not production.duplicated(["facility", "item"]).any()
    assert (production.groupby("facility")["host"].nunique() == 1).all()  # one site each
    assert tables["Allies"]["name"].is_unique


def test_consumption_never_exceeds_stock_on_hand(tables):
    for seed in (7, 8, 9):
        some = tables if seed == 7 else generate_tables(**SMALL, seed=seed)
        frame = _stock_without_orders(some)
        assert frame["quantity"].sum() > 0
        assert (frame["without_orders"] >= 0).all()
    large = _stock_without_orders(generate_tables(16, 50, 400, 32, seed=3))
    assert (large["without_orders"] >= 0).all()
    consumed = large.groupby(["ally", "item"])["used"].max() / large.groupby(
        ["ally", "item"])["on_hand"].max()
    assert consumed.max() <= 0.4  # at most 40% of the stock over the horizon


def test_allies(tables):
    allies = tables["Allies"]
    assert allies["gdp"].max() / allies["gdp"].min() > 10
    closure = allies["min_gap_closure"].dropna()
    assert 1 <= len(closure) < len(allies) / 2
    assert closure.between(0.1, 0.3).all()
    share = allies.set_index("ally")["work_share_min"].dropna()
    assert len(share) >= 1
    assert share.between(0.05, 0.2).all()
    assert set(share.index) <= set(tables["Production"]["host"])
    assert not set(share.index) & set(allies.loc[allies["min_gap_closure"].notna(), "ally"])


def test_items_mix_cheap_bulk_and_expensive_whole_units(tables):
    items = tables["Items"].set_index("item")
    assert items["integer"].any() and not items["integer"].all()
    cost = tables["Production"].groupby("item")["unit_cost"]
    whole = items["integer"]
    assert cost.min()[whole[whole].index].min() >= 0.7 * 1e5
    assert cost.max()[whole[whole].index].max() <= 1.3 * 5e6
    assert cost.min()[whole[~whole].index].min() >= 0.7 * 1e3
    assert cost.max()[whole[~whole].index].max() <= 1.3 * 1e4
    assert (cost.max() / cost.min() <= 1.3 / 0.7 + 1e-9).all()  # +-30% around the price
    holding = items["holding_cost"] / cost.mean()
    assert holding.between(0.003, 0.02).all()  # about 1% of the unit cost per period
    assert set(items["priority"]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    penalty = items["shortfall_penalty"]
    assert penalty.notna().any() and penalty.isna().any()
    assert (penalty.dropna() > cost.max()[penalty.dropna().index]).all()


def test_production_lines(tables):
    production = tables["Production"]
    allies = set(tables["Allies"]["ally"])
    assert set(production["item"]) == set(tables["Items"]["item"])
    hosts_per_item = production.groupby("item")["host"].nunique()
    assert (hosts_per_item >= 2).mean() > 0.5
    outside = set(production["host"]) - allies
    assert outside and all(host.startswith("X") for host in outside)
    assert production["host"].isin(allies).mean() > 0.6
    assert production["lead_time"].between(0, 4).all()
    assert (production["capacity"] >= 1).all()


def test_capacity_overrides_ramp_ups_and_outages(tables):
    overrides = tables["Capacity"].merge(
        tables["Production"][["facility", "item", "capacity"]], on=["facility", "item"],
        suffixes=("", "_normal"))
    assert len(overrides) == len(tables["Capacity"])
    lines = overrides[["facility", "item"]].drop_duplicates()
    assert 1 <= len(lines) < 0.5 * len(tables["Production"])
    assert (overrides["capacity"] < overrides["capacity_normal"]).all()
    assert "2027Q1" in set(overrides["period"])  # ramp-ups start in the first period
    assert (overrides["capacity"] == 0).any() or (overrides["period"] != "2027Q1").any()


def test_expansion(tables):
    expansion = tables["Expansion"]
    assert 0.1 * 40 <= len(expansion) <= 0.5 * 40
    assert expansion["lead_time"].between(1, 4).all()
    assert (expansion["max_extra"] > 0).all() and (expansion["cost_per_unit"] > 0).all()
    payers = expansion["payer"].dropna()
    assert len(payers) > 0
    assert payers.isin(tables["Allies"]["ally"]).all()


def test_budgets_are_limited_for_most_allies_and_bind_for_some(tables):
    allies = tables["Allies"]
    budgets = tables["Budgets"]
    with_budget = set(budgets["ally"])
    without = set(allies["ally"]) - with_budget
    assert without and len(with_budget) > len(without)
    assert set(allies.loc[allies["min_gap_closure"].notna(), "ally"]) <= without
    assert (budgets.groupby("ally").size() == 12).all()
    # the cheapest price of each ally's final gap, against its whole budget
    frame = _stock_without_orders(tables)
    last = frame[frame["t"] == 11].copy()
    last["gap"] = (last["target"] - last["without_orders"]).clip(lower=0)
    cheapest = tables["Production"].groupby("item")["unit_cost"].min()
    need = (last["gap"] * last["item"].map(cheapest)).groupby(last["ally"]).sum()
    money = budgets.groupby("ally")["budget"].sum()
    assert (money < need[money.index]).any()


def test_transport_routes(tables):
    transport = tables["Transport"]
    assert transport["item"].isna().any() and transport["item"].notna().any()
    assert not transport.duplicated(["from", "to", "item"]).any()
    assert transport["to"].isin(tables["Allies"]["ally"]).all()
    countries = set(tables["Allies"]["ally"]) | set(tables["Production"]["host"])
    assert transport["from"].isin(countries).all()
    assert (transport["from"] != transport["to"]).all()
    assert transport["lead_time"].isin([0, 1]).all()
    assert (transport["cost_per_unit"] > 0).all()


def test_restrictions_never_cut_an_ally_off_an_item(tables):
    restrictions = tables["Restrictions"]
    assert 1 <= len(restrictions) <= 10
    assert restrictions.notna().any(axis=1).all()
    production = tables["Production"]
    for ally in tables["Allies"]["ally"]:
        open_lines = pd.Series(True, index=production.index)
        for row in restrictions.itertuples(index=False):
            hit = pd.Series(row.ally in (None, ally), index=production.index)
            for column in ("host", "facility", "item"):
                if getattr(row, column) is not None:
                    hit &= production[column] == getattr(row, column)
            open_lines &= ~hit
        assert set(production.loc[open_lines, "item"]) == set(tables["Items"]["item"]), ally


def test_targets_rise_and_capacity_closes_much_but_not_all_of_the_gap(tables):
    frame = _stock_without_orders(tables)
    closure_allies = tables["Allies"].dropna(subset=["min_gap_closure"])["ally"]
    plain = frame[~frame["ally"].isin(closure_allies)]
    first, final = (plain[plain["t"] == t].set_index(["ally", "item"])["target"] for t in (0, 11))
    assert (final >= first).all() and (final > first).mean() > 0.5
    assert (frame["target"] >= 0).all()
    # no gap in the first two periods for an ally that must close a share of every gap
    guarded = frame[frame["ally"].isin(closure_allies) & (frame["t"] <= 1)]
    assert len(guarded) > 0 and (guarded["target"] <= guarded["without_orders"]).all()

    last = frame[frame["t"] == 11]
    gap = (last["target"] - last["without_orders"]).clip(lower=0).groupby(last["item"]).sum()
    production = tables["Production"]
    extra = tables["Expansion"].groupby("item")["max_extra"].sum()
    supply = (production.groupby("item")["capacity"].sum().add(extra, fill_value=0) * 12)
    assert (supply < gap).any()  # some gaps cannot be closed even at full capacity
    assert supply.clip(upper=gap).sum() > 0.5 * gap.sum()  # but much of the gap can


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 10, 40, 12, 0), "allies must be a whole number of at least 1, got 0"),
        ((5, -1, 40, 12, 0), "items must be a whole number of at least 1, got -1"),
        ((5, 10, 2.5, 12, 0), "lines must be a whole number of at least 1, got 2.5"),
        ((5, 10, 40, True, 0), "periods must be a whole number of at least 1, got True"),
        ((5, 10, 40, "12", 0), "periods must be a whole number of at least 1, got '12'"),
        ((5, 10, 40, 12, -3), "seed must be a whole number of at least 0, got -3"),
        ((100, 1000, 40, 12, 0), "1,200,000 readiness targets, more rows than an Excel sheet"),
    ],
)
def test_bad_arguments_raise_value_error(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        generate_tables(*arguments)
    with pytest.raises(ValueError, match=message):
        generate_workbook(tmp_path / "bad.xlsx", *arguments)
    assert not (tmp_path / "bad.xlsx").exists()


def test_numpy_integers_are_accepted():
    small = generate_tables(np.int64(2), np.int32(3), np.int64(4), np.int64(2), np.int64(5))
    assert len(small["Requirements"]) == 12


def test_fractional_instances_differ_only_in_whole_units(tables, tmp_path, capsys):
    from optimizer.cli import main

    fractional = generate_tables(**SMALL, seed=7, whole_units=False)
    assert tables["Items"]["integer"].any()
    assert not fractional["Items"]["integer"].any()
    for name in tables:
        other_columns = [c for c in tables[name].columns if (name, c) != ("Items", "integer")]
        pd.testing.assert_frame_equal(fractional[name][other_columns],
                                      tables[name][other_columns])
    path = tmp_path / "lp.xlsx"
    arguments = [f"--{key}={value}" for key, value in SMALL.items()]
    assert main(["generate", str(path), *arguments, "--seed=7", "--fractional"]) == 0
    assert "every item fractional" in capsys.readouterr().out
    data, warnings = load_workbook(path)
    assert not data.items["integer"].any()


def test_platforms_leave_the_other_sheets_as_they_were(tables, with_platforms):
    for name in tables:
        pd.testing.assert_frame_equal(with_platforms[name], tables[name], obj=name)
    again = generate_tables(**SMALL, seed=7, platforms=3)
    for name in PLATFORM_SHEETS:
        pd.testing.assert_frame_equal(again[name], with_platforms[name], obj=name)
    other = generate_tables(**SMALL, seed=8, platforms=3)
    assert not other["Platforms"].equals(with_platforms["Platforms"])


def test_platforms_items_and_capability_targets(with_platforms):
    platforms, compatibility = with_platforms["Platforms"], with_platforms["Compatibility"]
    targets = with_platforms["CapabilityTargets"]
    assert (platforms.groupby("ally").size().between(1, 3)).all()
    assert set(platforms["ally"]) == set(with_platforms["Allies"]["ally"])
    assert set(platforms["priority"]) <= {1.0, 2.0, 3.0}
    assert platforms.groupby("platform").size().max() >= 2  # some platforms are shared
    assert set(compatibility["platform"]) == set(platforms["platform"])
    assert compatibility.groupby("platform").size().between(1, 4).all()
    qualified = compatibility[compatibility["qualified"]]
    assert set(qualified["platform"]) == set(platforms["platform"])  # each has a qualified item
    assert (qualified["factor"] == 1).any() and (qualified["factor"] < 1).any()
    assert qualified["factor"].between(0.8, 1.0).all()
    assert (~compatibility["qualified"]).any()  # a candidate pair
    integer = with_platforms["Items"].set_index("item")["integer"]
    assert (compatibility.groupby("platform")["item"].agg(
        lambda items: integer[items].nunique()) == 1).all()  # one kind of item a platform
    operated = platforms.merge(with_platforms["Periods"], how="cross")
    assert len(targets) == len(operated)
    assert not targets.duplicated(["ally", "platform", "period"]).any()
    requirements = with_platforms["Requirements"]["target"]
    assert 0 < targets["target"].median() <= requirements.max()


def test_a_workbook_with_platforms_validates_without_warnings(tmp_path, capsys):
    from optimizer.cli import main

    path = tmp_path / "platforms.xlsx"
    arguments = [f"--{key}={value}" for key, value in SMALL.items()]
    assert main(["generate", str(path), *arguments, "--seed=7", "--platforms=2"]) == 0
    assert "at most 2 platforms per ally" in capsys.readouterr().out
    data, warnings = load_workbook(path)
    assert [str(w) for w in warnings] == []
    expected = generate_tables(**SMALL, seed=7, platforms=2)
    for name in PLATFORM_SHEETS:
        assert len(data.table(name)) == len(expected[name]), name
    edge = generate_workbook(tmp_path / "edge.xlsx", 1, 1, 1, 1, seed=1, platforms=4)
    data, warnings = load_workbook(edge)
    assert warnings == [] and len(data.platforms) >= 1


def test_platforms_must_be_a_whole_number_of_at_least_0():
    with pytest.raises(ValueError, match="platforms must be a whole number of at least 0, "
                                         "got -1"):
        generate_tables(**SMALL, platforms=-1)
    with pytest.raises(ValueError, match="5,000,000 capability targets, more rows than"):
        generate_tables(100, 1, 1, 1000, platforms=50)


def test_the_generate_command_names_a_bad_platforms_count(tmp_path, capsys):
    from optimizer.cli import main

    path = tmp_path / "bad.xlsx"
    assert main(["generate", str(path), "--allies=2", "--items=2", "--lines=2",
                 "--periods=2", "--platforms=-2"]) == 2
    assert "platforms must be a whole number of at least 0, got -2" in capsys.readouterr().err
    assert not path.exists()


def test_alliance_targets_leave_the_other_sheets_as_they_were(tables, with_platforms,
                                                              with_everything):
    none = generate_tables(**SMALL, seed=7, alliance_targets=0)
    assert list(none) == list(tables)
    for name in tables:
        pd.testing.assert_frame_equal(none[name], tables[name], obj=name)
    assert tables["Allies"]["fair_share"].isna().all()
    for name in with_platforms:
        expected = with_platforms[name]
        got = with_everything[name]
        if name == "Allies":
            expected, got = expected.drop(columns="fair_share"), got.drop(columns="fair_share")
        pd.testing.assert_frame_equal(got, expected, obj=name)
    alone = generate_tables(**SMALL, seed=7, alliance_targets=6)
    pd.testing.assert_frame_equal(alone["AllianceTargets"], with_everything["AllianceTargets"])
    other = generate_tables(**SMALL, seed=8, alliance_targets=6)
    assert not other["AllianceTargets"].equals(alone["AllianceTargets"])


def test_alliance_targets_ask_about_what_the_allies_own_targets_do(with_everything):
    targets = with_everything["AllianceTargets"]
    assert len(targets) == 6
    assert not targets.duplicated(["item", "period"]).any()
    order = {p: t for t, p in enumerate(with_everything["Periods"]["period"])}
    assert targets.assign(t=targets["period"].map(order)).sort_values(
        ["item", "t"]).index.tolist() == list(range(6))  # in item and period order
    summed = with_everything["Requirements"].groupby(["item", "period"])["target"].sum()
    asked = targets.set_index(["item", "period"])["target"] / summed.reindex(
        pd.MultiIndex.from_frame(targets[["item", "period"]])).to_numpy()
    assert asked.between(0.6 - 1e-3, 1.0 + 1e-3).all()
    priority = targets["priority"]
    assert set(priority.dropna()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert priority.isna().any() and priority.notna().any()


def test_fair_shares_follow_gdp_and_sum_to_1(with_everything):
    allies = with_everything["Allies"]
    shares = allies["fair_share"].to_numpy()
    assert (shares >= 0).all()
    assert shares.sum() == pytest.approx(1, abs=1e-12)
    assert np.round(shares * 1e4) == pytest.approx(shares * 1e4, abs=1e-9)  # 4 decimals
    by_gdp = allies["gdp"].to_numpy() / allies["gdp"].sum()
    assert shares == pytest.approx(by_gdp, abs=len(shares) * 0.5e-4)


def test_rounded_shares_give_the_remainder_to_the_largest():
    from optimizer.workbook.synthetic import rounded_shares

    # 1/3 each rounds to 0.3333 three times, 0.9999: the largest (the first of equals)
    # takes the 0.0001 left over.
    assert rounded_shares(np.array([1.0, 1.0, 1.0])).tolist() == [0.3334, 0.3333, 0.3333]
    # 0.99996 and four of 0.00001 round to 1.0 and 0, 1.0 in all: nothing to move.
    assert rounded_shares(np.array([99996.0, 1, 1, 1, 1])).tolist() == [1.0, 0, 0, 0, 0]


@pytest.mark.parametrize("band", ["1", "0.5"])
def test_a_workbook_with_alliance_targets_validates_and_solves(tmp_path, capsys, band):
    from optimizer.cli import main
    from optimizer.config import load_config
    from optimizer.pipeline import solve_workbook

    path = tmp_path / "alliance.xlsx"
    arguments = ["--allies=4", "--items=6", "--lines=20", "--periods=8", "--seed=7"]
    assert main(["generate", str(path), *arguments, "--fractional",
                 "--alliance-targets=6"]) == 0
    assert "6 alliance targets, fair shares by gdp" in capsys.readouterr().out
    config = load_config(None, [f"rules.fair_share_band={band}"])
    data, warnings = load_workbook(path, config.rules)
    assert [str(w) for w in warnings] == []
    assert len(data.alliance_targets) == 6
    result = solve_workbook(path, config)
    assert result.status == "optimal" and result.verification.passed
    assert len(result.plan.alliance) == 6
    assert result.plan.alliance_shortfall > 0  # some alliance target binds
    short_of_band = result.plan.fair_shares["short_of_band"]
    if band == "1":
        assert (short_of_band == 0).all()
    else:  # some ally holds less than half its share of some target
        assert (short_of_band > 0).any()


def test_alliance_targets_must_fit_the_items_and_periods(tmp_path, capsys):
    from optimizer.cli import main

    with pytest.raises(ValueError, match="alliance targets must be a whole number of at "
                                         "least 0, got -1"):
        generate_tables(**SMALL, alliance_targets=-1)
    generate_tables(2, 2, 2, 3, alliance_targets=6)  # every (item, period) pair
    with pytest.raises(ValueError, match=r"alliance targets = 7 is more than items x "
                                         r"periods = 6"):
        generate_tables(2, 2, 2, 3, alliance_targets=7)
    path = tmp_path / "bad.xlsx"
    assert main(["generate", str(path), "--allies=2", "--items=2", "--lines=2",
                 "--periods=2", "--alliance-targets=5"]) == 2
    assert "alliance targets = 5 is more than items x periods = 4" in capsys.readouterr().err
    assert not path.exists()


def test_frameworks_leave_the_other_sheets_as_they_were(tables, with_platforms):
    """--frameworks draws from a stream of its own, after the platforms': every other
    sheet is as without it, the platforms' too."""
    with_frameworks = generate_tables(**SMALL, seed=7, platforms=3, frameworks=4)
    assert list(with_frameworks) == [*with_platforms, *FRAMEWORK_SHEETS]
    for name in with_platforms:
        pd.testing.assert_frame_equal(with_frameworks[name], with_platforms[name], obj=name)
    frameworks = generate_tables(**SMALL, seed=7, frameworks=4)["Frameworks"]
    pd.testing.assert_frame_equal(frameworks, with_frameworks["Frameworks"])


def test_frameworks_pool_a_line_below_its_price_for_a_lead_and_its_members(tmp_path,
                                                                            capsys):
    from optimizer.cli import main

    path = tmp_path / "frameworks.xlsx"
    arguments = [f"--{key}={value}" for key, value in SMALL.items()]
    assert main(["generate", str(path), *arguments, "--seed=7", "--frameworks=4"]) == 0
    assert "at most 4 frameworks" in capsys.readouterr().out
    data, warnings = load_workbook(path)
    assert [str(w) for w in warnings] == []
    frameworks, members = data.frameworks, data.framework_members
    assert frameworks["framework"].tolist() == ["FW01", "FW02", "FW03", "FW04"]
    assert not frameworks.duplicated(["facility", "item"]).any()  # a line of its own
    lines = frameworks.merge(data.production, on=["facility", "item"])
    assert ((lines["unit_price"] >= 0.8 * lines["unit_cost"] - 1)
            & (lines["unit_price"] <= 0.95 * lines["unit_cost"] + 1)).all()
    assert ((lines["fee_per_unit"] >= 0) & (lines["fee_per_unit"] <= 0.03 * lines["unit_cost"]
                                            + 1)).all()
    hosted = lines["host"].isin(data.allies["ally"])
    assert (lines.loc[hosted, "lead"] == lines.loc[hosted, "host"]).all()
    assert members.groupby("framework").size().between(1, 4).all()
    leads = members.merge(frameworks[["framework", "lead"]], on="framework")
    assert (leads["ally"] != leads["lead"]).all()
    edge = generate_workbook(tmp_path / "edge.xlsx", 1, 1, 1, 1, seed=1, frameworks=3)
    data, warnings = load_workbook(edge)
    assert warnings == [] and len(data.frameworks) == 1 and data.framework_members.empty


def test_funding_leaves_the_other_sheets_as_they_were(tables):
    """--funding draws from a stream of its own, after the rest: every other sheet is as
    without it."""
    funded = generate_tables(**SMALL, seed=7, funding=6)
    assert list(funded) == [*tables, *FUNDING_SHEETS]
    for name in tables:
        pd.testing.assert_frame_equal(funded[name], tables[name], obj=name)
    other = generate_tables(**SMALL, seed=8, funding=6)["Funding"]
    assert not other.equals(funded["Funding"])


def test_funding_runs_to_allies_short_of_money_within_caps(tmp_path, capsys):
    from optimizer.cli import main
    from optimizer.config import load_config
    from optimizer.pipeline import solve_workbook

    path = tmp_path / "funded.xlsx"
    arguments = [f"--{key}={value}" for key, value in SMALL.items()]
    assert main(["generate", str(path), *arguments, "--seed=7", "--fractional",
                 "--funding=6"]) == 0
    assert "6 funding pairs" in capsys.readouterr().out
    data, warnings = load_workbook(path)
    assert [str(w) for w in warnings] == []
    funding = data.funding
    assert len(funding) == 6 and not funding.duplicated(["from", "to"]).any()
    horizon = data.budgets.groupby("ally")["budget"].sum()
    capped = funding.dropna(subset=["max_amount"])
    giver_budget = horizon.reindex(capped["from"]).fillna(horizon.mean()).to_numpy()
    assert ((capped["max_amount"].to_numpy() >= 0.02 * giver_budget * 0.99)
            & (capped["max_amount"].to_numpy() <= 0.10 * giver_budget * 1.01)).all()
    result = solve_workbook(path, load_config(None, []))
    assert result.status == "optimal" and result.verification.passed
    assert len(result.plan.funding) > 0  # the money goes where it buys something


def test_funding_must_fit_the_pairs_of_allies(tmp_path, capsys):
    from optimizer.cli import main

    generate_tables(3, 2, 2, 2, funding=3)  # every pair of three allies
    with pytest.raises(ValueError, match="funding = 4 is more than the 3 pairs of allies"):
        generate_tables(3, 2, 2, 2, funding=4)
    path = tmp_path / "bad.xlsx"
    assert main(["generate", str(path), "--allies=2", "--items=2", "--lines=2",
                 "--periods=2", "--funding=-1"]) == 2
    assert "funding must be a whole number of at least 0, got -1" in capsys.readouterr().err
    assert not path.exists()


@pytest.fixture(scope="module")
def with_components() -> dict[str, pd.DataFrame]:
    return generate_tables(**SMALL, seed=7, components=4)


def test_components_leave_the_other_sheets_as_they_were(tables, with_components):
    """--components draws from a stream of its own, after the rest: every other sheet is
    as without it, and Items and Production only gain the components and their lines at
    the end."""
    assert list(with_components) == [*tables, *COMPONENT_SHEETS]
    for name in tables:
        frame = with_components[name]
        if name in ("Items", "Production"):
            frame = frame.iloc[:len(tables[name])]
        pd.testing.assert_frame_equal(frame, tables[name], obj=name)
    items = with_components["Items"].iloc[len(tables["Items"]):]
    assert items["item"].tolist() == ["CP01", "CP02", "CP03", "CP04"]
    assert items["name"].tolist() == ["Explosive, type 1", "Propellant, type 1",
                                      "Fuze, type 1", "Charge, type 1"]
    assert not items["integer"].any() and (items["holding_cost"] == 0).all()
    other = generate_tables(**SMALL, seed=8, components=4)["BillOfMaterials"]
    assert not other.equals(with_components["BillOfMaterials"])
    for name in COMPONENT_SHEETS:
        assert list(with_components[name].columns) == SHEETS_BY_NAME[name].column_names


def forced_component_need(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Per component: Σ over the allies with a minimum gap closure ρ and the items of
    ⌈max_t ρ · gap(a,i,t)⌉ · the most of the component any line of the item uses, what
    rule 6 can force the lines to draw (SPEC §4)."""
    req = _stock_without_orders(tables).merge(
        tables["Allies"][["ally", "min_gap_closure"]], on="ally")
    req = req[req["min_gap_closure"].notna()]
    req["forced"] = np.ceil(req["min_gap_closure"]
                            * (req["target"] - req["without_orders"]).clip(lower=0))
    forced = req.groupby("item")["forced"].max().rename("forced").reset_index()
    heaviest = tables["BillOfMaterials"].groupby(["item", "component"])["quantity"].max()
    need = heaviest.reset_index().merge(forced, on="item")
    return (need["quantity"] * need["forced"]).groupby(need["component"]).sum()


def test_every_final_line_draws_1_to_3_components_that_their_lines_sometimes_limit(
        with_components):
    tables = with_components
    production, bill = tables["Production"], tables["BillOfMaterials"]
    components = ["CP01", "CP02", "CP03", "CP04"]
    final = production[~production["item"].isin(components)]
    assert bill.merge(final, on=["facility", "item"]).shape[0] == len(bill)  # final lines
    per_line = bill.groupby(["facility", "item"]).size()
    assert len(per_line) == len(final) and per_line.between(1, 3).all()
    assert not bill.duplicated(["facility", "item", "component"]).any()
    assert set(bill["component"]) == set(components)
    assert bill["quantity"].between(0.5, 10).all()
    assert (bill["quantity"] == bill["quantity"].map(lambda q: float(f"{q:.2g}"))).all()

    lines = production[production["item"].isin(components)]
    assert lines["facility"].str.startswith("FC").all()
    assert lines.groupby("item").size().between(1, 2).all()
    assert lines["lead_time"].between(0, 2).all()
    drawn = bill.merge(final[["facility", "item", "capacity"]], on=["facility", "item"])
    need = (drawn["quantity"] * drawn["capacity"]).groupby(drawn["component"]).sum()
    made = lines.groupby("item")["capacity"].sum()
    assert (made / need).between(0.59, 1.21).all()
    assert (made < need).any()  # some component cannot keep every line running

    stocks = tables["IndustryStocks"].set_index("component")["on_hand"]
    assert list(stocks.index) == components
    assert (stocks / need).between(0.99, 2.01).all()  # 1-2 periods of need
    forced = forced_component_need(tables)
    assert len(forced) > 0 and (stocks.reindex(forced.index) >= forced).all()
    for name in ("Requirements", "Stocks", "Consumption"):
        assert not tables[name]["item"].isin(components).any(), name


def test_a_workbook_with_components_validates_without_warnings(tmp_path, capsys):
    from optimizer.cli import main

    path = tmp_path / "components.xlsx"
    arguments = [f"--{key}={value}" for key, value in SMALL.items()]
    assert main(["generate", str(path), *arguments, "--seed=7", "--components=4"]) == 0
    assert "; 4 components" in capsys.readouterr().out
    data, warnings = load_workbook(path)
    assert [str(w) for w in warnings] == []
    assert len(data.bill_of_materials) == len(generate_tables(
        **SMALL, seed=7, components=4)["BillOfMaterials"])
    # More components than one line draws: each is used by the line all the same.
    edge = generate_workbook(tmp_path / "edge.xlsx", 1, 1, 1, 1, seed=1, components=5)
    data, warnings = load_workbook(edge)
    assert warnings == []
    assert data.bill_of_materials["component"].tolist() == ["CP01", "CP02", "CP03",
                                                            "CP04", "CP05"]


def test_components_must_be_a_whole_number_that_fits_a_sheet(tmp_path, capsys):
    from optimizer.cli import main

    with pytest.raises(ValueError, match="components must be a whole number of at least 0, "
                                         "got 1.5"):
        generate_tables(2, 2, 2, 2, components=1.5)
    with pytest.raises(ValueError, match=r"lines x min\(components, 3\) = 1,200,000 "
                                         "bill-of-materials rows at most, more than an "
                                         "Excel sheet holds"):
        generate_tables(1, 1, 400_000, 1, components=5)
    path = tmp_path / "bad.xlsx"
    assert main(["generate", str(path), "--allies=2", "--items=2", "--lines=2",
                 "--periods=2", "--components=-1"]) == 2
    assert "components must be a whole number of at least 0, got -1" in \
        capsys.readouterr().err
    assert not path.exists()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_workbook_with_components_solves_and_verifies(tmp_path, seed):
    """The minimum gap closures stay feasible with every final line drawing components,
    and the plan's pools are the verifier's."""
    from optimizer.config import load_config
    from optimizer.pipeline import solve_workbook

    path = generate_workbook(tmp_path / "components.xlsx", 4, 5, 12, 6, seed=seed,
                             whole_units=False, components=3)
    result = solve_workbook(path, load_config(None, []))
    assert result.status == "optimal" and result.verification.passed
    pools = result.plan.pools
    assert set(pools["component"]) == {"CP01", "CP02", "CP03"}
    assert pools["used"].sum() > 0
