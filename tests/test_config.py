import pytest

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.errors import ConfigError


def test_round_trip_and_stable_hash():
    cfg = TrainingConfig(seed=3, preset="quick", max_seconds=5.0)
    again = TrainingConfig.from_dict(cfg.to_dict())
    assert again == cfg
    assert again.config_hash() == cfg.config_hash()
    assert TrainingConfig(seed=4).config_hash() != TrainingConfig(seed=3).config_hash()


@pytest.mark.parametrize("cls", [ModelConfig, TrainingConfig])
def test_from_dict_rejects_unknown_keys(cls):
    with pytest.raises(ConfigError, match="nosie"):
        cls.from_dict({"nosie": "spline"})


def test_bad_values_are_config_errors():
    with pytest.raises(ConfigError, match="noise"):
        ModelConfig(noise="cauchy")
    with pytest.raises(ConfigError, match="preset"):
        TrainingConfig(preset="fast")


def test_preset_budgets_and_overrides():
    assert TrainingConfig(preset="quick").steps < TrainingConfig(preset="thorough").steps
    assert TrainingConfig(preset="quick", max_steps=7).steps == 7
    assert TrainingConfig(max_seconds=2.5).seconds == 2.5


def test_the_time_budget_grows_with_the_variables_only_above_90_and_never_overrides_a_limit():
    from deci_core.config import TrainingConfig, time_budget

    standard = TrainingConfig()
    assert time_budget(standard, 20) == time_budget(standard, 90) == 240.0
    assert time_budget(standard, 180) == 4 * 240.0
    assert time_budget(TrainingConfig(max_seconds=30), 180) == 30.0
