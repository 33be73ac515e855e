"""The schema toolkit every data file is read with: catalogue CSV/YAML, reactions.yaml, the case library.

* :class:`Row` is the base of every record schema (pydantic). It is strict: an unknown key or column is refused, with
  the closest known one suggested (``enable`` for ``enabled``), so a typo never leaves a setting silently at its
  default.
* :func:`validate` turns the first pydantic error into one :class:`~decision.errors.CatalogError` line naming the
  file, the record and the field.
* :func:`read_yaml` and :func:`read_csv` read a file of a folder through :mod:`decision.safeio` (bounded, strict
  numbers, no aliases bombs, every file remembered as an input).
* Field types shared by the schemas: :data:`Id` (snake_case), :data:`Text` (non-empty), :data:`Number` (finite,
  plain decimal), :data:`IdList` (``a|b`` in CSV, a list in YAML).
* Cross-reference checks shared by the loaders: :func:`check_unique` (ids), :func:`check_tools` (tool ids against
  tools.csv), :func:`check_factors` (factor ids against scenarios.yaml), each one :class:`CatalogError` line.
"""
from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from . import safeio
from .errors import CatalogError

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN)]
Text = Annotated[str, Field(min_length=1)]


def _not_a_number(v: str) -> str:
    """A display name a reader could take for a number (``nan``, ``inf``, ``1e9``) is refused."""
    try:
        float(v)
    except ValueError:
        return v
    raise ValueError(f"{v!r} reads as a number; a name needs words")


Name = Annotated[str, Field(min_length=1), AfterValidator(_not_a_number)]
"""A display name: non-empty text that does not read as a number."""
Number = Annotated[float, BeforeValidator(lambda v: safeio.strict_float(v, "number", ValueError) if isinstance(v, str)
                                          else v), Field(allow_inf_nan=False, ge=-safeio.MAX_ABS_NUMBER,
                                                         le=safeio.MAX_ABS_NUMBER)]


def _id_list(v: Any) -> tuple[str, ...]:
    items = v if isinstance(v, (list, tuple)) else str(v).split("|")
    items = tuple(str(x).strip() for x in items)
    if not items or any(not re.match(ID_PATTERN, x) for x in items):
        raise ValueError("expected snake_case tool ids separated by '|'")
    return items


IdList = Annotated[tuple[str, ...], BeforeValidator(_id_list)]


class Row(BaseModel):
    """Base of every record schema: immutable, whitespace stripped, unknown keys refused."""
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _submodel(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The schema class that holds the last key of ``loc`` (walking fields, list items and optional types)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = _model_in(current.model_fields[part].annotation)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``list[M]``, ``tuple[M, ...]``, ``M | None``, ``dict[str, M]`` (or ``M`` itself)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def unknown_key_message(key: str, known) -> str:
    """``unknown key 'enable' (did you mean 'enabled'?)``, or the list of known keys when none is close."""
    known = sorted(known)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
    key = key if len(key) <= 40 else key[:37] + "..."
    return f"unknown key '{key}' ({hint})"


def validate(model: type[BaseModel], data: Any, file: str, where: str):
    """Validate one record; turn the first pydantic error into a one-line :class:`CatalogError`."""
    if not isinstance(data, dict):
        raise CatalogError(f"expected a mapping of fields, got {type(data).__name__}", file=file, where=where)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])   # a typo explains a "missing"
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            parent = _submodel(model, loc[:-1])
            known = parent.model_fields if parent is not None else ()
            field = ".".join(str(p) for p in loc[:-1]) or None
            raise CatalogError(unknown_key_message(str(loc[-1]), known), file=file, where=where,
                               field=field) from None
        got = err.get("input")
        got_txt = "missing" if err["type"] == "missing" else f"got {safeio.short(got)}"
        msg = err["msg"].replace("Input should be", "expected").replace("String should match pattern", "expected a "
                                                                         "snake_case id matching")
        loc_txt = ".".join(str(p) for p in loc)
        raise CatalogError(f"{msg} ({got_txt})", file=file, where=where, field=loc_txt or None) from None


def read_csv(folder: Path, name: str, model: type[BaseModel]) -> list[tuple[int, dict]]:
    """Rows of ``folder/name`` as ``(line, {column: text})``: the header must hold every required field of ``model``
    and may add only its optional ones (an unknown column is refused with the closest known one)."""
    columns = tuple(n for n, f in model.model_fields.items() if f.is_required())
    rows = safeio.read_csv(Path(folder) / name, columns, name=name, error=CatalogError)
    allowed = set(model.model_fields)
    for col in rows[0][1]:
        if col not in allowed:
            raise CatalogError(unknown_key_message(col, allowed).replace("key", "column", 1), file=name,
                               where="line 1")
    return rows


def read_yaml(folder: Path, name: str, label: str | None = None, limit: int = safeio.MAX_CATALOG_FILE_BYTES) -> dict:
    """The top-level mapping of the YAML file ``folder/name`` (``label`` names it in errors; default ``name``) of at
    most ``limit`` bytes."""
    label = label or name
    data = safeio.load_yaml(Path(folder) / name, limit=limit, name=label, error=CatalogError)
    if not isinstance(data, dict):
        raise CatalogError("expected a mapping at the top level", file=label)
    return data


def check_unique(items, file: str, what: str, where) -> None:
    """Refuse the second of two equal ``items`` (ids), naming where the first stands (``where``: each item's place)."""
    seen = {}
    for item, w in zip(items, where):
        if item in seen:
            raise CatalogError(f"duplicate {what} '{item}' (first at {seen[item]})", file=file, where=w, field="id")
        seen[item] = w


def check_tools(ids, known, file: str, where: str, field: str) -> None:
    """Refuse a tool id that is not among ``known`` (the catalogue's tools.csv)."""
    for t in ids:
        if t not in known:
            raise CatalogError(f"unknown tool '{t}' (not in tools.csv)", file=file, where=where, field=field)


def check_factors(ids, known, file: str, where: str, field: str) -> None:
    """Refuse a factor id that is not among ``known`` (scenarios.yaml); the field is ``<field>.<id>``."""
    for fid in ids:
        if fid not in known:
            raise CatalogError(f"unknown factor '{fid}'", file=file, where=where, field=f"{field}.{fid}")
