"""``decision audit``: check a catalogue's advice over every scenario x preset x method (exit 1 on a failure)."""
from __future__ import annotations

from .common import add_catalog, catalog_of


def register(sub) -> None:
    a = sub.add_parser("audit", help="check the advice over every scenario x preset x method (exit 1 on failure)")
    add_catalog(a)
    a.set_defaults(func=cmd_audit)


def cmd_audit(args) -> int:
    from ..audit import audit, format_report  # noqa: PLC0415
    rep = audit(catalog_of(args))
    print(format_report(rep))
    return 0 if rep.ok else 1
