"""The work behind "Can I trust this?" on the Effects page (no widgets here; state: ui.trust_state).

Refutations (with the sensitivity analysis) and the edges that matter run in background jobs
(:mod:`ui.jobs`) and are cached per question and model. Stability runs N discoveries; the job starts
the CLI's ``stability`` command in a worker process, so neither a process pool nor Ray ever lives
in the Streamlit process (``ray.init`` needs a main thread and installs signal handlers). The Ray
address comes from the section's setting, defaulting to ``$DECI_STUDIO_RAY_ADDRESS``.

The audit trail: each time an estimate arrives for a question asked before, what changed in between
(constraints, the graph or model, the data's types and transforms, and the changes made here, such
as "fix this edge") is recorded with the estimate before and after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from deci_core.constraints import Constraints
from deci_core.effects.edges_matter import edges_that_matter
from deci_core.effects.query import EffectQuery, EffectQueryError
from deci_core.effects.refute import refute
from deci_core.effects.sensitivity import sensitivity
from deci_core.errors import DeciError, FitCancelled
from deci_core.stability import RAY_ADDRESS_ENV
from ui.effects_state import EffectResult
from ui.graph_session import Model, effects_model_key
from ui.jobs import Job, start_job
from ui.state import AppState
from ui.trust_state import TrustState, question_key

ROOT = Path(__file__).resolve().parents[1]


def get_trust(state: AppState) -> TrustState:
    if getattr(state, "trust", None) is None:
        state.trust = TrustState()
    return state.trust


def default_ray_address() -> str:
    return os.environ.get(RAY_ADDRESS_ENV, "")


def query_of(result: EffectResult) -> dict[str, Any]:
    q = result.estimate.query
    return {
        "treatment": q.treatment,
        "outcome": q.outcome,
        "treatment_value": q.treatment_value,
        "control_value": q.control_value,
        "outcome_level": q.outcome_level,
        "estimand": q.estimand,
    }


# ----- refutations and sensitivity ------------------------------------------------------------------
def start_refutations(
    trust: TrustState, state: AppState, model: Model, table: pd.DataFrame, result: EffectResult
) -> Job:
    query = query_of(result)
    trust.job_keys["refute_job"] = question_key(query, effects_model_key(state))
    trust.refute_job = start_job("running the refutations", _refute, model=model, table=table, query=query)
    return trust.refute_job


def _refute(model: Model, table: pd.DataFrame, query: dict[str, Any], report, should_stop) -> dict[str, Any]:
    def progress(done: int, total: int, what: str) -> None:
        if should_stop():
            raise FitCancelled("cancelled")
        report(0.05 + 0.9 * done / total, what)

    question = EffectQuery(**query)
    checks = refute(model, table, question, progress=progress)
    out: dict[str, Any] = {"report": checks.to_dict(), "sensitivity": None, "sensitivity_error": None}
    try:
        out["sensitivity"] = sensitivity(model, table, question).to_dict()
    except EffectQueryError as exc:
        out["sensitivity_error"] = str(exc)
    return out


# ----- edges that matter ----------------------------------------------------------------------------
def start_edges(
    trust: TrustState, state: AppState, model: Model, table: pd.DataFrame | None, result: EffectResult
) -> Job:
    query = query_of(result)
    trust.job_keys["edges_job"] = question_key(query, effects_model_key(state))
    trust.edges_job = start_job(
        "ranking the edges that matter", _edges, model=model, table=table, query=query
    )
    return trust.edges_job


def _edges(model: Model, table: pd.DataFrame | None, query: dict[str, Any], report, should_stop) -> list:
    report(0.1, "the effect on each sampled graph, then exact refits of the top edges")
    rows = edges_that_matter(model, EffectQuery(**query), df=table, refits=2)
    return [r.to_dict() for r in rows]


def fix_edge(state: AppState, trust: TrustState, edge: tuple[str, str], present: bool) -> str:
    """Add the constraint (require or forbid the edge) and re-run discovery; returns what was done."""
    from ui.discovery_session import start_discovery

    current = (state.constraints or Constraints()).to_dict()
    key = "required" if present else "forbidden"
    other = "forbidden" if present else "required"
    pair = [edge[0], edge[1]]
    current[other] = [e for e in current.get(other, []) if list(e) != pair]
    if pair not in [list(e) for e in current.get(key, [])]:
        current[key] = [*current.get(key, []), pair]
    constraints = Constraints.from_dict(current)
    if state.data is not None:
        constraints.validate(list(state.data.schema.names))
    state.constraints = constraints
    verb = "require" if present else "forbid"
    trust.pending.append(f"constraint added: {verb} {edge[0]} → {edge[1]}")
    if state.data is None:
        return f"Constraint added ({verb} {edge[0]} → {edge[1]})."
    how = start_discovery(state)
    return (
        f"Constraint added ({verb} {edge[0]} → {edge[1]}); discovery "
        + ("loaded a run with these settings." if how == "loaded" else "is running again (Discover page).")
        + " Estimate the effect again when it is done: the change is recorded in the audit trail."
    )


# ----- stability ------------------------------------------------------------------------------------
def start_stability(
    trust: TrustState,
    state: AppState,
    runs: int,
    ray_address: str,
    result: EffectResult | None,
    preset: str = "quick",
) -> Job:
    data = state.data
    if data is None:
        raise EffectQueryError("Load data first: stability refits discovery on resamples of it.")
    names = list(data.schema.names)
    settings = {
        "runs": int(runs),
        "ray": ray_address,
        "preset": preset,
        "data": data.fingerprint,
        "constraints": (state.constraints or Constraints()).to_dict(),
    }
    trust.job_keys["stability_job"] = json.dumps(settings, sort_keys=True, default=str)
    trust.stability_job = start_job(
        "stability over refits",
        _stability,
        table=data.table[names],
        types={v.name: v.type.value for v in data.schema.variables if v.name in names},
        constraints=settings["constraints"],
        runs=int(runs),
        ray_address=ray_address,
        preset=preset,
        query=query_of(result) if result is not None else None,
    )
    return trust.stability_job


def _stability(table, types, constraints, runs, ray_address, preset, query, report, should_stop) -> dict:
    with tempfile.TemporaryDirectory(prefix="deci-stability-") as tmp:
        folder = Path(tmp)
        table.to_csv(folder / "data.csv", index=False)
        (folder / "types.json").write_text(json.dumps(types))
        (folder / "constraints.json").write_text(json.dumps(constraints))
        command = [
            sys.executable,
            "-m",
            "deci_core",
            "stability",
            str(folder / "data.csv"),
            "--out",
            str(folder / "out"),
            "--runs",
            str(runs),
            "--ray-address",
            ray_address,
            "--preset",
            preset,
            "--types",
            str(folder / "types.json"),
            "--constraints",
            str(folder / "constraints.json"),
        ]
        if query is not None:
            command += [
                "--treatment",
                query["treatment"],
                "--outcome",
                query["outcome"],
                "--treatment-value",
                str(query["treatment_value"]),
                "--control-value",
                str(query["control_value"]),
            ]
            if query.get("outcome_level") is not None:
                command += ["--outcome-level", str(query["outcome_level"])]
        report(
            0.02,
            f"starting {runs} discovery runs ({'Ray at ' + ray_address if ray_address else 'local pool'})",
        )
        out, err = _run_cli(command, runs, report, should_stop)
        summary = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        if summary is None:
            raise DeciError(err.strip().splitlines()[-1] if err.strip() else "stability produced no result")
        frequency = pd.read_csv(folder / "out" / "edge_frequency.csv", index_col=0)
    return {"summary": summary, "edge_frequency": frequency.to_dict(orient="split")}


def _run_cli(command: list[str], runs: int, report, should_stop) -> tuple[str, str]:
    """Run the CLI in its own process group; progress from its stderr; cancel ends the group."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("run ") and "done" in line:
                done = int(line.split()[1].split("/")[0])
                report(0.05 + 0.9 * done / runs, line.strip())
            if should_stop():
                raise FitCancelled("cancelled")
        out = proc.stdout.read()
        proc.wait()
    except BaseException:
        _end(proc)
        raise
    if proc.returncode != 0:
        message = lines[-1].strip() if lines else f"exit code {proc.returncode}"
        raise DeciError(message.removeprefix("error: "))
    return out, "".join(lines)


def _end(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ----- the audit trail --------------------------------------------------------------------------------
def context(state: AppState, description: str) -> dict[str, Any]:
    """What an estimate depends on besides the question: model, graph, constraints, data types."""
    data = state.data
    return {
        "model": effects_model_key(state),
        "graph": description,
        "constraints": (state.constraints or Constraints()).to_dict(),
        "data": None if data is None else data.fingerprint,
        "types": {}
        if data is None
        else {
            v.name: f"{v.type.value}{'/' + v.transform if v.transform else ''}" for v in data.schema.variables
        },
    }


def record_estimate(state: AppState, trust: TrustState, result: EffectResult) -> dict[str, Any] | None:
    """Note a new estimate; when its question was answered before under other conditions, add an
    audit entry with what changed and both estimates. Returns the entry (or None)."""
    if trust.seen_result is result:
        return None
    trust.seen_result = result
    est = result.estimate
    q = est.query
    key = f"{q.treatment} → {q.outcome} ({q.treatment_value} vs {q.control_value}, {q.estimand.upper()})"
    low, high = est.interval_95
    now = {
        "value": est.value,
        "low": low,
        "high": high,
        "graph": result.graph,
        "context": context(state, result.graph),
    }
    before = trust.last.get(key)
    trust.last[key] = now
    if before is None:
        return None
    changes = list(trust.pending) + _diff(before["context"], now["context"])
    if not changes:
        return None
    trust.pending = []
    entry = {
        "question": key,
        "changes": changes,
        "before": _plain(before),
        "after": _plain(now),
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    trust.audit.append(entry)
    return entry


def _plain(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: snapshot[k] for k in ("value", "low", "high", "graph")}


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    for kind in ("required", "forbidden"):
        was = {tuple(e) for e in old["constraints"].get(kind, [])}
        now = {tuple(e) for e in new["constraints"].get(kind, [])}
        verb = "require" if kind == "required" else "forbid"
        changes += [f"constraint added: {verb} {a} → {b}" for a, b in sorted(now - was)]
        changes += [f"constraint removed: {verb} {a} → {b}" for a, b in sorted(was - now)]
    rest = {k: v for k, v in new["constraints"].items() if k not in ("required", "forbidden")}
    if rest != {k: v for k, v in old["constraints"].items() if k not in ("required", "forbidden")}:
        changes.append("constraints changed (tiers, roots, leaves or beliefs)")
    retyped = [
        f"{name}: {old['types'][name]} → {kind}"
        for name, kind in new["types"].items()
        if old["types"].get(name) not in (None, kind)
    ]
    changes += retyped
    if old["data"] != new["data"] and not retyped:
        changes.append("the data changed")
    if old["graph"] != new["graph"]:
        changes.append(f"model: {old['graph']} → {new['graph']}")
    elif old["model"] != new["model"]:
        changes.append("the model was refitted")
    return changes
