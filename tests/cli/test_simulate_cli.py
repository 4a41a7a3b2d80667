"""``reviewflow simulate``: metrics per seed and mean, JSON and order files, clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from reviewflow.cli import cli

SMALL = Path(__file__).parent.parent / "data" / "ranking" / "screening_small.csv"


def test_simulate_writes_metrics_and_order(tmp_path: Path) -> None:
    out, order = tmp_path / "sim.json", tmp_path / "order.csv"
    result = CliRunner().invoke(
        cli, ["simulate", str(SMALL), "--seeds", "2", "--json", str(out), "--order", str(order)]
    )
    assert result.exit_code == 0, result.output
    assert "WSS@95" in result.stdout and "mean" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["seed"] for r in data["runs"]] == [42, 1]
    assert 0 < data["mean"]["wss@95"] <= 1
    rows = list(csv.DictReader(order.open(encoding="utf-8")))
    per_seed = [r for r in rows if r["seed"] == "42"]
    assert len(per_seed) == data["records"]  # every record once: 2 priors + the order
    assert sum(r["prior"] == "1" for r in per_seed) == 2


def test_simulate_names_a_missing_label_column(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", str(SMALL), "--label-column", "nope"])
    assert result.exit_code == 1
    assert "no column 'nope'" in result.stderr and "--label-column" in result.stderr
