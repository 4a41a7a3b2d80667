"""Print the fuzz outcome table: ``python tests/fuzz/report.py [--by mutation] [--all]``.

Runs every importer over the committed corpus (tests/data/fuzz/) and the hostile inputs
built at test time, exactly as tests/fuzz/test_corpus.py does, and prints tried / clean
error / accepted with warnings / accepted clean / lost silently / unclear error / crash /
hang / over memory per format (or per mutation), then every file that is not fine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz_harness import GOOD, corpus_cases, run_cases, table
from generated import generated_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by", choices=("format", "mutation"), default="format")
    parser.add_argument("--no-generated", action="store_true", help="the committed corpus only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rf-fuzz-gen-") as tmp:
        cases = corpus_cases()
        if not args.no_generated:
            cases += generated_cases(Path(tmp))
        start = time.monotonic()
        outcomes = run_cases(cases)
        took = time.monotonic() - start
    print(table(outcomes.values(), by=args.by))
    print(f"\n{len(outcomes)} files in {took:.1f} s\n")
    for name, o in sorted(outcomes.items()):
        if o.kind not in GOOD:
            print(f"{o.kind:14} {o.case.mutation:22} {name}: {o.detail}")


if __name__ == "__main__":
    main()
