"""Both solver sessions keep the declared protocol (optimizer.solver.session), and the
solve stage chooses its methods by the sessions' capability flags, never their class."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import optimizer.explain.diagnosis as diagnosis
import optimizer.solver.phases as phases
from optimizer.config import load_config
from optimizer.model.build import create_model
from optimizer.model.sets import build_sets
from optimizer.solver.highs import HighsSession
from optimizer.solver.pulp import PulpSession
from optimizer.solver.session import SolverSession, TimeBudget
from optimizer.workbook.synthetic import generate_workbook
from optimizer.workbook.validation import load_workbook
from tests.test_restrict import orders

SESSIONS = [HighsSession, PulpSession]
FLAGS = ("gives_ranging", "gives_basis", "prices_held_back", "keeps_optimal_face")


def protocol_methods() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(SolverSession).items()
            if inspect.isfunction(member) and not name.startswith("_")}


def protocol_attributes() -> set[str]:
    return set(inspect.get_annotations(SolverSession)) | {
        name for name, member in vars(SolverSession).items() if isinstance(member, property)}


def open_on_orders(session_class):
    if session_class is HighsSession:
        return HighsSession(orders(), verbose=False, mip_gap=0.0, threads=0)
    return PulpSession(orders(), "COIN_CMD", verbose=False, mip_gap=0.0, threads=0)


def used_on_sessions(module) -> set[str]:
    """Every ``session.<member>`` (and ``runner.session.<member>``) the module reads."""
    tree = ast.parse(Path(module.__file__).read_text())
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and ast.unparse(node.value) in ("session", "self.session", "runner.session")}


@pytest.mark.parametrize("module", [phases, diagnosis])
def test_the_protocol_declares_every_member_the_solve_stage_uses(module):
    used = used_on_sessions(module)
    assert used, "no session member found: the test reads the wrong names"
    assert used <= set(protocol_methods()) | protocol_attributes()
    assert set(FLAGS) <= protocol_attributes()


@pytest.mark.parametrize("session_class", SESSIONS)
def test_each_session_has_every_protocol_method_with_its_parameters(session_class):
    for name, declared in protocol_methods().items():
        implemented = inspect.signature(getattr(session_class, name))
        assert [(p.name, p.kind) for p in implemented.parameters.values()] == [
            (p.name, p.kind) for p in declared.parameters.values()], name
        for parameter in declared.parameters.values():
            has_default = implemented.parameters[parameter.name].default is not parameter.empty
            assert has_default == (parameter.default is not parameter.empty), (name, parameter)


@pytest.mark.parametrize("session_class", SESSIONS)
def test_each_session_declares_its_capabilities_and_satisfies_the_protocol(session_class):
    for flag in FLAGS:
        assert isinstance(getattr(session_class, flag), bool), flag
    session = open_on_orders(session_class)
    assert isinstance(session, SolverSession)
    for name in protocol_attributes():
        assert hasattr(session, name), name
    assert not session.is_mip
    assert session.held_back.shape == session.integer.shape == (4,)


def test_pulp_has_none_of_the_basis_capabilities():
    assert not any(getattr(PulpSession, flag) for flag in FLAGS)
    assert all(getattr(HighsSession, flag) for flag in FLAGS)


@pytest.mark.parametrize("module", [phases, diagnosis])
def test_the_solve_stage_never_asks_which_class_a_session_is(module):
    tree = ast.parse(Path(module.__file__).read_text())
    checks = [ast.unparse(node) for node in ast.walk(tree)
              if isinstance(node, ast.Call) and ast.unparse(node.func) == "isinstance"
              and "Session" in ast.unparse(node.args[1])]
    assert checks == []


@pytest.mark.parametrize("session_class", SESSIONS)
def test_both_sessions_read_and_fix_rows_alike(session_class):
    """Row activity and fixed rows, which the optimal face needs, agree between the two
    sessions on the same model: x0 + x1 ≥ 1, x2 + x3 ≥ 1, x0 ≤ 5."""
    session = open_on_orders(session_class)
    session.set_cost(np.array([1.0, 2.0, 1.0, 5.0]))
    assert session.run(60)[0] == "optimal"
    assert session.row_activity()[:3] == pytest.approx([1.0, 1.0, 1.0])
    session.fix_rows(np.array([0]), np.array([3.0]))  # item I: exactly 3
    assert session.run(60)[0] == "optimal"
    assert session.values() == pytest.approx([3.0, 0.0, 1.0, 0.0])
    assert session.row_activity()[:3] == pytest.approx([3.0, 1.0, 3.0])


def test_a_pulp_session_holds_no_column_back():
    session = open_on_orders(PulpSession)
    session.hold_back(np.zeros(0, dtype=np.int64))  # nothing to hold: nothing happens
    with pytest.raises(ValueError, match="does not price"):
        session.hold_back(np.array([3]))
    assert not session.held_back.any()


def lp_model(folder: Path, solver: str, mode: str):
    path = generate_workbook(folder / "lp.xlsx", 3, 4, 8, 4, seed=3, whole_units=False)
    config = load_config(None, [f"solver.name={solver}", f"objective.mode={mode}",
                                "explain.ranging=true", "solver.mip_gap=0"])
    data, _ = load_workbook(path, config.rules)
    return create_model(build_sets(data, config), config), config


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_ranges_come_from_a_session_that_gives_them(tmp_path, solver):
    model, config = lp_model(tmp_path, solver, "weighted")
    session, _ = phases.open_session(model, config, False)
    outcome = phases.solve_model(model, config)
    assert outcome.status == "optimal"
    assert session.gives_ranging == (solver == "highs")
    assert (outcome.final.row_up is not None) == session.gives_ranging
    assert (outcome.shortfall is not None) == session.gives_basis  # from the final basis


@pytest.mark.parametrize("keeps_face", [True, False])
def test_the_flag_not_the_class_chooses_the_optimal_face(tmp_path, monkeypatch, keeps_face):
    """Phase 2 of a lexicographic LP keeps phase 1's optimal face when the session says
    its duals allow it, whichever solver it is: CBC told so keeps the face too, and finds
    the cost HiGHS finds."""
    monkeypatch.setattr(PulpSession, "keeps_optimal_face", keeps_face)
    kept = []
    keep = phases._keep_to_optimal_face
    monkeypatch.setattr(phases, "_keep_to_optimal_face",
                        lambda session, held: kept.append(type(session)) or keep(session, held))
    model, config = lp_model(tmp_path, "cbc", "lexicographic")
    outcome = phases.solve_model(model, config)
    assert outcome.status == "optimal"
    assert kept == [PulpSession] * len(kept) and bool(kept) == keeps_face
    reference = phases.solve_model(*lp_model(tmp_path, "highs", "lexicographic"))
    cost = phases.dense_objective(model.linear.n_columns, list(model.cost_terms.values()))
    assert cost @ outcome.values == pytest.approx(cost @ reference.values, rel=1e-5)


def test_a_time_budget_never_hands_out_zero_seconds():
    spent = TimeBudget(2.0, started=0.0)  # long over
    assert spent.remaining() == 1e-3
    assert TimeBudget(60.0).remaining() == pytest.approx(60.0, abs=1.0)


@pytest.mark.parametrize("session_class", SESSIONS)
def test_a_phase_runner_scales_records_and_keeps_the_worst_status(session_class):
    """x0 + x1 ≥ 1, x2 + x3 ≥ 1, x0 ≤ 5 at costs (1e6, 2e6, 1e6, 5e6): the solver holds
    the objective times 2^-17 (its largest coefficient 38.1, in [32, 64)); the phase records the
    objective as stated. A phase that sets no status cannot lower the run's."""
    session = open_on_orders(session_class)
    runner = phases.PhaseRunner(session, TimeBudget(60.0))
    cost = np.array([1e6, 2e6, 1e6, 5e6])
    assert runner.run("weighted", cost)
    assert runner.scale == 2.0 ** -17
    assert runner.held_cost == pytest.approx(cost * 2.0 ** -17)
    assert [(p["phase"], p["status"]) for p in runner.phases] == [("weighted", "optimal")]
    assert runner.phases[0]["objective"] == pytest.approx(2e6)
    session.fix_columns(np.array([0, 1]), np.zeros(2))  # item I can no longer be met
    assert not runner.run("tie-break", np.ones(4), sets_status=False)
    assert (runner.status, runner.phases[-1]["status"]) == ("optimal", "infeasible")
    assert not runner.run("cost", cost)
    assert runner.status == "infeasible"
