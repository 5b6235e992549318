"""Project bundles: one zip that re-opens a session (data, knowledge, graphs, models, estimates).

Layout (format 1)::

    manifest.json            format, version, app version, date, data fingerprint, SHA-256 of every file
    data/table.csv           the table as loaded (all columns): the bundle restores the data itself
    data/dataset.json        name, source, missing-value policy, fingerprint, column dtypes
    data/schema.json         the variable types
    constraints.json         domain knowledge (deci_core.constraints JSON), when set
    graph.json               graph versions, current graph, positions, edge probabilities
    discovery.json           the current run's store key and settings
    models/<key>/...         model-store entries (run.json + model/ config.json, meta.json, weights.pt,
                             and resume.pt, the training state Continue training resumes from)
    estimates.json           the report items from the Effects page
    trust.json               the trust checks (refutations, edges that matter, stability, audit trail)
                             and the treatments marked randomised
    report.json              the report's title, question and sections

Loading never runs code from the bundle: JSON and CSV are parsed, weights are read by ``DECI.load``
(``torch.load(weights_only=True)``). Member names, sizes, checksums, the format version and the
data fingerprint are checked before anything in the session changes; a failure raises
:class:`BundleError` with a message, and the session is left as it was. The checksums catch
corruption and edits, not a forger who rewrites the manifest too: a bundle is not signed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from deci_core.constraints import Constraints
from deci_core.data.plain import json_default
from deci_core.data.profiling import usable_rows
from deci_core.data.schema import TableSchema, data_fingerprint
from deci_core.errors import DeciError
from deci_core.io import FILES as MODEL_FILES
from deci_core.io import RESUME_FILE
from deci_core.model import DECI
from ui import bundle_parts as parts
from ui.bundle_parts import Bundle
from ui.errors import BundleError
from ui.model_store import ModelStore, get_store
from ui.report import app_version
from ui.report_state import ReportState
from ui.state import AppState, LoadedData
from ui.trust_state import TrustState
from ui.ts_state import TemporalState

__all__ = ["Bundle", "BundleError", "export_bundle", "load_bundle", "read_bundle", "read_table"]

FORMAT = "deci-studio-bundle"
FORMAT_VERSION = 1
MAX_MEMBERS = 500
MAX_MEMBER_BYTES = 512 * 2**20
MAX_TOTAL_BYTES = 1024 * 2**20
_KEY = r"[A-Za-z0-9_-]{1,80}"
_MODEL_FILES = "|".join(re.escape(name) for name in (*MODEL_FILES, RESUME_FILE))  # what DECI.save writes
_ALLOWED = re.compile(
    rf"^(manifest\.json|data/(table\.csv|dataset\.json|schema\.json)|constraints\.json|graph\.json|"
    rf"discovery\.json|timeseries\.json|trust\.json|estimates\.json|report\.json|models/{_KEY}/(run\.json|model/({_MODEL_FILES})))$"
)


# -- export ----------------------------------------------------------------------------------------


def export_bundle(state: AppState, report: ReportState | None = None, store: ModelStore | None = None,
                  now: datetime | None = None) -> bytes:
    """The session as a zip (bytes). Raises BundleError when there is no data to bundle."""
    data = state.data
    if data is None:
        raise BundleError("There is nothing to bundle yet: load a dataset first.")
    store = store or get_store()
    files: dict[str, bytes] = {}
    table_csv = data.raw.to_csv(index=False).encode()
    dtypes = data.dtypes()
    _check_round_trip(table_csv, dtypes, data)
    files["data/table.csv"] = table_csv
    files["data/dataset.json"] = _json(data.to_dict())
    files["data/schema.json"] = _json(data.schema.to_dict())
    if state.constraints is not None:
        files["constraints.json"] = _json(state.constraints.to_dict())
    keys = []
    discovery = parts.discovery_to_dict(state, store)
    if discovery:
        files["discovery.json"] = _json(discovery)
        keys.append(discovery["run_key"])
    graph = parts.graph_to_dict(state.graph, data.fingerprint)
    if graph:
        if graph.get("refit_key") and not store.contains(graph["refit_key"]):
            graph["refit_key"] = None  # never saved (the store was full or read-only): refit after opening
        files["graph.json"] = _json(graph)
        keys += [graph["refit_key"]] if graph.get("refit_key") else []
    for key in dict.fromkeys(keys):
        files.update({f"models/{key}/{rel}": blob for rel, blob in parts.store_entry(store, key).items()})
    files["estimates.json"] = _json(parts.report_items(state))
    if state.temporal is not None:  # time series: per-lag decisions and trajectories
        files["timeseries.json"] = _json(state.temporal.to_dict())
    if state.trust is not None or state.randomised:
        checks = state.trust.to_dict() if state.trust is not None else None
        files["trust.json"] = _json({"checks": checks, "randomised": list(state.randomised)})
    if report is not None:
        files["report.json"] = _json(parts.report_to_dict(report))
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "app_version": app_version(),
                "created": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
                "data_fingerprint": data.fingerprint,
                "restores": "data (the table itself), schema, constraints, graph versions, models, "
                             "estimates, trust checks",
                "files": {name: _sha256(blob) for name, blob in sorted(files.items())}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", _json(manifest))
        for name, blob in sorted(files.items()):
            zf.writestr(name, blob)
    return out.getvalue()


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, default=json_default).encode()


def _sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _check_round_trip(table_csv: bytes, dtypes: dict[str, str], data: LoadedData) -> None:
    """Refuse to write a bundle whose table would not come back with the same fingerprint."""
    back = read_table(table_csv, dtypes)
    table = usable_rows(back[data.schema.names], data.schema, data.missing_policy).reset_index(drop=True)
    same = data_fingerprint(table, data.schema) == data.fingerprint if data.layout is None else (
        LoadedData(data.name, back, data.schema, data.missing_policy, layout=data.layout).fingerprint
        == data.fingerprint)  # time series: the fingerprint covers the layout and its columns
    if not same:
        raise BundleError("This table does not survive a round trip through CSV unchanged (a column's "
                          "type or values would change), so a bundle could not restore it exactly. "
                          "Save the table as CSV, load that file, and bundle again.")


_TEXT = {"object", "str", "string"}
_CASTS = {"int64", "int32", "float64", "float32", "bool", "Int64", "Float64", "boolean", "category"}


def read_table(table_csv: bytes, dtypes: dict[str, str]) -> pd.DataFrame:
    """The bundled CSV as a DataFrame, columns cast back to their recorded dtypes (a fixed list)."""
    text_cols = {c: str for c, t in dtypes.items() if t in _TEXT}
    df = pd.read_csv(io.BytesIO(table_csv), dtype=text_cols or None, keep_default_na=False, na_values=[""])
    for col, dtype in dtypes.items():
        if col in df.columns and dtype in _CASTS and str(df[col].dtype) != dtype:
            try:
                df[col] = df[col].astype(dtype)
            except (TypeError, ValueError):
                pass  # left as read; the fingerprint check decides
    return df


# -- import ----------------------------------------------------------------------------------------


def read_bundle(blob: bytes) -> Bundle:
    """Validate and parse a bundle without touching any session. Raises BundleError."""
    members = _read_members(blob)
    if "manifest.json" not in members:
        raise BundleError("This zip is not a DECI Studio project bundle: it has no manifest.json.")
    manifest = _load_json(members, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("This zip is not a DECI Studio project bundle (its manifest is of another kind).")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        advice = ": it was made by a newer DECI Studio. Update the app to open it." if newer else "."
        raise BundleError(f"This bundle has format version {version!r}; this app reads version "
                          f"{FORMAT_VERSION}{advice}")
    _check_checksums(members, manifest.get("files"))
    data = _read_data(members, manifest)
    bundle = Bundle(manifest, data)
    try:
        bundle.constraints = Constraints.from_dict(_load_json(members, "constraints.json")) \
            if "constraints.json" in members else None
        bundle.graph = _load_json(members, "graph.json") if "graph.json" in members else None
        bundle.discovery = _load_json(members, "discovery.json") if "discovery.json" in members else None
        bundle.estimates = _load_json(members, "estimates.json") if "estimates.json" in members else []
        bundle.report = _load_json(members, "report.json") if "report.json" in members else None
        bundle.timeseries = _load_json(members, "timeseries.json") if "timeseries.json" in members else None
        if "trust.json" in members:
            bundle.trust, bundle.randomised = _read_trust(_load_json(members, "trust.json"))
    except DeciError as exc:
        raise BundleError(f"The bundle's contents are invalid: {exc}") from exc
    if not isinstance(bundle.estimates, list) or not all(isinstance(e, dict) for e in bundle.estimates):
        raise BundleError("The bundle's estimates.json is not a list of estimates.")
    for name, blob_ in members.items():
        m = re.match(rf"^models/({_KEY})/(.+)$", name)
        if m:
            bundle.models.setdefault(m.group(1), {})[m.group(2)] = blob_
    return bundle


def _read_trust(saved: Any) -> tuple[TrustState | None, list[str]]:
    """trust.json as (the checks, the treatments marked randomised). Raises BundleError."""
    randomised = saved.get("randomised", []) if isinstance(saved, dict) else None
    if not isinstance(randomised, list) or not all(isinstance(r, str) for r in randomised):
        raise BundleError("The bundle's trust.json is not a trust record.")
    try:
        checks = saved.get("checks")
        return (TrustState.from_dict(checks) if checks else None), list(randomised)
    except (TypeError, ValueError, AttributeError) as exc:
        raise BundleError(f"The bundle's trust.json is invalid: {exc}.") from exc


def _read_members(blob: bytes) -> dict[str, bytes]:
    """Every member's bytes, after checking names (no traversal, no links) and sizes."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise BundleError("This file is not a DECI Studio bundle: it is not a zip file.") from exc
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise BundleError(f"The bundle holds {len(infos)} files; a bundle has at most {MAX_MEMBERS}.")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:  # declared sizes; actual ones checked below
            raise BundleError(f"The bundle is too large once unpacked (limit {MAX_TOTAL_BYTES // 2**20} MB).")
        members, total = {}, 0
        for info in infos:
            name = info.filename
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if not _ALLOWED.match(name) or ".." in name.split("/") or is_link:
                raise BundleError(f"The bundle holds an unexpected file {name[:100]!r} (only DECI Studio's "
                                  "own files are allowed): it was not opened.")
            if name in members:
                raise BundleError(f"The bundle holds {name!r} twice: it was not opened.")
            with zf.open(info) as f:
                data = f.read(MAX_MEMBER_BYTES + 1)
            total += len(data)
            if len(data) > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                limit = MAX_TOTAL_BYTES // 2**20
                raise BundleError(f"The bundle is too large once unpacked (limit {limit} MB).")
            members[name] = data
    return members


def _load_json(members: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(members[name])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"The bundle's {name} is not valid JSON: {exc}.") from exc


def _check_checksums(members: dict[str, bytes], listed: Any) -> None:
    if not isinstance(listed, dict):
        raise BundleError("The bundle's manifest lists no files: it is incomplete.")
    present = set(members) - {"manifest.json"}
    extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
    if extra or missing:
        raise BundleError(f"The bundle's files do not match its manifest (unlisted: {extra[:3]}, missing: "
                          f"{missing[:3]}): it was changed after export.")
    for name in sorted(present):
        if _sha256(members[name]) != listed[name]:
            raise BundleError(f"The bundle was changed after export: {name} does not match its checksum.")


def _read_data(members: dict[str, bytes], manifest: dict[str, Any]) -> LoadedData:
    for name in ("data/table.csv", "data/dataset.json", "data/schema.json"):
        if name not in members:
            raise BundleError(f"The bundle has no {name}: it cannot restore the data.")
    info = _load_json(members, "data/dataset.json")
    try:
        schema = TableSchema.from_dict(_load_json(members, "data/schema.json"))
        raw = read_table(members["data/table.csv"], dict(info.get("dtypes") or {}))
        data = LoadedData.from_dict(info, raw, schema)
        fingerprint = data.fingerprint
    except (KeyError, TypeError, ValueError, AttributeError, DeciError) as exc:
        raise BundleError(f"The bundle's data cannot be read ({type(exc).__name__}: {exc}).") from exc
    if fingerprint != manifest.get("data_fingerprint") or fingerprint != info.get("fingerprint"):
        raise BundleError(f"The bundle's data does not match its fingerprint (found {fingerprint}, expected "
                          f"{manifest.get('data_fingerprint')}): the table was changed after export.")
    return data


# -- restore ---------------------------------------------------------------------------------------


def load_bundle(state: AppState, blob: bytes, store: ModelStore | None = None) -> list[str]:
    """Validate ``blob`` and replace the session's work with it; return what was restored, in words.

    Nothing in ``state`` changes unless everything was read and every model loaded.
    """
    bundle = read_bundle(blob)
    store = store or get_store()
    fingerprint = bundle.data.fingerprint
    models = {key: _load_model(key, files, fingerprint, store) for key, files in bundle.models.items()}
    steps = parts.build_steps(bundle, models, store)
    _cancel_jobs(state)
    state.data, state.pending_data = bundle.data, None
    state.constraints = bundle.constraints
    state.discovery, state.graph, state.effects = steps["discovery"], steps["graph"], steps["effects"]
    state.report = steps["report"]
    state.temporal = TemporalState.from_dict(bundle.timeseries, fingerprint) if bundle.timeseries else None
    state.trust, state.randomised = bundle.trust, list(bundle.randomised)
    if state.graph is not None:  # everything in a bundle was checked against its data
        state.graph.data_fingerprint = fingerprint
    if state.effects is not None:
        state.effects.data_fingerprint = fingerprint
        for item in state.effects.report_items:
            if "data_fingerprint" in item:
                item["data_fingerprint"] = fingerprint
    return steps["restored"]


def _cancel_jobs(state: AppState) -> None:
    """Stop the replaced session's background work, so none of it lands on the restored project."""
    jobs = [getattr(state.discovery, "job", None), getattr(state.graph, "refit_job", None)]
    if state.trust is not None:
        state.trust.cancel()
    if state.effects is not None:
        fx = state.effects
        jobs += [fx.job, fx.curve_job, fx.subgroup_job, fx.rows_job]
    for job in jobs:
        if job is not None:
            job.cancel()


def _load_model(key: str, files: dict[str, bytes], fingerprint: str, store: ModelStore) -> DECI:
    """Load a bundled store entry with DECI.load (weights_only) and put it in the store."""
    if "run.json" not in files:
        raise BundleError(f"The bundle's model {key} has no run.json: it cannot be restored.")
    run = json.loads(files["run.json"])
    if not isinstance(run, dict):
        raise BundleError(f"The bundle's model {key} has an unreadable run.json.")
    with tempfile.TemporaryDirectory(prefix="deci-bundle-") as tmp:
        for rel, blob in files.items():
            if rel.startswith("model/"):
                target = Path(tmp) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(blob)
        try:
            model = DECI.load(Path(tmp) / "model")
        except Exception as exc:  # noqa: BLE001 - any failure (e.g. torch's UnpicklingError) means a bad file
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise BundleError(f"The bundle's model {key} cannot be loaded: {reason}") from exc
    if list(model.encoder_.names) != list(run.get("names") or model.encoder_.names):
        raise BundleError(f"The bundle's model {key} does not match its run record.")
    trained_on = run.get("data_fingerprint", run.get("refit_of_data"))
    if trained_on not in (None, fingerprint):
        raise BundleError(f"The bundle's model {key} was trained on other data (fingerprint {trained_on}, "
                          f"the bundle's data is {fingerprint}).")
    record = {k: v for k, v in run.items() if k not in ("format", "key", "saved", "files")}
    store.put(key, model, record)
    return model
