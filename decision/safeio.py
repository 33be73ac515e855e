"""The one place that reads untrusted files: catalogue CSV/YAML, weight profiles, AHP matrix files.

Every read is bounded before any work starts (docs/security.md gives the limits and why):

* only a regular file is read (a FIFO, a device such as ``/dev/zero`` behind a symlink, a socket or a folder is refused
  at once: the file is opened non-blocking and checked with ``fstat`` before a byte is read), and only up to a byte
  limit;
* text must be UTF-8; a bad byte is reported with its line;
* YAML goes through :class:`SafeLoader`: PyYAML's safe loader that also refuses duplicate keys, limits aliases,
  nesting depth and the size of the document *after* alias expansion (an alias bomb fails on composition, before any
  object is built), loads dates as plain text, and reads numbers strictly: plain decimal only (no ``0_5`` for 5, no
  ``1:30`` for 90, no ``010`` for 8, no ``0x10`` or ``0b11``, no ``.inf``/``.nan``, nothing beyond +-1e9);
* CSV is read with a header whose columns must be unique, a bounded number of rows and a bounded field length; every
  error names the file, the line and the field.

Every file read here is remembered (device and inode) so that :mod:`decision.files` can refuse to write an output
over an input of the same command.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from pathlib import Path

import yaml

from .errors import DecisionError

KB, MB = 1024, 1024 * 1024
MAX_CATALOG_FILE_BYTES = 2 * MB
"""Largest catalogue file (the bundled ones are 1-31 KB; 2 MB is ~60x the largest)."""
MAX_PROFILE_BYTES = 256 * KB
"""Largest weight profile or AHP matrix file (a real one is under 2 KB)."""
MAX_YAML_DEPTH = 32
"""Deepest YAML nesting (the catalogue files nest 4 levels)."""
MAX_YAML_ALIASES = 100
"""Most YAML aliases (``*name``) in one document (the bundled files use none)."""
MAX_YAML_NODES = 200_000
"""Most YAML nodes in one document, counting every alias as a full copy of what it names (bundled: ~3,000)."""
MAX_CSV_ROWS = 5_000
"""Most data rows in a catalogue CSV file without its own limit below."""
ROW_LIMITS = {"criteria.csv": 32, "tools.csv": 62, "scores.csv": 32 * 62, "interactions.csv": 500}
"""Rows per catalogue file. 62 tools: a combination is a 64-bit mask. 500 interactions keep a full enumeration
(~225,000 combinations of the bundled catalogue) within a few seconds; the bundled catalogue has 27."""
MAX_FIELD_CHARS = 20_000
"""Longest CSV cell (the longest bundled rationale is under 1,000 characters)."""
MAX_ABS_NUMBER = 1e9
"""Largest magnitude of any number read from a file: far beyond any score, weight or effect, far below overflow."""

_inputs: set[tuple[int, int]] = set()


def inputs_read() -> frozenset:
    """(device, inode) of every file read through this module since the last :func:`forget_inputs`."""
    return frozenset(_inputs)


def forget_inputs() -> None:
    """Start a new command: forget the files read so far."""
    _inputs.clear()


def remember_input(path: str | Path) -> None:
    """Count ``path`` (if it exists) as an input of the current command."""
    try:
        st = os.stat(path)
    except OSError:
        return
    _inputs.add((st.st_dev, st.st_ino))


# ----------------------------------------------------------------------------------------------------------------
# Bytes and text

def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: str | Path, *, limit: int, name: str | None = None, error=DecisionError) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else raises ``error`` naming ``name``."""
    path = Path(path)
    label = name or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"file not found (expected {path})", file=label) from None
    except OSError as exc:
        raise error(f"cannot open the file ({exc.strerror or exc})", file=label) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"is {_kind(st.st_mode)}; expected a regular file", file=label)
        if st.st_size > limit:
            raise error(f"the file has {st.st_size:,} bytes, above the limit of {limit:,}", file=label)
        _inputs.add((st.st_dev, st.st_ino))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 * MB, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(f"the file grew above the limit of {limit:,} bytes while being read", file=label)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", file=label) from None
    finally:
        os.close(fd)


def decode(data: bytes, *, name: str, error=DecisionError) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); a bad byte is reported with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error(f"not valid UTF-8 text ({exc.reason}, byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                    file=name, where=f"line {line}") from None


def read_text(path: str | Path, *, limit: int, name: str | None = None, error=DecisionError) -> str:
    """UTF-8 text of a regular file of at most ``limit`` bytes."""
    label = name or str(path)
    return decode(read_bytes(path, limit=limit, name=label, error=error), name=label, error=error)


def short(value, width: int = 60) -> str:
    """``repr(value)`` cut to ``width`` characters (error messages never format a huge value in full)."""
    if isinstance(value, (list, tuple, dict, set)) and len(value) > 20:
        return f"<{type(value).__name__} of {len(value):,} items>"
    try:
        text = reprlib_repr(value)
    except Exception:  # noqa: BLE001  (a repr that fails must not hide the real error)
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[:width - 3] + "..."


def reprlib_repr(value) -> str:
    import reprlib  # noqa: PLC0415
    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxdict, r.maxstring, r.maxother = 3, 6, 6, 60, 60
    return r.repr(value)


# ----------------------------------------------------------------------------------------------------------------
# Numbers

_NUMBER_LIKE = re.compile(r"^\s*[+-]?(\d[\d_]*)?(\.[\d_]*)?([eE][+-]?[\d_]+)?\s*$")


def strict_float(value, what: str, error=DecisionError, **where) -> float:
    """A finite number within +-:data:`MAX_ABS_NUMBER` from a number or plain decimal text (``0_5``, ``inf``,
    ``nan``, ``1e308`` and ``0x10`` are refused, where Python's ``float`` would accept several of them)."""
    if isinstance(value, bool):
        raise error(f"{what}: expected a number, got {value!r}", **where)
    if isinstance(value, str):
        text = value.strip()
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise error(f"{what}: expected a finite number, got {short(value)}", **where)
        if "_" in text or not _NUMBER_LIKE.match(text) or not re.search(r"\d", text):
            raise error(f"{what}: expected a plain decimal number, got {short(value)}", **where)
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):
        raise error(f"{what}: expected a number, got {short(value)}", **where) from None
    if not math.isfinite(f) or abs(f) > MAX_ABS_NUMBER:
        raise error(f"{what}: {short(value)} is outside the accepted range +-{MAX_ABS_NUMBER:g}", **where)
    return f


# ----------------------------------------------------------------------------------------------------------------
# YAML

class LimitError(yaml.MarkedYAMLError):
    """A YAML document beyond a limit (aliases, depth, size, duplicate key, number)."""


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with limits: duplicate keys, aliases, depth and expanded size are refused; dates stay
    text; numbers are strict and bounded."""

    yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != _TIMESTAMP]
                               for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._weight: dict[int, int] = {}

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            event = self.peek_event()
            if self._aliases > MAX_YAML_ALIASES:
                raise LimitError(None, None, f"more than {MAX_YAML_ALIASES} aliases (*name)", event.start_mark)
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._weight:
                raise LimitError(None, None, f"alias *{event.anchor} refers to a value that contains it",
                                 event.start_mark)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise LimitError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep",
                             self.peek_event().start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        w = self._weight.get(id(node))
        if w is None:
            if isinstance(node, yaml.SequenceNode):
                w = 1 + sum(self._weight.get(id(c), 1) for c in node.value)
            elif isinstance(node, yaml.MappingNode):
                w = 1 + sum(self._weight.get(id(k), 1) + self._weight.get(id(v), 1) for k, v in node.value)
            else:
                w = 1
            if w > MAX_YAML_NODES:
                raise LimitError(None, None, f"the document expands to more than {MAX_YAML_NODES:,} values "
                                             "(aliases count as copies)", node.start_mark)
            self._weight[id(node)] = w
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise LimitError(None, None, f"duplicate key '{str(key_node.value)[:40]}' (first at line "
                                                 f"{seen[key]})", key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        value = self.construct_scalar(node)
        if "_" in value or ":" in value:
            raise LimitError(None, None, f"'{value[:30]}' is not a plain number (no '_' or ':' in numbers)",
                             node.start_mark)
        if not _PLAIN_INT.match(value):          # YAML 1.1 reads 010 as 8, 0x10 as 16, 0b11 as 3
            raise LimitError(None, None, f"'{value[:30]}' is not a plain decimal number (YAML 1.1 would read it as "
                             "octal, hex or binary); write it without a leading 0 or prefix, or quote it for text",
                             node.start_mark)
        n = super().construct_yaml_int(node)
        if abs(n) > MAX_ABS_NUMBER:
            raise LimitError(None, None, f"{short(value, 30)} is outside the accepted range +-{MAX_ABS_NUMBER:g}",
                             node.start_mark)
        return n

    def construct_yaml_float(self, node):
        value = self.construct_scalar(node)
        if "_" in value or ":" in value:
            raise LimitError(None, None, f"'{value[:30]}' is not a plain number (no '_' or ':' in numbers)",
                             node.start_mark)
        f = super().construct_yaml_float(node)
        if not math.isfinite(f) or abs(f) > MAX_ABS_NUMBER:
            raise LimitError(None, None, f"{short(value, 30)} is outside the accepted range +-{MAX_ABS_NUMBER:g}",
                             node.start_mark)
        return f

    def construct_timestamp_as_text(self, node):
        return self.construct_scalar(node)


# YAML 1.1 reads "1e308" (no dot) as text, which pydantic would then turn into a float: read it as a number, bounded.
SafeLoader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                                 list("-+0123456789"))
SafeLoader.add_constructor("tag:yaml.org,2002:int", SafeLoader.construct_yaml_int)
SafeLoader.add_constructor("tag:yaml.org,2002:float", SafeLoader.construct_yaml_float)
SafeLoader.add_constructor(_TIMESTAMP, SafeLoader.construct_timestamp_as_text)


if getattr(yaml, "__with_libyaml__", False):
    class FastSafeLoader(yaml.cyaml.CParser, SafeLoader):
        """:class:`SafeLoader` on libyaml's C scanner and parser (about 4x faster on the catalogue files): the
        events come from C, the document is composed and constructed by :class:`SafeLoader`'s own Python code, so
        every limit above applies unchanged (tests/test_security.py runs the hostile documents through both)."""

        get_single_node = yaml.composer.Composer.get_single_node   # not CParser's C composer: ours, with limits
        get_node = yaml.composer.Composer.get_node
        check_node = yaml.composer.Composer.check_node

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._aliases = 0
            self._depth = 0
            self._weight = {}
else:                                                  # PyYAML built without libyaml: the pure-Python loader
    FastSafeLoader = SafeLoader


def parse_yaml(text: str, *, name: str, error=DecisionError, label: str = "invalid YAML", loader=None):
    """Parse YAML text with :class:`SafeLoader` (on libyaml's parser where PyYAML has it: ``FastSafeLoader``); any
    problem raises ``error`` naming ``name`` and the line."""
    try:
        return yaml.load(text, Loader=loader or FastSafeLoader)  # noqa: S506  (SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = exc.problem or exc.context
        if problem and "maximum nesting depth" in problem:          # libyaml's own cap (1,000 levels), met first
            problem = f"nested more than {MAX_YAML_DEPTH} levels deep"
        raise error(f"{label}: {problem}", file=name, where=where) from None
    except yaml.YAMLError as exc:
        raise error(f"{label}: {str(exc).splitlines()[0]}", file=name) from None
    except RecursionError:
        raise error(f"{label}: nested too deeply (limit {MAX_YAML_DEPTH})", file=name) from None


def load_yaml(path: str | Path, *, limit: int, name: str | None = None, error=DecisionError,
              label: str = "invalid YAML"):
    """Read and parse a YAML file within ``limit`` bytes."""
    name = name or str(path)
    return parse_yaml(read_text(path, limit=limit, name=name, error=error), name=name, error=error, label=label)


# ----------------------------------------------------------------------------------------------------------------
# CSV

def read_csv(path: str | Path, columns: tuple[str, ...], *, name: str | None = None, error=DecisionError,
             limit: int = MAX_CATALOG_FILE_BYTES, max_rows: int | None = None) -> list[tuple[int, dict]]:
    """Rows of a CSV file with a header as ``(line, {column: text})``.

    The header must hold ``columns`` and no column twice; every row must have the header's number of fields; cells
    are at most :data:`MAX_FIELD_CHARS` long; a cell that looks like a number must be a plain decimal number
    (``0_5`` is refused). Errors name the file, the line and the field.
    """
    label = name or Path(path).name
    if max_rows is None:
        max_rows = ROW_LIMITS.get(Path(path).name, MAX_CSV_ROWS)
    text = read_text(path, limit=limit, name=label, error=error)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict]] = []
    header: list[str] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not header:
                header = fields
                dup = sorted({c for c in header if header.count(c) > 1})
                if dup:
                    raise error(f"column '{dup[0][:40]}' appears twice in the header", file=label,
                                where="line 1")
                missing = [c for c in columns if c not in header]
                if missing:
                    raise error(f"missing column(s) {', '.join(missing)}; the header has: "
                                f"{short(', '.join(header), 200)}", file=label, where="line 1")
                continue
            if not fields:
                continue                      # a blank line (csv.DictReader skips these too)
            if len(fields) > len(header):
                raise error(f"more fields than the header's {len(header)} columns (unquoted comma?)", file=label,
                            where=f"line {line}")
            if len(rows) >= max_rows:
                raise error(f"more than {max_rows:,} rows (the limit for this file)", file=label,
                            where=f"line {line}")
            row = dict(zip(header, fields))
            for col, cell in row.items():
                if len(cell) > MAX_FIELD_CHARS:
                    raise error(f"{len(cell):,} characters, above the limit of {MAX_FIELD_CHARS:,}", file=label,
                                where=f"line {line}", field=col)
                if _NUMBER_LIKE.match(cell) and re.search(r"\d", cell):
                    strict_float(cell, "number", error, file=label, where=f"line {line}", field=col)
            empty = [c for c in columns if c not in row]
            if empty:
                raise error(f"fewer fields than the header ({empty[0]} missing)", file=label, where=f"line {line}",
                            field=empty[0])
            rows.append((line, row))
    except csv.Error as exc:
        raise error(f"malformed CSV ({exc})", file=label, where=f"line {reader.line_num}") from None
    if not header:
        raise error("the file is empty (expected a header row)", file=label)
    if not rows:
        raise error("the file has a header but no rows", file=label)
    return rows
