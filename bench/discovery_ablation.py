"""Discovery ablations: orientation F1 per seed for one set of config overrides (one process, in turn).

Same datasets and scoring as ``bench/discovery.py`` (standard preset, n = 2,000, ER graphs, one torch
thread). The rows in bench/RESULTS.md ("Gaussian-noise experiments") came from runs like::

    python bench/discovery_ablation.py common '{}' '{"common_rows": true}' 5 0,1,2 gaussian,mixed
    python bench/discovery_ablation.py prior30 '{"spline_prior": 30}' '{}' 5 0,1,2 gaussian,mixed

Those rows predate the graph refinement; add ``"refine": false`` to the TrainingConfig overrides to
measure the training alone.

Arguments: label, ModelConfig overrides (JSON), TrainingConfig overrides (JSON), d, seeds, noises.
Prints one JSON line per fit and a median line per noise.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from discovery import dataset, scores  # noqa: E402

from deci_core.config import ModelConfig, TrainingConfig  # noqa: E402
from deci_core.model import DECI  # noqa: E402


def main() -> None:
    name, model_json, training_json, d, seeds, noises = sys.argv[1:7]
    model_over, training_over = json.loads(model_json), json.loads(training_json)
    for noise in noises.split(","):
        f1s = []
        for seed in (int(s) for s in seeds.split(",")):
            df, true = dataset(int(d), "er", noise, seed, 2000)
            start = time.perf_counter()
            config = TrainingConfig(seed=seed, preset="standard", num_threads=1, **training_over)
            model = DECI(ModelConfig(**model_over), config).fit(df)
            adj = model.graph_posterior_.most_probable()
            result = scores(adj, np.zeros_like(adj), true)
            f1s.append(result["orient_f1"])
            row = {"name": name, "d": int(d), "noise": noise, "seed": seed}
            row.update(f1=round(result["orient_f1"], 3), adj=round(result["adj_f1"], 3))
            row.update(wall=round(time.perf_counter() - start, 1), steps=model.fit_summary_.steps)
            print(json.dumps(row), flush=True)
        each = [round(f, 2) for f in f1s]
        print(f"## {name} d={d} {noise}: median {np.median(f1s):.2f} {each}", flush=True)


if __name__ == "__main__":
    main()
