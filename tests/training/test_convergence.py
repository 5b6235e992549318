from deci_core.training.convergence import ACYCLICITY_TOLERANCE, MOVE_TOLERANCE, MOVE_WINDOW, verdict


def test_each_rule_of_the_verdict():
    settled = dict(in_warmup=False, learning_steps=2 * MOVE_WINDOW, acyclicity=0.0, movement=0.01)
    assert verdict("max_seconds", **settled).converged
    assert verdict("converged", **{**settled, "movement": None}).converged
    assert not verdict("max_seconds", **{**settled, "in_warmup": True}).converged
    assert not verdict("max_steps", **{**settled, "learning_steps": MOVE_WINDOW - 1}).converged
    cyclic = verdict("max_steps", **{**settled, "acyclicity": 2 * ACYCLICITY_TOLERANCE})
    assert not cyclic.converged and "cycles" in cyclic.sentence
    moving = verdict("max_seconds", **{**settled, "movement": 2 * MOVE_TOLERANCE})
    assert not moving.converged and "time limit" in moving.sentence and "changing" in moving.sentence
