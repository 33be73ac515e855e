"""One typed set of constraint overrides (decision.portfolios.Overrides) built by the CLI and the dashboard."""
from __future__ import annotations

import argparse
import json

import pytest

import decision
from decision.cli import main
from decision.cli.common import constraints_of, overrides_of
from decision.dashboard.state import ViewModel, ViewState
from decision.errors import DecisionError
from decision.portfolios import Overrides

from .conftest import TINY


def _args(**kw):
    base = dict(floor=None, no_floor=False, capacity=None, no_obligations=False)
    return argparse.Namespace(**{**base, **kw})


def test_dashboard_floor_points_work_as_the_cli_floor_on_a_catalogue_without_a_floor(tiny, capsys):
    """Before: ViewModel.view(floor_points=1) raised a TypeError on a catalogue without a floor (the dashboard's dict
    lacked the floor's criterion) where ``decision rank --floor 1`` worked."""
    assert tiny.constraints.floor is None
    assert main(["rank", "--catalog", str(TINY), "--floor", "1", "--format", "json", "--top", "10"]) == 0
    cli = json.loads(capsys.readouterr().out)
    state = ViewState(scenario="base", method="wsm", max_tools=tiny.constraints.max_tools, top=10,
                      weights={c: 1.0 for c in tiny.criterion_ids}, floor_points=1.0)
    view = ViewModel(tiny).view(state)
    assert len(view.ranker.portfolios) == cli["n_feasible"]
    assert view.ranking.attrs["floor"] == cli["floor"]
    assert [list(t) for t in view.ranking["tool_ids"]] == [r["tools"] for r in cli["ranking"]]
    # the floor binds: fewer combinations than without it (the status quo raises rights by 0)
    assert len(view.ranker.portfolios) < len(decision.build_portfolios(tiny))


def test_cli_and_dashboard_build_the_same_overrides(bundled):
    w = {c: 1.0 for c in bundled.criterion_ids}
    st = ViewState(scenario=bundled.scenarios[0].id, method="wsm", max_tools=3, top=5, weights=w, floor_points=4.5,
                   capacity=8.0)
    cli = overrides_of(_args(floor=4.5, capacity=8.0))
    assert (st.overrides.floor_points, st.overrides.capacity) == (cli.floor_points, cli.capacity)
    off = ViewState(**{**st.__dict__, "floor": False, "floor_points": None})
    assert constraints_of(_args(no_floor=True), bundled)["floor"] == off.constraints["floor"] == {"enabled": False}
    assert overrides_of(_args(no_obligations=True)).as_dict() == {"obligations_enabled": False}
    assert overrides_of(_args()).as_dict() == {}


def test_overrides_reach_the_engine_like_the_dict(bundled):
    ov = Overrides(floor_points=3.0, capacity=6.0, forced_out=("demarche",), max_tools=2)
    a = decision.build_portfolios(bundled, constraints=ov)
    b = decision.build_portfolios(bundled, max_tools=2, constraints=ov.as_dict())
    assert len(a) == len(b) and a.constraints.max_tools == 2
    assert (a.values == b.values).all()
    assert not any("demarche" in t for t in map(a.tools_of, range(len(a))))


@pytest.mark.parametrize("kw, msg", [(dict(floor=False, floor_points=2.0), "not both"),
                                     (dict(floor_points=11.0), "between 0 and 10"),
                                     (dict(capacity=0.0), "positive")])
def test_bad_overrides_are_one_line(kw, msg):
    with pytest.raises(DecisionError, match=msg):
        Overrides(**kw)
