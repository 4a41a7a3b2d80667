"""Stopping benchmark: every stopping rule replayed on our ranker's orders.

For each set in --data (layout of ../shared/data/screening/) and each of --seeds prior
seeds (42, 1, 2, ...), the ranker's full screening order is simulated once
(reviewflow.ranking.simulate, features built once per set, priors from
``sample_priors(labels, seed=...)``) and cached as JSON under --cache, so replays and the
leave-one-dataset-out selection run in seconds. Then, per set and overall, for each rule
(``arrival``: the Cox-process rule of reviewflow.ranking.arrival with its shipped
settings; ``ranked`` / ``random``: the random-sampling test of
reviewflow.ranking.stopping in its two modes): runs, runs that stopped, runs below the
95 % target, mean recall at stop and mean share screened (a run that never stops counts
as all records screened, recall 1).

``--select`` replays a grid of arrival settings and chooses one by leave-one-dataset-out:
for each held-out set, the setting with the smallest mean share among those with at most
5 % of runs below target on the other sets, none of them with more than 20 % below, and
every run stopping; then scored on the held-out set. The last line times one evaluation
of each rule on 50,000 records.

Example:
    nice -n 19 python benchmarks/stopping_bench.py --data ../shared/data/screening \\
        --seeds 10 --json /tmp/stopping.json [--select]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from reviewflow.ranking import build_features, record_text, sample_priors, simulate
from reviewflow.ranking.arrival import ArrivalSettings, arrival_test, replay_arrival
from reviewflow.ranking.features import build_char_features
from reviewflow.ranking.stopping import replay_stopping, stopping_test
from reviewflow.settings import StagePlan

SEEDS = [42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
TARGET = 0.95
CONFIDENCE = 0.95
RULES = ("arrival", "ranked", "random")
#: The shipped rule, read from the plan's default (sampling = the random-sampling test).
DEFAULT_RULE = {"arrival": "arrival", "sampling": "random"}[
    StagePlan.model_fields["stopping_rule"].default
]
#: The selection also refuses a setting with more than this share of a training set's
#: runs below target (the overall 5 % alone let one set fail half its runs).
MAX_BELOW_PER_SET = 0.2
#: Bump when the rule's code changes, so cached grid replays are not reused.
GRID_VERSION = 3
GRID = {
    "window_share": [1.0, 0.75],
    "min_share": [0.1, 0.05],  # on a tie the larger floor (listed first) is kept
    "min_run": [50, 100],
    "prior_shape": [1.0, 0.5],
    "background": [0.0, 0.05, 0.1, 0.2],
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_labels(directory: Path) -> pd.DataFrame:
    return pd.read_csv(directory / "records.csv.gz")


def cache_orders(data: Path, name: str, seeds: list[int], cache: Path) -> list[dict]:
    """The ranker's order and priors per seed for one set, simulated once, kept on disk."""
    cache.mkdir(parents=True, exist_ok=True)
    df = load_labels(data / name)
    labels = df["label_included"].fillna(0).astype(int).to_numpy()
    features = char_features = None
    out = []
    for seed in seeds:
        path = cache / f"{name}__{seed}.json"
        if not path.exists():
            if features is None:
                texts = [
                    record_text(t, a) for t, a in zip(df["title"], df["abstract"], strict=True)
                ]
                features, char_features = build_features(texts), build_char_features(texts)
            priors = sample_priors(labels, seed=seed)
            res = simulate(
                None,
                labels,
                seed=seed,
                priors=priors,
                features=features,
                char_features=char_features,
            )
            tmp = path.with_suffix(".partial")
            tmp.write_text(json.dumps({"priors": res.priors, "order": res.order}))
            tmp.rename(path)
        out.append({"seed": seed, **json.loads(path.read_text())})
    return out


def replay_all(labels: np.ndarray, run: dict, settings: ArrivalSettings) -> dict[str, dict]:
    """Every rule on one cached run: {rule: {stopped, recall, share}}."""
    y = labels[run["order"]]
    n_pr, pr_rel = len(run["priors"]), int(labels[run["priors"]].sum())
    out = {}
    stopped, _, recall, share = replay_arrival(
        y, n_priors=n_pr, prior_relevant=pr_rel, settings=settings
    )
    out["arrival"] = {"stopped": stopped, "recall": recall, "share": share}
    for mode in ("ranked", "random"):
        r = replay_stopping(y, n_priors=n_pr, prior_relevant=pr_rel, mode=mode, seed=run["seed"])
        out[mode] = {"stopped": r.stopped, "recall": r.recall, "share": r.share}
    return out


def summarise(reps: list[dict]) -> dict:
    return {
        "runs": len(reps),
        "stopped": sum(1 for x in reps if x["stopped"]),
        "below_target": sum(1 for x in reps if x["recall"] < TARGET),
        "mean_recall": float(np.mean([x["recall"] for x in reps])) if reps else float("nan"),
        "mean_share": float(np.mean([x["share"] for x in reps])) if reps else float("nan"),
    }


def row(label: str, s: dict) -> str:
    return (
        f"{label:34s} {s['runs']:5d} {s['stopped']:7d} {s['below_target']:6d} "
        f"{s['mean_recall']:8.3f} {s['mean_share']:8.3f}"
    )


HEAD = f"{'set / rule':34s} {'runs':>5s} {'stopped':>7s} {'below':>6s} {'recall':>8s} {'share':>8s}"


def select(sets: dict[str, dict], cache: Path) -> tuple[list[str], dict]:
    """Leave-one-dataset-out choice of the arrival settings over :data:`GRID`."""
    keys = list(GRID)
    grid = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*GRID.values())]
    # per setting, per set: the list of replays (cached on disk: the grid is the slow part)
    results: list[dict[str, list[dict]]] = []
    for g in grid:
        tag = "_".join(f"{k}{v}" for k, v in g.items())
        per_set = {}
        for name, s in sets.items():
            path = cache / f"grid{GRID_VERSION}__{name}__{len(s['runs'])}__{tag}.json"
            if path.exists():
                per_set[name] = json.loads(path.read_text())
                continue
            reps = []
            for run in s["runs"]:
                st, _, rec, sh = replay_arrival(
                    s["labels"][run["order"]],
                    n_priors=len(run["priors"]),
                    prior_relevant=int(s["labels"][run["priors"]].sum()),
                    settings=ArrivalSettings(**g),
                )
                reps.append({"stopped": st, "recall": rec, "share": sh})
            path.write_text(json.dumps(reps))
            per_set[name] = reps
        results.append(per_set)
    lines = ["", "Leave-one-dataset-out selection of the arrival settings:"]

    def best(names: list[str]) -> int:
        scored = []
        for gi, per_set in enumerate(results):
            summ = summarise([x for n in names for x in per_set[n]])
            ok = summ["below_target"] <= 0.05 * summ["runs"] and summ["stopped"] == summ["runs"]
            # no training set may lose badly either: the held-out set may be like it
            ok = ok and all(
                summarise(per_set[n])["below_target"] <= MAX_BELOW_PER_SET * len(per_set[n])
                for n in names
            )
            scored.append((not ok, summ["mean_share"], gi))
        return min(scored)[2]

    held: list[dict] = []
    chosen: dict[str, dict] = {}
    for name in sets:
        gi = best([n for n in sets if n != name])
        chosen[name] = grid[gi]
        held += results[gi][name]
        lines.append(
            f"  held out {name:26s} -> {grid[gi]}  {row('', summarise(results[gi][name]))}"
        )
    lodo = summarise(held)
    final = best(list(sets))
    lines.append(row("LODO held-out, all sets", lodo))
    lines.append(f"setting chosen on all sets: {grid[final]}")
    lines.append(
        row("  its in-sample figures", summarise([x for n in sets for x in results[final][n]]))
    )
    return lines, {"lodo": lodo, "chosen_per_fold": chosen, "final": grid[final]}


def timing(sets: dict[str, dict], n_records: int = 50_000, repeats: int = 5) -> dict:
    """One evaluation of each rule on ``n_records`` records, half of them screened."""
    seqs = [s["labels"][r["order"]] for s in sets.values() for r in s["runs"][:1]]
    y = np.concatenate(seqs)
    y = np.tile(y, -(-n_records // len(y)))[:n_records]
    screened = y[: n_records // 2]
    out = {}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        arrival_test(screened, records=n_records, target=TARGET, confidence=CONFIDENCE)
        times.append(time.perf_counter() - t0)
    out["arrival_s"] = float(np.median(times))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        half = len(screened) // 2
        stopping_test(
            urn_size=n_records - half,
            relevant_before=int(screened[:half].sum()),
            sample_size=len(screened) - half,
            sample_relevant=int(screened[half:].sum()),
        )
        times.append(time.perf_counter() - t0)
    out["sampling_s"] = float(np.median(times))
    out["records"] = n_records
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/screening"))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--sets", nargs="*", help="set names (default: every set in --data)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/stop-cache"))
    ap.add_argument("--json", type=Path, help="write all numbers here")
    ap.add_argument("--select", action="store_true", help="leave-one-dataset-out selection")
    ap.add_argument(
        "--cached-only",
        action="store_true",
        help="use only the seeds already simulated in --cache (a set's runs may be fewer)",
    )
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        ap.error(f"--data {args.data} is not a directory")
    if not 1 <= args.seeds <= len(SEEDS):
        ap.error(f"--seeds must lie in 1..{len(SEEDS)}")
    names = args.sets or sorted(p.name for p in args.data.iterdir() if p.is_dir())
    seeds = SEEDS[: args.seeds]
    sets: dict[str, dict] = {}
    for name in names:
        log(f"{name} ...")
        labels = load_labels(args.data / name)["label_included"].fillna(0).astype(int).to_numpy()
        wanted = seeds
        if args.cached_only:
            wanted = [sd for sd in seeds if (args.cache / f"{name}__{sd}.json").exists()]
            if not wanted:
                log(f"  {name}: nothing cached, left out")
                continue
        runs = cache_orders(args.data, name, wanted, args.cache)
        sets[name] = {"labels": labels, "runs": runs}
    settings = ArrivalSettings()
    lines = [
        f"Stopping rules at target recall {TARGET:.0%}, confidence {CONFIDENCE:.0%}; "
        f"{len(seeds)} seeds per set; default rule: {DEFAULT_RULE} {vars(settings)}",
        HEAD,
        "-" * len(HEAD),
    ]
    per_rule: dict[str, list[dict]] = {r: [] for r in RULES}
    set_out = []
    for name, s in sets.items():
        reps = [replay_all(s["labels"], run, settings) for run in s["runs"]]
        block = {"set": name, "records": len(s["labels"]), "included": int(s["labels"].sum())}
        for rule in RULES:
            these = [r[rule] for r in reps]
            per_rule[rule] += these
            block[rule] = summarise(these)
            tag = f"{name[:22]} ({block['records']}/{block['included']}) {rule}"
            lines.append(row(tag, block[rule]))
        block["runs"] = [{"seed": run["seed"], **r} for run, r in zip(s["runs"], reps, strict=True)]
        set_out.append(block)
    lines += ["", "All sets × seeds:"]
    overall = {rule: summarise(per_rule[rule]) for rule in RULES}
    for rule in RULES:
        lines.append(row(f"{rule}{' (default)' if rule == DEFAULT_RULE else ''}", overall[rule]))
    out = {
        "default_rule": DEFAULT_RULE,
        "default": overall[DEFAULT_RULE],
        "rules": overall,
        "settings": {"target": TARGET, "confidence": CONFIDENCE, "arrival": vars(settings)},
        "sets": set_out,
    }
    if args.select:
        sel_lines, out["selection"] = select(sets, args.cache)
        lines += sel_lines
    tim = timing(sets)
    out["timing"] = tim
    lines += [
        "",
        f"one stopping evaluation on {tim['records']:,} records (25,000 screened), median of 5: "
        f"arrival {tim['arrival_s'] * 1000:.1f} ms (goal ≤ 100 ms), "
        f"sampling test {tim['sampling_s'] * 1000:.1f} ms",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
