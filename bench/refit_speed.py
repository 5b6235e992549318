"""refit_on_graph speed and ATE accuracy on the effects benchmark's datasets (true graph held fixed).

Each dataset: a 2-step DECI fit only to get the encoder and configs (a fresh-weight refit does not use
the discovered SEM), then ``refit_on_graph`` on the true graph, timed, and the ATE relative error of
each of the dataset's pairs. Overrides of ``deci_core.training.fixed_graph`` constants (JSON) reproduce the
former schedule::

    python bench/refit_speed.py new '{}'
    python bench/refit_speed.py old '{"DEFAULT_STEPS": 2000, "FIRST_SHARE": 0.75, "FIRST_BATCH": 1024,
        "FINAL_BATCH": 1024, "LEARNING_RATE": 0.01}'
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import effects as bench  # noqa: E402

import deci_core.training.fixed_graph as refit  # noqa: E402
from deci_core.config import ModelConfig, TrainingConfig  # noqa: E402
from deci_core.effects import EffectQuery  # noqa: E402
from deci_core.model import DECI  # noqa: E402


def main() -> None:
    name = sys.argv[1]
    for key, value in json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}").items():
        setattr(refit, key, value)
    errors, seconds = [], []
    for ds in bench.datasets(False):
        df = ds.sem.sample(bench.ROWS, np.random.default_rng(100 + ds.seed))
        model = DECI(ModelConfig(), TrainingConfig(seed=ds.seed, max_steps=2, num_threads=1)).fit(df)
        start = time.perf_counter()
        fixed = model.refit_on_graph(df, ds.sem.adjacency)
        seconds.append(time.perf_counter() - start)
        a, b = ds.values
        errs = []
        for t, y in ds.pairs:
            truth = ds.sem.ate(EffectQuery(t, y, a, b))
            errs.append(abs(fixed.ate(t, y, a, b, seed=ds.seed).value - truth) / abs(truth))
        errors += errs
        row = {"name": name, "dataset": ds.name, "s": round(seconds[-1], 2)}
        row["steps"] = fixed.fit_summary_.steps
        print(json.dumps({**row, "rel_errors": [round(e, 3) for e in errs]}), flush=True)
    print(
        f"## {name}: refit seconds median {np.median(seconds):.2f}, total {sum(seconds):.1f}; ATE relative "
        f"error median {np.median(errors):.3f}, mean {np.mean(errors):.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
