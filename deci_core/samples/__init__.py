"""Demo content: synthetic SEMs with known truth and the bundled sample scenarios.

Only tests, benchmarks and the app import this package; the engine never does::

    from deci_core.samples import load_sample
    df, card = load_sample("marketing")
"""

from deci_core.samples.scenarios import SAMPLES, get_scenario, load_sample

__all__ = ["SAMPLES", "get_scenario", "load_sample"]
