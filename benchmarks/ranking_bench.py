"""Ranking benchmark: reviewflow's ranker against ASReview LAB's default model (elas_u4).

For every set in --data (layout of ../shared/data/screening/) and each prior seed
(42, 1, 2, 3, 4 — the first --seeds of them), run ASReview's own CLI

    asreview simulate records.csv --ai elas_u4 --n-prior-included 1 --n-prior-excluded 1
        --prior-seed S --seed S -o project.asreview

read its labelling order and priors back from the project (a zip holding a SQLite
``results`` table), then replay reviewflow's ranker from THE SAME priors and score both
orders with reviewflow.ranking.metrics — one set of definitions for both tools. Then:
every stopping rule replayed on every reviewflow run (``stop``: the sampling test's
``ranked`` and ``random`` modes, ``arrival``, and the shipped one again as ``default``), the
time of one retrain + re-rank on 50,000 records (sets concatenated, repeated to 50,000),
and peak memory.

Example:
    nice -n 10 python benchmarks/ranking_bench.py --data ../shared/data/screening \\
        --seeds 5 --asreview-bin /tmp/asr/bin/asreview --json /tmp/ranking.json
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from reviewflow.ranking import Ranker, build_features, record_text, sample_priors, simulate
from reviewflow.ranking import metrics as M
from reviewflow.ranking import model as ranker_model
from reviewflow.ranking.arrival import ArrivalSettings, replay_arrival
from reviewflow.ranking.features import build_char_features
from reviewflow.ranking.stopping import SWITCH_AFTER_IRRELEVANT, replay_stopping
from reviewflow.settings import StagePlan

SEEDS = [42, 1, 2, 3, 4]
COLUMNS = ["wss@95", "recall@10", "n@95", "erf@10"]
TA_COLUMN = "label_abstract_screening"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_set(directory: Path, label_column: str) -> tuple[list[str], np.ndarray]:
    df = pd.read_csv(directory / "records.csv.gz")
    texts = [record_text(t, a) for t, a in zip(df["title"], df["abstract"], strict=True)]
    return texts, df[label_column].fillna(0).astype(int).to_numpy()


def read_asreview_project(path: Path) -> tuple[list[int], list[int]]:
    """(priors, order) as dataset row positions from an .asreview project file."""
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as zf:
        zf.extract("results.db", tmp)
        con = sqlite3.connect(Path(tmp) / "results.db")
        try:
            row_of = dict(con.execute("SELECT record_id, dataset_row FROM record"))
            rows = con.execute(
                "SELECT record_id, classifier FROM results ORDER BY rowid"
            ).fetchall()
        finally:
            con.close()
    priors = [row_of[r] for r, clf in rows if clf is None]
    order = [row_of[r] for r, clf in rows if clf is not None]
    return priors, order


def run_asreview(exe: str, csv_path: Path, seed: int, out: Path) -> float:
    """Run one ASReview simulation; returns wall seconds."""
    cmd = [exe, "simulate", str(csv_path), "--ai", "elas_u4", "--n-prior-included", "1"]
    cmd += ["--n-prior-excluded", "1", "--prior-seed", str(seed), "--seed", str(seed)]
    cmd += ["-o", str(out)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"asreview failed on {csv_path.name} seed {seed}: {done.stderr[-500:]}")
    return time.perf_counter() - start


def find_asreview(given: str | None) -> str | None:
    exe = given or shutil.which("asreview")
    if exe and (Path(exe).exists() or shutil.which(exe)):
        return exe
    return None


def peer_run(exe: str, directory: Path, seed: int, tmp: Path) -> tuple[float, list, list]:
    """ASReview on one set and seed: (wall s, priors, order)."""
    csv_path = tmp / f"{directory.name}.csv"
    if not csv_path.exists():
        pd.read_csv(directory / "records.csv.gz").to_csv(csv_path, index=False)
    project = tmp / f"{directory.name}__{seed}.asreview"
    wall = run_asreview(exe, csv_path, seed, project)
    priors, order = read_asreview_project(project)
    project.unlink()
    return wall, priors, order


def bench_set(name, directory, args, exe, tmp, label_column=None, peer_jobs=None) -> dict:
    """Both tools on one set; ``peer_jobs`` maps seed -> a future of :func:`peer_run`
    already submitted (so ASReview runs on one core while ours runs on the other)."""
    texts, labels = load_set(directory, label_column or args.label_column)
    t0 = time.perf_counter()
    features, char_features = build_features(texts), build_char_features(texts)
    feature_s = time.perf_counter() - t0
    run_peer = exe is not None and (not args.peer_sets or name in args.peer_sets)
    runs = []
    for seed in SEEDS[: args.seeds]:
        row: dict = {"set": name, "seed": seed}
        priors = None
        if run_peer:
            if peer_jobs and seed in peer_jobs:
                wall, priors, peer_order = peer_jobs[seed].result()
            else:
                wall, priors, peer_order = peer_run(exe, directory, seed, tmp)
            row["peer_s"] = wall
            row["peer"] = M.summary(peer_order, labels, priors=priors)
        if priors is None:
            priors = sample_priors(labels, seed=seed)
        result = simulate(
            None, labels, seed=seed, priors=priors, features=features, char_features=char_features
        )
        row["ours"] = result.metrics()
        row["ours_s"] = result.seconds + feature_s
        row["retrains"] = result.retrains
        row["priors"] = priors
        if args.orders:
            row["order"] = result.order
        y_order = labels[result.order]
        n_pr, pr_rel = len(priors), int(labels[priors].sum())
        row["stop"] = stop_rules(y_order, n_pr, pr_rel)
        runs.append(row)
        peer_txt = f"peer {row['peer']['wss@95']:.3f} " if "peer" in row else ""
        log(f"  {name} seed {seed}: ours WSS@95 {row['ours']['wss@95']:.3f} {peer_txt}")
    return {"set": name, "records": len(labels), "included": int(labels.sum()), "runs": runs}


#: Every stopping rule replayed: the sampling test in its two modes and the arrival rule;
#: ``default`` repeats the one reviewflow ships (reviewflow.ranking.arrival).
STOP_RULES = ("ranked", "random", "arrival", "default")
#: The shipped rule, read from the plan's default (sampling = the random-sampling test).
DEFAULT_RULE = {"arrival": "arrival", "sampling": "random"}[
    StagePlan.model_fields["stopping_rule"].default
]


def stop_rules(y_order, n_priors: int, prior_relevant: int) -> dict[str, dict]:
    """{rule: {stopped, recall, share, screened}} for one simulated order."""
    out = {
        mode: vars(replay_stopping(y_order, n_priors=n_priors, prior_relevant=prior_relevant,
                                   mode=mode))
        for mode in ("ranked", "random")
    }  # fmt: skip
    stopped, screened, recall, share = replay_arrival(
        y_order, n_priors=n_priors, prior_relevant=prior_relevant
    )
    out["arrival"] = {"stopped": stopped, "screened": screened, "recall": recall, "share": share}
    out["default"] = dict(out[DEFAULT_RULE])
    return out


def mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def set_table(results: list[dict]) -> list[str]:
    head = f"{'set':26s} {'recs':>6s} {'incl':>5s} {'sd':>2s} | {'tool':4s} "
    head += " ".join(f"{c:>9s}" for c in COLUMNS) + f" {'wall s':>7s}"
    lines = [head, "-" * len(head)]
    for s in results:
        for tool, key in (("ours", "ours_s"), ("peer", "peer_s")):
            runs = [r for r in s["runs"] if tool in r]
            if not runs:
                continue
            vals = " ".join(f"{mean(r[tool][c] for r in runs):9.3f}" for c in COLUMNS)
            lines.append(
                f"{s['set']:26s} {s['records']:6d} {s['included']:5d} {len(runs):2d} | "
                f"{tool:4s} {vals} {mean(r[key] for r in runs):7.1f}"
            )
    return lines


def means_table(results: list[dict]) -> tuple[list[str], dict]:
    both = [s for s in results if all("peer" in r for r in s["runs"])]
    out: dict = {"sets_all": len(results), "sets_with_peer": len(both)}
    lines = []
    ours_all = {c: mean(mean(r["ours"][c] for r in s["runs"]) for s in results) for c in COLUMNS}
    out["ours_all_sets"] = ours_all
    lines.append(
        f"reviewflow, all {len(results)} sets: "
        + ", ".join(f"{c} {v:.3f}" for c, v in ours_all.items())
    )
    if both:
        per_set = []
        for s in both:
            o = mean(r["ours"]["wss@95"] for r in s["runs"])
            p = mean(r["peer"]["wss@95"] for r in s["runs"])
            per_set.append((s["set"], o, p, o - p))
        for tool in ("ours", "peer"):
            m = {c: mean(mean(r[tool][c] for r in s["runs"]) for s in both) for c in COLUMNS}
            out[f"{tool}_paired_sets"] = m
            lines.append(
                f"{tool:4s} on the {len(both)} sets run by both: "
                + ", ".join(f"{c} {v:.3f}" for c, v in m.items())
            )
        diffs = [d for *_, d in per_set]
        worst = min(per_set, key=lambda t: t[3])
        out["wss_diff_mean"] = mean(diffs)
        out["wss_diff_worst"] = {"set": worst[0], "diff": worst[3]}
        lines.append(
            f"WSS@95 ours − peer: mean {mean(diffs):+.3f} (goal ≥ +0.03); "
            f"worst set {worst[0]} {worst[3]:+.3f} (goal ≥ −0.05)"
        )
    return lines, out


def stopping_table(results: list[dict]) -> tuple[list[str], dict]:
    lines = [
        f"stopping rules: target recall 0.95, confidence 0.95; sampling test (ranked, random) "
        f"switches after {SWITCH_AFTER_IRRELEVANT} irrelevant in a row; arrival: "
        f"{vars(ArrivalSettings())}; default = {DEFAULT_RULE}",
        f"{'rule':8s} {'runs':>5s} {'stopped':>7s} {'below':>6s} {'recall@stop':>11s} "
        f"{'share screened':>14s}",
    ]
    out = {}
    for mode in STOP_RULES:
        reps = [r["stop"][mode] for s in results for r in s["runs"]]
        below = sum(1 for x in reps if x["recall"] < 0.95)
        row = {
            "runs": len(reps),
            "stopped": sum(1 for x in reps if x["stopped"]),
            "below_target": below,
            "mean_recall": mean(x["recall"] for x in reps),
            "mean_share": mean(x["share"] for x in reps),
        }
        out[mode] = row
        lines.append(
            f"{mode:8s} {row['runs']:5d} {row['stopped']:7d} {below:6d} "
            f"{row['mean_recall']:11.3f} {row['mean_share']:14.3f}"
        )
    return lines, out


def timing(data: Path, sets: list[str], n_records: int, repeats: int) -> dict:
    """One retrain + re-rank of the unlabelled records, features built once."""
    texts: list[str] = []
    labels: list[int] = []
    for name in sets:
        t, y = load_set(data / name, "label_included")
        texts += t
        labels += list(y)
    reps = -(-n_records // len(texts))
    texts, y = (texts * reps)[:n_records], np.array((labels * reps)[:n_records])
    t0 = time.perf_counter()
    ranker = Ranker.from_texts(texts)
    out = {"records": n_records, "features_s": time.perf_counter() - t0, "retrain_rank_s": {}}
    rng = np.random.default_rng(0)
    for n_lab in [n for n in (1000, 5000, 20000, 45000) if n < n_records]:
        inc = rng.choice(np.nonzero(y == 1)[0], min(n_lab // 10, int(y.sum())), replace=False)
        exc = rng.choice(np.nonzero(y == 0)[0], n_lab - len(inc), replace=False)
        lab = np.concatenate([inc, exc])
        pool = np.setdiff1d(np.arange(n_records), lab)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            ranker.fit(lab, y[lab]).rank(pool)
            times.append(time.perf_counter() - start)
        out["retrain_rank_s"][n_lab] = statistics.median(times)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/screening"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sets", nargs="*", help="set names (default: every set in --data)")
    ap.add_argument("--peer-sets", nargs="*", help="run ASReview only on these sets")
    ap.add_argument("--no-peer", action="store_true", help="skip ASReview")
    ap.add_argument(
        "--sequential",
        action="store_true",
        help="run ASReview and reviewflow one after the other (default: side by side, "
        "one core each; ASReview's wall times then include that sharing)",
    )
    ap.add_argument("--asreview-bin", help="asreview executable (default: asreview on PATH)")
    ap.add_argument("--label-column", default="label_included")
    ap.add_argument("--json", type=Path, help="write all numbers (and orders) here")
    ap.add_argument(
        "--ta-labels",
        action="store_true",
        help=f"also run reviewflow on {TA_COLUMN} where a set has it (reported apart)",
    )
    ap.add_argument("--orders", action="store_true", help="keep reviewflow's orders in --json")
    ap.add_argument("--timing-records", type=int, default=50_000, help="0 skips the timing")
    ap.add_argument("--timing-repeats", type=int, default=5)
    ap.add_argument(
        "--max-train",
        type=int,
        help=f"override the ranker's training cap (default {ranker_model.MAX_TRAIN}); "
        "a low cap shows how much the exclude subsample costs in WSS",
    )
    args = ap.parse_args(argv)
    if args.max_train:
        ranker_model.MAX_TRAIN = args.max_train
    if not args.data.is_dir():
        ap.error(f"--data {args.data} is not a directory (expected ../shared/data/screening)")
    names = args.sets or sorted(p.name for p in args.data.iterdir() if p.is_dir())
    exe = None
    if not args.no_peer:
        exe = find_asreview(args.asreview_bin)
        if exe is None:
            log(
                "ASReview not found (give --asreview-bin, or `pip install asreview` in a venv); "
                "running reviewflow only"
            )
    started = time.perf_counter()
    results = []
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        with tempfile.TemporaryDirectory(prefix="ranking_bench_") as tmp:
            # ASReview's runs are queued up front on one worker thread (each is a child
            # process), so they go on while reviewflow replays the sets they have finished.
            jobs: dict[str, dict] = {}
            if exe is not None and not args.sequential:
                for name in names:
                    if not args.peer_sets or name in args.peer_sets:
                        jobs[name] = {
                            seed: pool.submit(peer_run, exe, args.data / name, seed, Path(tmp))
                            for seed in SEEDS[: args.seeds]
                        }
            for name in names:
                log(f"{name} ...")
                peer_jobs = jobs.get(name)
                results.append(
                    bench_set(name, args.data / name, args, exe, Path(tmp), peer_jobs=peer_jobs)
                )
            ta_results = []
            for name in names if args.ta_labels else []:
                cols = pd.read_csv(args.data / name / "records.csv.gz", nrows=1).columns
                if TA_COLUMN in cols and args.label_column != TA_COLUMN:
                    log(f"{name} with title/abstract labels ...")
                    ta = bench_set(name, args.data / name, args, None, Path(tmp), TA_COLUMN)
                    ta_results.append(ta)
    finally:
        # after an error, do not sit through the ASReview runs still queued
        pool.shutdown(wait=True, cancel_futures=True)
    sim_wall = time.perf_counter() - started
    tim = {"records": 0, "features_s": 0.0, "retrain_rank_s": {}}
    if args.timing_records > 0:
        log("timing one retrain + re-rank ...")
        tim = timing(args.data, names, args.timing_records, args.timing_repeats)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    lines = ["", "Per set, mean over seeds (peer = ASReview elas_u4, same priors):"]
    lines += set_table(results)
    if ta_results:
        lines += ["", f"reviewflow on title/abstract labels ({TA_COLUMN}), no peer run:"]
        lines += set_table(ta_results)
    mlines, mout = means_table(results)
    lines += ["", *mlines, ""]
    slines, sout = stopping_table(results)
    lines += slines
    lines += [
        "",
        f"retrain + re-rank on {tim['records']} records (features built once in "
        f"{tim['features_s']:.1f} s), median of {args.timing_repeats}: "
        + ", ".join(f"{k} labelled {v:.3f} s" for k, v in tim["retrain_rank_s"].items()),
        f"peak memory: reviewflow process {peak_self:.0f} MB, largest ASReview child "
        f"{peak_child:.0f} MB; simulations took {sim_wall:.0f} s",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "sets": results,
                    "means": mout,
                    "stopping": sout,
                    "timing": tim,
                    "peak_mb": {"reviewflow": peak_self, "asreview_child": peak_child},
                },
                indent=1,
                default=float,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
