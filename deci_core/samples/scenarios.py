"""Bundled sample datasets: named scenarios with a known graph and known effects.

Each :class:`Scenario` wraps a :class:`~deci_core.samples.synthetic.SyntheticSEM` (whose continuous
variables are standardised) and puts its continuous variables in everyday units
(``value = loc + scale * standardised``), so the sample tables read naturally and the true effects
on its data card are in those units. Tests and benchmarks use the scenarios directly
(:func:`get_scenario`); the app loads the files written by ``python -m deci_core.samples.scenarios`` into
``assets/datasets/<name>.csv`` and ``<name>.md`` (:func:`load_sample`).
"""

from __future__ import annotations

import io
import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from deci_core.effects.query import EffectQuery
from deci_core.errors import DataError
from deci_core.samples.synthetic import SyntheticSEM, random_nonlinear_sem, sem_from_edges

DATASET_DIR = pathlib.Path(__file__).resolve().parents[2] / "assets" / "datasets"
SAMPLE_ROWS = 2000
SAMPLE_SEED = 0
EFFECT_SAMPLES = 200_000
"""Monte-Carlo rows behind every true effect on a data card (seed 0, common noise in both arms)."""


@dataclass(frozen=True)
class Units:
    """A continuous variable in user units: ``loc + scale * standardised``, rounded to ``decimals``."""

    loc: float = 0.0
    scale: float = 1.0
    decimals: int = 3
    unit: str = "standard deviations"


@dataclass
class Scenario:
    """A ground-truth SEM with plain-words variable descriptions and units.

    Attributes:
        name: file stem of the sample (``assets/datasets/<name>.csv``).
        title: one line for the app.
        story: a short paragraph: the setting and what the analyst might ask.
        meanings: variable -> what it means, in plain words.
        sem: the ground-truth SEM (continuous variables standardised).
        units: continuous variable -> its units (others are shown as their levels).
        effects: the interventions whose true effects the data card lists.
        decorate: adds non-causal columns (ids, dates, missing cells) to the sample file only.
    """

    name: str
    title: str
    story: str
    meanings: dict[str, str]
    sem: SyntheticSEM
    units: dict[str, Units] = field(default_factory=dict)
    effects: tuple[EffectQuery, ...] = ()
    decorate: Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame] | None = None
    extra_meanings: dict[str, str] = field(default_factory=dict)
    recipe: str = ""

    def sample(self, n: int = SAMPLE_ROWS, seed: int = SAMPLE_SEED, rounded: bool = True) -> pd.DataFrame:
        """n observational rows in user units (rounded as in the sample file, unless ``rounded=False``)."""
        return self.to_user_units(self.sem.sample(n, np.random.default_rng(seed)), rounded)

    def to_user_units(self, frame: pd.DataFrame, rounded: bool = True) -> pd.DataFrame:
        """Standardised SEM values -> user units."""
        out = frame.copy()
        for name, u in self.units.items():
            values = u.loc + u.scale * frame[name].to_numpy(dtype=float)
            out[name] = np.round(values, u.decimals) if rounded else values
            if rounded and u.decimals <= 0:
                out[name] = out[name].astype(int)
        return out

    def sample_file(self) -> pd.DataFrame:
        """The table written to ``assets/datasets/<name>.csv``: the sample plus any decoration."""
        df = self.sample()
        if self.decorate:
            df = self.decorate(df, np.random.default_rng(SAMPLE_SEED + 1))
        return df

    def true_ate(self, query: EffectQuery, n: int = EFFECT_SAMPLES, seed: int = 0) -> float:
        """E[outcome | do(treatment=a)] - E[outcome | do(treatment=b)] in the outcome's units.

        Treatment values are in the treatment's units; a binary outcome gives a change in P(outcome=1).
        """
        a, b = (self._to_sem(query.treatment, v) for v in (query.treatment_value, query.control_value))
        effect = self.sem.ate(replace(query, treatment_value=a, control_value=b), n=n, seed=seed)
        return effect * self.units[query.outcome].scale if query.outcome in self.units else effect

    def _to_sem(self, name: str, value: object) -> object:
        u = self.units.get(name)
        return (float(value) - u.loc) / u.scale if u else value

    def type_of(self, name: str) -> str:
        return self.sem.types[self.sem.names.index(name)]


def _business() -> Scenario:
    names = ["season", "marketing_spend", "discount", "email_campaign", "site_visits", "revenue"]
    edges = [
        ("season", "marketing_spend"),
        ("season", "discount"),
        ("season", "site_visits"),
        ("marketing_spend", "email_campaign"),
        ("marketing_spend", "site_visits"),
        ("email_campaign", "site_visits"),
        ("email_campaign", "revenue"),
        ("discount", "site_visits"),
        ("discount", "revenue"),
        ("site_visits", "revenue"),
    ]
    sem = sem_from_edges(
        names,
        edges,
        {"season": "categorical", "email_campaign": "binary"},
        {"season": ("winter", "spring", "summer", "autumn")},
        noise="mixed",
        seed=13,
    )
    return Scenario(
        name="marketing",
        title="Online shop: marketing, discounts and revenue (6 variables)",
        story="Weekly figures of an online shop. Did the email campaign pay off, or did it just run in "
        "weeks that would have sold well anyway? The campaign is sent more often when the marketing "
        "budget is high, and the budget follows the season.",
        meanings={
            "season": "season of the week (winter, spring, summer, autumn)",
            "marketing_spend": "advertising budget spent that week",
            "discount": "average discount offered that week",
            "email_campaign": "1 if an email campaign was sent that week, else 0 (the treatment)",
            "site_visits": "visits to the shop's website that week",
            "revenue": "revenue that week (the outcome)",
        },
        sem=sem,
        units={
            "marketing_spend": Units(20_000, 4_000, -1, "dollars"),
            "discount": Units(10, 2, 1, "percent"),
            "site_visits": Units(12_000, 2_000, 0, "visits"),
            "revenue": Units(150_000, 25_000, 0, "dollars"),
        },
        effects=(
            EffectQuery("email_campaign", "revenue", 1, 0),
            EffectQuery("email_campaign", "site_visits", 1, 0),
            EffectQuery("marketing_spend", "revenue", 24_000, 20_000),
            EffectQuery("discount", "revenue", 12, 10),
            EffectQuery("site_visits", "revenue", 14_000, 12_000),
        ),
        recipe="sem_from_edges(names, edges, types, levels, noise='mixed', seed=13)",
    )


def _health() -> Scenario:
    names = ["age", "sex", "smoker", "exercise", "bmi", "treatment", "blood_pressure", "heart_event"]
    edges = [
        ("age", "smoker"),
        ("sex", "smoker"),
        ("age", "exercise"),
        ("sex", "bmi"),
        ("exercise", "bmi"),
        ("age", "treatment"),
        ("bmi", "treatment"),
        ("age", "blood_pressure"),
        ("bmi", "blood_pressure"),
        ("smoker", "blood_pressure"),
        ("treatment", "blood_pressure"),
        ("age", "heart_event"),
        ("smoker", "heart_event"),
        ("blood_pressure", "heart_event"),
    ]
    types = {
        "sex": "binary",
        "smoker": "binary",
        "exercise": "categorical",
        "treatment": "binary",
        "heart_event": "binary",
    }
    levels = {"sex": ("female", "male"), "exercise": ("none", "weekly", "daily")}
    sem = sem_from_edges(names, edges, types, levels, noise="mixed", seed=0)
    return Scenario(
        name="health",
        title="Clinic: blood-pressure treatment and heart events (8 variables + id and date)",
        story="Records of patients at a clinic (synthetic; the rates are not realistic). Does the "
        "blood-pressure drug lower blood pressure, and through it the risk of a heart event? Older "
        "and heavier patients are treated more often, so a naive comparison is confounded. The file "
        "also has a patient id and a visit date (excluded automatically) and some missing BMI values.",
        meanings={
            "age": "age at the visit",
            "sex": "female or male",
            "smoker": "1 if the patient smokes, else 0",
            "exercise": "how often the patient exercises (none, weekly, daily)",
            "bmi": "body-mass index (about 2% of values are missing)",
            "treatment": "1 if the patient takes the blood-pressure drug, else 0 (the treatment)",
            "blood_pressure": "systolic blood pressure",
            "heart_event": "1 if the patient had a heart attack or stroke in the follow-up, else 0 "
            "(the outcome)",
        },
        extra_meanings={
            "patient_id": "record number (not a variable: excluded as an identifier)",
            "visit_date": "date of the visit (not a variable: excluded as a date)",
        },
        sem=sem,
        units={
            "age": Units(55, 12, 0, "years"),
            "bmi": Units(27, 4, 1, "kg/m²"),
            "blood_pressure": Units(135, 15, 0, "mmHg"),
        },
        effects=(
            EffectQuery("treatment", "blood_pressure", 1, 0),
            EffectQuery("treatment", "heart_event", 1, 0),
            EffectQuery("smoker", "heart_event", 1, 0),
            EffectQuery("blood_pressure", "heart_event", 150, 130),
            EffectQuery("age", "blood_pressure", 65, 55),
        ),
        decorate=_decorate_health,
        recipe="sem_from_edges(names, edges, types, levels, noise='mixed', seed=0)",
    )


def _decorate_health(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = df.copy()
    out.loc[rng.random(len(out)) < 0.02, "bmi"] = np.nan
    dates = pd.Timestamp("2023-01-02") + pd.to_timedelta(np.sort(rng.integers(0, 730, len(out))), unit="D")
    out.insert(0, "visit_date", dates.strftime("%Y-%m-%d"))
    out.insert(0, "patient_id", np.arange(1001, 1001 + len(out)))
    return out


def _nonlinear20() -> Scenario:
    sem = random_nonlinear_sem(20, edges_per_node=1.5, graph_kind="er", noise="mixed", seed=3)
    return Scenario(
        name="nonlinear20",
        title="Benchmark: 20 variables, random nonlinear graph",
        story="A random graph over 20 abstract variables x0 … x19 with nonlinear relations and non-Gaussian "
        "noise: the kind of data DECI is designed for. Use it to see how well the graph is recovered.",
        meanings={
            name: "an abstract variable (standardised: mean 0, standard deviation 1)" for name in sem.names
        },
        sem=sem,
        units={name: Units() for name in sem.names},
        effects=_path_queries(sem),
        recipe="random_nonlinear_sem(20, edges_per_node=1.5, graph_kind='er', noise='mixed', seed=3)",
    )


def _path_queries(sem: SyntheticSEM, k: int = 4) -> tuple[EffectQuery, ...]:
    """k ancestor -> descendant pairs at distance ≥ 2 when possible, plus one pair with no directed path."""
    d = len(sem.names)
    reach = np.linalg.matrix_power(np.eye(d, dtype=int) + sem.adjacency, d) > 0
    np.fill_diagonal(reach, False)
    pairs = sorted(zip(*np.nonzero(reach), strict=True), key=lambda p: (-int(sem.adjacency[p] == 0), p))[:k]
    unrelated = next(
        (i, j) for i in range(d) for j in range(d) if i != j and not reach[i, j] and not reach[j, i]
    )
    return tuple(EffectQuery(sem.names[i], sem.names[j], 1.0, 0.0) for i, j in [*pairs, unrelated])


_BUILDERS: dict[str, Callable[[], Scenario]] = {
    "marketing": _business,
    "health": _health,
    "nonlinear20": _nonlinear20,
}
SAMPLES: dict[str, str] = {
    "marketing": "Online shop: marketing, discounts and revenue (6 variables)",
    "health": "Clinic: blood-pressure treatment and heart events (8 variables + id and date)",
    "nonlinear20": "Benchmark: 20 variables, random nonlinear graph",
}
"""Sample name -> title, in the order the app lists them."""
_CACHE: dict[str, Scenario] = {}


def get_scenario(name: str) -> Scenario:
    """The named scenario (built once per process; treat it as read-only)."""
    if name not in _BUILDERS:
        raise DataError(f"Unknown sample dataset '{name}': choose one of {list(_BUILDERS)}.")
    if name not in _CACHE:
        _CACHE[name] = _BUILDERS[name]()
    return _CACHE[name]


def load_sample(name: str, directory: pathlib.Path = DATASET_DIR) -> tuple[pd.DataFrame, str]:
    """The bundled table and its data card (markdown).

    Raises:
        DataError: unknown name, or the files are missing (regenerate them with
            ``python -m deci_core.samples.scenarios``).
    """
    if name not in SAMPLES:
        raise DataError(f"Unknown sample dataset '{name}': choose one of {list(SAMPLES)}.")
    csv_path, card_path = directory / f"{name}.csv", directory / f"{name}.md"
    if not csv_path.exists() or not card_path.exists():
        raise DataError(
            f"Sample '{name}' is missing from {directory}: run `python -m deci_core.samples.scenarios`."
        )
    return pd.read_csv(csv_path), card_path.read_text(encoding="utf-8")


def data_card(scenario: Scenario) -> str:
    """The markdown data card: variables, how the data was generated, the true graph and effects."""
    sem = scenario.sem
    lines = [
        f"# {scenario.title}",
        "",
        scenario.story,
        "",
        "## Variables",
        "",
        "| variable | type | meaning | units |",
        "| --- | --- | --- | --- |",
    ]
    for name, meaning in {**scenario.extra_meanings, **scenario.meanings}.items():
        kind = scenario.type_of(name) if name in sem.names else "excluded"
        levels = sem.levels[sem.names.index(name)] if kind in ("binary", "categorical") else ()
        unit = scenario.units[name].unit if name in scenario.units else ", ".join(map(str, levels))
        lines.append(f"| {name} | {kind} | {meaning} | {unit} |")
    noises = sorted({sem.noise[i] for i, t in enumerate(sem.types) if t == "continuous"})
    lines += [
        "",
        "## How it was generated",
        "",
        f"{SAMPLE_ROWS:,} rows (seed {SAMPLE_SEED}) drawn from a synthetic nonlinear structural equation "
        f"model: `{scenario.recipe}` in `deci_core/samples/synthetic.py`. Each variable is a random function "
        "of its parents (linear part + small tanh network) plus independent noise "
        f"({', '.join(noises)}); a binary variable is 1 with probability sigmoid(f(parents)); a "
        "categorical one takes the level with the largest f(parents) + Gumbel noise. "
        "Continuous variables are put in the units above as loc + scale × standardised value and "
        "rounded. Regenerate with `python -m deci_core.samples.scenarios`.",
        "",
        f"## True graph ({len(sem.edges())} edges)",
        "",
    ]
    lines += [f"- {parent} → {child}" for parent, child in sem.edges()]
    lines += [
        "",
        "## True effects",
        "",
        f"Average effects E[outcome | do(treatment = a)] − E[outcome | do(treatment = b)], computed by "
        f"Monte Carlo over {EFFECT_SAMPLES:,} draws (seed 0) with the same noise in both arms. For a "
        "binary outcome the effect is the change in the probability that it is 1.",
        "",
        "| treatment | a | b | outcome | true effect |",
        "| --- | --- | --- | --- | --- |",
    ]
    for q in scenario.effects:
        unit = scenario.units[q.outcome].unit if q.outcome in scenario.units else "probability"
        value = scenario.true_ate(q)
        note = " (no directed path)" if value == 0 else ""
        lines.append(
            f"| {q.treatment} | {q.treatment_value} | {q.control_value} | {q.outcome} | "
            f"{format_effect(value)} {unit}{note} |"
        )
    return "\n".join(lines) + "\n"


def format_effect(value: float) -> str:
    """A signed effect with sensible precision: +17,660 / +4.38 / -0.0425 / 0."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:+,.0f}"
    if abs(value) >= 1:
        return f"{value:+,.2f}"
    return f"{value:+.3g}"


def write_samples(directory: pathlib.Path = DATASET_DIR) -> list[pathlib.Path]:
    """Regenerate every sample's CSV and data card; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SAMPLES:
        scenario = get_scenario(name)
        buffer = io.StringIO()
        scenario.sample_file().to_csv(buffer, index=False, lineterminator="\n")
        (directory / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8")
        (directory / f"{name}.md").write_text(data_card(scenario), encoding="utf-8")
        written += [directory / f"{name}.csv", directory / f"{name}.md"]
    return written


if __name__ == "__main__":
    for path in write_samples():
        print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KB)")
