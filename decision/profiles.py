"""Named weight profiles: what an analyst decided, how, and why, in one human-readable YAML file.

A profile file (format in docs/weights.md) holds ``name``, ``author``, ``date``, ``method``, ``inputs`` (what the
analyst said: an importance order, swing points, pairwise judgments or direct values), the resulting ``weights`` and
a ``rationale``. Loading recomputes the weights from the inputs and refuses a file whose stored weights disagree, so a
hand edit of one without the other cannot slip through.

Where profiles live: the user's profile folder, then the bundled presets in ``data/profiles/``; a user profile with the
name of a bundled one takes precedence. The user's folder (:func:`user_dir`) is, first that is set: the ``directory``
argument (CLI ``--profiles-dir``), ``$DECISION_PROFILES``, ``$DECISION_HOME/profiles``, else
``$XDG_CONFIG_HOME/decision/profiles`` (``~/.config/decision/profiles``). It never depends on the working folder, so
a profile saved in one folder is found from any other, and nothing is written into a checkout or a project folder by
surprise.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import yaml

from . import safeio
from . import weights as W
from .catalog import BUNDLED, Catalog, load_catalog
from .defaults import PROFILE_METHODS
from .errors import DecisionError
from .files import atomic_write_text

BUNDLED_PROFILES = BUNDLED / "profiles"
"""The bundled presets (balanced, rights-first, security-first, de-escalation-first)."""
PROFILES_ENV = "DECISION_PROFILES"
HOME_ENV = "DECISION_HOME"
METHODS = PROFILE_METHODS
"""Elicitation methods a profile can record, with the key its ``inputs`` mapping holds."""
INPUT_KEY = {"direct": "values", "roc": "order", "rank_sum": "order", "rank_reciprocal": "order",
             "swing": "points", "ahp": "judgments"}
FIELDS = ("name", "author", "date", "method", "inputs", "weights", "rationale")
REQUIRED = ("name", "method", "inputs", "weights")
WEIGHT_TOLERANCE = 5e-4
"""Largest accepted difference between a stored weight and the weight recomputed from the inputs."""
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A profile name: also its file name, so short (64 characters) and without a path or a line break."""


@dataclass(frozen=True)
class Profile:
    """A named set of criterion weights with how they were elicited. Immutable; ``weights`` returns a new Series."""
    name: str
    method: str
    inputs: Mapping
    criteria: tuple[str, ...]
    values: tuple[float, ...]
    author: str = ""
    date: str = ""
    rationale: str = ""
    path: Path | None = field(default=None, compare=False)

    @property
    def weights(self) -> pd.Series:
        """Weights indexed by criterion id (catalogue order), summing to 1."""
        return pd.Series(self.values, index=list(self.criteria), name=self.name)

    @property
    def ahp(self) -> W.AHPResult | None:
        """For an AHP profile: the full result (consistency ratio, worst judgment); otherwise None."""
        return W.ahp(dict(self.inputs["judgments"]), self.criteria) if self.method == "ahp" else None


# ----------------------------------------------------------------------------------------------------------------
# Pure: inputs -> weights

def _clean_number(x: float) -> float | int:
    x = round(float(x), 6)
    return int(x) if x.is_integer() else x


def canonical_inputs(method: str, inputs, criteria: Sequence[str]) -> dict:
    """The readable, stored form of a method's inputs.

    ``inputs`` may be the bare value (``"a>b=c"`` for rank methods, ``{"a": 100, ...}`` or ``"a=100,..."`` for swing
    and direct, a matrix / judgments for AHP) or the stored mapping (``{"order": ...}``, ``{"points": ...}``,
    ``{"values": ...}``, ``{"judgments": {"more/less": ratio}}``).
    """
    if method not in METHODS:
        raise DecisionError(f"unknown weighting method '{method}'; choose one of {', '.join(METHODS)}")
    key = INPUT_KEY[method]
    if isinstance(inputs, Mapping) and key in inputs:
        extra = [k for k in inputs if k != key]
        if extra:
            raise DecisionError(f"{method} inputs: unexpected key '{extra[0]}' (expected only '{key}')")
        inputs = inputs[key]
    if method in ("roc", "rank_sum", "rank_reciprocal"):
        return {key: W.format_order(W.parse_order(inputs, criteria))}
    if method == "ahp":
        return {key: {k: _clean_number(v) for k, v in W.judgments(W.pairwise_matrix(inputs, criteria)).items()}}
    if isinstance(inputs, str):
        inputs = W._parse_assignments(inputs, f"{method} inputs")
    if not isinstance(inputs, Mapping):
        raise DecisionError(f"{method} inputs: expected {{criterion: number}} or 'a=1,b=2,...', got "
                            f"{type(inputs).__name__}")
    W.direct(inputs, criteria)                           # names and numbers checked here
    return {key: {c: _clean_number(float(inputs[c])) for c in criteria}}


def compute_weights(method: str, inputs: Mapping, criteria: Sequence[str]) -> pd.Series:
    """Weights from canonical inputs (see :func:`canonical_inputs`), in ``criteria`` order."""
    key = INPUT_KEY.get(method)
    if key is None:
        raise DecisionError(f"unknown weighting method '{method}'; choose one of {', '.join(METHODS)}")
    if not isinstance(inputs, Mapping) or set(inputs) != {key}:
        other = [k for k in inputs if k != key] if isinstance(inputs, Mapping) else []
        if other:
            from .schema import unknown_key_message  # noqa: PLC0415
            raise DecisionError(f"{method} inputs must be a mapping with the single key '{key}': "
                                f"{unknown_key_message(str(other[0]), [key])}")
        raise DecisionError(f"{method} inputs must be a mapping with the single key '{key}'")
    value = inputs[key]
    if method == "direct":
        return W.direct(value, criteria)
    if method == "swing":
        return W.swing(value, criteria)
    if method == "ahp":
        if not isinstance(value, Mapping):
            raise DecisionError("ahp inputs: 'judgments' must map 'more/less' to a ratio")
        return W.ahp(dict(value), criteria).weights
    if not isinstance(value, str):          # a number n would give weights of ranks 1..n, not of the criteria
        raise DecisionError(f"{method} inputs: '{key}' must be an importance order such as "
                            f"'{'>'.join(criteria)}', got {value!r}")
    return {"roc": W.roc, "rank_sum": W.rank_sum, "rank_reciprocal": W.rank_reciprocal}[method](value, criteria)


def make_profile(name: str, method: str, inputs, criteria: Sequence[str], author: str = "", rationale: str = "",
                 date: str | None = None) -> Profile:
    """Build a profile from raw inputs: inputs are stored in readable canonical form and the weights computed."""
    _check_name(name)
    criteria = tuple(criteria)
    canon = canonical_inputs(method, inputs, criteria)
    w = compute_weights(method, canon, criteria)
    return Profile(name=name, method=method, inputs=_freeze(canon), criteria=criteria,
                   values=tuple(float(x) for x in w.to_numpy()), author=str(author or "").strip(),
                   date=date or dt.date.today().isoformat(), rationale=str(rationale or "").strip())


def _freeze(obj):
    if isinstance(obj, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    return obj


def _thaw(obj):
    if isinstance(obj, Mapping):
        return {k: _thaw(v) for k, v in obj.items()}
    return obj


def _check_name(name) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise DecisionError(f"profile name {safeio.short(name)}: use up to 64 lower-case letters, digits, '-' and "
                            "'_' (e.g. rights-first)")


# ----------------------------------------------------------------------------------------------------------------
# Text form

class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, data):
    style = "|" if "\n" in data else (">" if len(data) > 80 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def to_yaml(profile: Profile) -> str:
    """The profile as the YAML text that :func:`save_profile` writes."""
    doc = {"name": profile.name, "author": profile.author, "date": profile.date, "method": profile.method,
           "inputs": _thaw(profile.inputs),
           "weights": {c: round(v, 6) for c, v in zip(profile.criteria, profile.values)},
           "rationale": profile.rationale}
    head = ("# Weight profile for `decision` (format: docs/weights.md). The weights are recomputed from the inputs\n"
            "# when loaded: edit the inputs, then the weights to match (or re-save with `decision weights save`).\n")
    return head + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def parse_profile(text: str, criteria: Sequence[str], source: str = "<profile>") -> Profile:
    """Parse and validate a profile's YAML text against ``criteria`` (errors name ``source`` and the field)."""
    doc = safeio.parse_yaml(text, name=source, label="not valid YAML")
    if not isinstance(doc, Mapping):
        raise DecisionError("expected a mapping with name, author, date, method, inputs, weights, rationale",
                            file=source)
    unknown = [k for k in doc if k not in FIELDS]
    if unknown:
        from .schema import unknown_key_message  # noqa: PLC0415
        raise DecisionError(unknown_key_message(str(unknown[0]), FIELDS), file=source, field=str(unknown[0]))
    for k in REQUIRED:
        if doc.get(k) in (None, "", {}):
            raise DecisionError("missing or empty", file=source, field=k)
    try:
        _check_name(doc["name"])
    except DecisionError as exc:
        raise DecisionError(exc.problem, file=source, field="name") from None
    method = doc["method"]
    if method not in METHODS:
        raise DecisionError(f"unknown method '{method}'; choose one of {', '.join(METHODS)}", file=source,
                            field="method")
    try:
        computed = compute_weights(method, doc["inputs"], criteria)
    except DecisionError as exc:
        raise DecisionError(str(exc), file=source, field="inputs") from None
    stored = doc["weights"]
    if not isinstance(stored, Mapping):
        raise DecisionError("expected {criterion: weight}", file=source, field="weights")
    unknown = [c for c in stored if c not in criteria]
    if unknown:
        raise DecisionError(f"unknown criterion '{unknown[0]}'; the catalogue has {', '.join(criteria)}",
                            file=source, field="weights")
    missing = [c for c in criteria if c not in stored]
    if missing:
        raise DecisionError(f"no weight for criterion '{missing[0]}' (the catalogue has {', '.join(criteria)})",
                            file=source, field="weights")
    for c in criteria:
        try:
            x = float(stored[c])
        except (TypeError, ValueError):
            raise DecisionError(f"not a number: {stored[c]!r}", file=source, field=f"weights.{c}") from None
        if not abs(x - computed[c]) <= WEIGHT_TOLERANCE:
            raise DecisionError(f"stored weight {x:g} but the {method} inputs give {computed[c]:.4f}; make the "
                                "weights match the inputs", file=source, field=f"weights.{c}")
    date = doc.get("date") or ""
    date = date.isoformat() if isinstance(date, (dt.date, dt.datetime)) else str(date)
    for k in ("author", "rationale"):
        if doc.get(k) is not None and not isinstance(doc[k], str):
            raise DecisionError("expected text", file=source, field=k)
    return Profile(name=doc["name"], method=method,
                   inputs=_freeze(canonical_inputs(method, doc["inputs"], criteria)),
                   criteria=tuple(criteria), values=tuple(float(x) for x in computed.to_numpy()),
                   author=(doc.get("author") or "").strip(), date=date,
                   rationale=(doc.get("rationale") or "").strip())


# ----------------------------------------------------------------------------------------------------------------
# Files (the edge)

def home() -> Path:
    """decision's folder for the user's own files: ``$DECISION_HOME``, else ``$XDG_CONFIG_HOME/decision``, else
    ``~/.config/decision`` (the XDG base-directory default)."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    return Path(config).expanduser() / "decision"


def user_dir(directory: str | Path | None = None) -> Path:
    """The user's profile folder: ``directory``, else ``$DECISION_PROFILES``, else ``profiles/`` in :func:`home`.
    Not created here: :func:`save_profile` creates it when it first writes."""
    env = os.environ.get(PROFILES_ENV)
    folder = Path(directory) if directory is not None else Path(env).expanduser() if env else home() / "profiles"
    if folder.exists() and not folder.is_dir():
        raise DecisionError(f"the profile folder {folder} is a file, not a folder")
    return folder


def _criteria(catalog: Catalog | Sequence[str] | None) -> tuple[str, ...]:
    if catalog is None:
        catalog = load_catalog()
    return tuple(catalog.criterion_ids) if isinstance(catalog, Catalog) else tuple(catalog)


def load_profile_file(path: str | Path, catalog: Catalog | Sequence[str] | None = None) -> Profile:
    """Load and validate one profile file against the catalogue's criteria (bundled catalogue if None)."""
    path = Path(path)
    text = safeio.read_text(path, limit=safeio.MAX_PROFILE_BYTES, name=str(path))
    return replace(parse_profile(text, _criteria(catalog), source=str(path)), path=path)


def _looks_like_path(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or "/" in name or os.sep in name


def find_profile(name_or_path: str, directory: str | Path | None = None) -> Path:
    """The file of a profile: a path as given, else ``NAME.yaml`` in the user folder, else in the bundled presets."""
    name_or_path = str(name_or_path)
    if _looks_like_path(name_or_path):
        return Path(name_or_path)
    _check_name(name_or_path)
    folders = [user_dir(directory), BUNDLED_PROFILES]
    for folder in folders:
        for ext in (".yaml", ".yml"):
            p = folder / f"{name_or_path}{ext}"
            if p.is_file():
                return p
    known = sorted({p.stem for f in folders if f.is_dir() for p in f.glob("*.y*ml")})
    old = Path("profiles") / f"{name_or_path}.yaml"          # where profiles were saved before issue 18
    hint = (f"; {old} is not searched: give its path (--profile {old}) or move it to {folders[0]}/"
            if old.is_file() and old.resolve() != (folders[0] / old.name).resolve() else "")
    raise DecisionError(f"unknown profile '{name_or_path}'; available: {', '.join(known) or 'none'} (looked in "
                        f"{folders[0]}/ and the bundled data/profiles/){hint}")


def load_profile(name_or_path: str, catalog: Catalog | Sequence[str] | None = None,
                 directory: str | Path | None = None) -> Profile:
    """Load a profile by name (user folder first, then the bundled presets) or by path, validated against
    ``catalog``'s criteria (the bundled catalogue if None)."""
    return load_profile_file(find_profile(name_or_path, directory), catalog)


def save_profile(profile: Profile, directory: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write ``profile`` to ``<user folder>/<name>.yaml`` (:func:`user_dir`, created if missing) atomically: a failed
    save leaves any old file intact."""
    _check_name(profile.name)
    path = user_dir(directory) / f"{profile.name}.yaml"
    exists = (f"profile '{profile.name}' already exists at {path}; choose another name or overwrite "
              "(CLI: --force)")
    if path.exists() and not overwrite:
        raise DecisionError(exists)
    try:                        # created without replacing: of two concurrent saves of a new name, one wins
        return atomic_write_text(path, to_yaml(profile), replace=overwrite)
    except DecisionError:
        if not overwrite and os.path.lexists(path):
            raise DecisionError(exists) from None
        raise


def list_profiles(directory: str | Path | None = None,
                  catalog: Catalog | Sequence[str] | None = None) -> pd.DataFrame:
    """Every profile file in the user folder and the bundled presets, each validated.

    Columns: name, method, author, date, source (user/bundled), status ("ok", "overridden by user profile", or the
    validation error), path. User profiles first, then bundled, each sorted by name.
    """
    criteria = _criteria(catalog)
    rows, seen = [], set()
    for source, folder in (("user", user_dir(directory)), ("bundled", BUNDLED_PROFILES)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.y*ml")):
            if path.suffix not in (".yaml", ".yml"):
                continue
            try:
                p = load_profile_file(path, criteria)
                row = {"name": p.name, "method": p.method, "author": p.author, "date": p.date, "status": "ok"}
            except DecisionError as exc:
                row = {"name": path.stem, "method": "", "author": "", "date": "", "status": f"invalid: {exc.problem}"}
            if path.stem in seen and row["status"] == "ok":
                row["status"] = "overridden by user profile"
            seen.add(path.stem)
            rows.append({**row, "source": source, "path": str(path)})
    cols = ["name", "method", "author", "date", "source", "status", "path"]
    return pd.DataFrame(rows, columns=cols)


def profile_weights(profiles: Sequence[Profile]) -> pd.DataFrame:
    """Criteria x profiles table of weights (columns named by profile)."""
    if not profiles:
        return pd.DataFrame()
    return pd.concat([p.weights for p in profiles], axis=1)


__all__ = ["BUNDLED_PROFILES", "METHODS", "Profile", "canonical_inputs", "compute_weights", "find_profile",
           "list_profiles", "load_profile", "load_profile_file", "make_profile", "parse_profile", "profile_weights",
           "save_profile", "to_yaml", "home", "user_dir"]
