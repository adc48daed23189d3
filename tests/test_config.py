"""The model configuration (SPEC §3): defaults, files, --set overrides, errors."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from optimizer.config import DEFAULTS, Config, load_config
from optimizer.errors import InputError

BASELINE = Path(__file__).parent.parent / "models" / "baseline.toml"


def test_baseline_file_holds_every_key_with_its_default():
    assert tomllib.loads(BASELINE.read_text()) == DEFAULTS
    text = BASELINE.read_text()
    for section, table in DEFAULTS.items():
        for key in table:
            line = next(line for line in text.splitlines() if line.startswith(f"{key} "))
            assert "#" in line, f"{section}.{key} has no comment in baseline.toml"


def test_overrides_are_typed_and_applied_after_the_file(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text("[rules]\nmax_supplier_share = 0.6\n")
    config = load_config(
        model,
        ["rules.max_supplier_share=0.5", "rules.allow_transfers=true", "solver.name=cbc",
         "solver.time_limit=30"],
    )
    assert config.rules.max_supplier_share == 0.5
    assert config.rules.allow_transfers is True
    assert config.solver.name == "cbc"
    assert config.solver.time_limit == 30
    assert config.objective.mode == "lexicographic"  # default kept


def test_bad_keys_and_values_are_all_reported(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text('[rules]\nmax_suplier_share = 0.5\nwork_share = "maybe"\n')
    with pytest.raises(InputError) as caught:
        load_config(model, ["objective.mode=fastest", "rules.min_gap_closure=2"])
    found = [str(p) for p in caught.value.problems]
    assert found[0].startswith(
        f"{model}: unknown key 'rules.max_suplier_share' (did you mean rules.max_supplier_share?)"
    )
    assert f"{model}: rules.work_share must be true or false, got 'maybe'" in found
    assert (
        '--set: objective.mode must be one of "lexicographic", "weighted", got \'fastest\''
        in found
    )
    assert "--set: rules.min_gap_closure must be in [0, 1], got 2.0" in found


def test_unreadable_model_files(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[rules\n")
    with pytest.raises(InputError, match="is not valid TOML"):
        load_config(broken)
    with pytest.raises(InputError, match="no such model configuration file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="must look like KEY=VALUE"):
        load_config(None, ["rules.work_share"])


def test_the_defaults_are_the_configuration_of_no_file():
    assert load_config(None) == Config()
    assert Config().as_dict() == DEFAULTS
    assert list(Config().flat()) == [f"{section}.{key}" for section, table in DEFAULTS.items()
                                     for key in table]


def test_a_configuration_cannot_be_changed_in_place():
    config = load_config(None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.rules.max_supplier_share = 0.5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.rules = config.rules  # type: ignore[misc]
    assert config.rules.max_supplier_share == 1.0


def test_with_settings_derives_a_new_configuration_checked_as_a_file_is():
    base = load_config(None, ["solver.time_limit=30"])
    changed = base.with_settings({"rules.max_supplier_share": 0.5, "solver.mip_gap": 0})
    assert changed.rules.max_supplier_share == 0.5
    assert changed.solver.mip_gap == 0.0 and isinstance(changed.solver.mip_gap, float)
    assert changed.solver.time_limit == 30  # kept from the base
    assert base.rules.max_supplier_share == 1.0 and base.solver.mip_gap == 1e-4  # untouched
    assert changed == load_config(None, ["solver.time_limit=30", "rules.max_supplier_share=0.5",
                                         "solver.mip_gap=0"])


@pytest.mark.parametrize("key, value", [
    ("rules.max_supplier_share", 0), ("rules.work_share", "maybe"),
    ("objective.shortfall_penalty", 1e20), ("solver.threads", -1),
    ("rules.max_suplier_share", 0.5),
])
def test_with_settings_refuses_what_load_config_refuses_in_the_same_words(key, value):
    with pytest.raises(InputError) as from_load:
        load_config(None, [f"{key}={value!r}".replace("'", '"')])
    with pytest.raises(InputError) as from_settings:
        Config().with_settings({key: value}, where="--set")
    assert [str(p) for p in from_settings.value.problems] == [
        str(p) for p in from_load.value.problems]
