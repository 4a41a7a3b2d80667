"""The relevance ranker: one fixed configuration for every review.

An ensemble of two linear models on the project's tf-idf matrix, refitted on the labelled
records at every retrain and used to order the unlabelled ones:

- a linear SVM (squared hinge, C=0.11) with the includes up-weighted so that they carry
  as much total weight as ``POS_RATIO`` times the excludes (the balance ASReview's default
  model uses), and
- an L2 logistic regression with balanced class weights (C=1).

Each model's decision values are standardised over the records being ranked and averaged.
The two make different mistakes on the rare, oddly worded includes that decide WSS@95, and
averaging them ranks those earlier than either alone: on 10 of the benchmark sets × 2 seeds,
against ASReview's elas_u4 from the same priors, the SVM alone was level (−0.001 WSS@95), the
ensemble +0.016; adding complement NB, or a larger LR C, did not help.
Nothing is tuned per dataset; the constants below are the product's configuration.

Speed (a reviewer waits for every retrain): the fit costs grow faster than linearly with the
labelled records (2.5 s at 20,000 of 50,000), so once more than ``MAX_TRAIN`` records are
labelled the models are fitted on every include (while they fill at most half) plus a seeded
random sample of the excludes, a common move in active learning. The class weights are
relative to the class totals, so the sample keeps the include/exclude balance of the full
set. Mean WSS@95 on the 19 benchmark sets × 5 seeds: 0.619 with and without the cap of
3,000, which those sets seldom reach; forced down to 500 (``ranking_bench.py --max-train
500``) it is 0.618. On 50,000 records one retrain + re-rank now takes 0.07-0.2 s at any
number labelled (2.5 s with 20,000 labelled before).
Scoring multiplies the features by each model's coefficients in float32, without copying
the candidates' rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from reviewflow.errors import StateError

from .features import build_features

SVM_C = 0.11
POS_RATIO = 9.8
LR_C = 1.0
MAX_TRAIN = 3000
SUBSAMPLE_SEED = 0


def _svm_weights(y: np.ndarray) -> np.ndarray:
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    w = np.where(y == 1, 1.0, n_pos / (POS_RATIO * n_neg))
    return w * (len(y) / w.sum())


def training_sample(y: np.ndarray, cap: int | None = None) -> np.ndarray:
    """Positions of the labelled records to fit on: all of them up to ``cap``; beyond, every
    include (a sample if they alone pass half of ``cap``) and seeded random excludes."""
    cap = MAX_TRAIN if cap is None else cap
    if len(y) <= cap:
        return np.arange(len(y))
    rng = np.random.default_rng(SUBSAMPLE_SEED)
    pos, neg = np.nonzero(y == 1)[0], np.nonzero(y != 1)[0]
    n_pos = min(len(pos), max(cap // 2, cap - len(neg)))
    if n_pos < len(pos):
        pos = rng.choice(pos, n_pos, replace=False)
    neg = rng.choice(neg, min(len(neg), cap - len(pos)), replace=False)
    return np.sort(np.concatenate([pos, neg]))


def _standardise(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else v - v.mean()


class Ranker:
    """Orders records by predicted relevance; features are fixed, the models are refitted."""

    def __init__(self, features: sp.spmatrix) -> None:
        self.features = sp.csr_matrix(features)
        self._models: list = []

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Ranker:
        """Build the project's features once (see :func:`record_text`) and wrap them."""
        return cls(build_features(texts))

    @property
    def fitted(self) -> bool:
        return bool(self._models)

    def fit(self, indices: Sequence[int], labels: Sequence[int]) -> Ranker:
        """Refit on the labelled records ``indices`` (0/1 ``labels``, both classes needed)."""
        idx = np.asarray(indices, dtype=np.int64)
        y = np.asarray(labels, dtype=np.int64)
        if len(idx) != len(y):
            raise StateError("indices and labels differ in length")
        if y.min(initial=1) == y.max(initial=0) or len(y) == 0:
            raise StateError(
                "ranking needs at least one include and one exclude",
                hint="screen a few more records (or add prior includes/excludes) first",
            )
        keep = training_sample(y)
        idx, y = idx[keep], y[keep]
        x = self.features[idx]
        svm = LinearSVC(C=SVM_C, loss="squared_hinge", dual=True, max_iter=2000)
        svm.fit(x, y, sample_weight=_svm_weights(y))
        # dual liblinear: 10-30x faster than the primal when terms outnumber records
        lr = LogisticRegression(
            C=LR_C, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000
        )
        lr.fit(x, y)
        self._models = [svm, lr]
        # both models are linear: score with their coefficients in the features' dtype
        # (a float64 vector makes scipy upcast the whole matrix at every product)
        dtype = self.features.dtype
        self._coef = [m.coef_.ravel().astype(dtype) for m in self._models]
        self._intercept = [float(np.ravel(m.intercept_)[0]) for m in self._models]
        return self

    def scores(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Relevance score per record (higher = more likely an include), comparable within
        one call only."""
        if not self._models:
            raise StateError("the ranker is not fitted", hint="call fit() with decisions first")
        x = self.features
        pick = None
        if indices is not None:
            pick = np.asarray(indices, dtype=np.int64)
            if len(pick) * 4 <= x.shape[0]:  # few rows: copy them; many: score all, then pick
                x, pick = x[pick], None
        total = np.zeros(x.shape[0] if pick is None else len(pick))
        for coef, intercept in zip(self._coef, self._intercept, strict=True):
            values = (x @ coef).astype(np.float64) + intercept
            total += _standardise(values if pick is None else values[pick])
        return total / len(self._coef)

    def rank(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Record indices (of ``indices``, or of all records) best first; ties keep input order."""
        idx = np.arange(self.features.shape[0]) if indices is None else np.asarray(indices)
        s = self.scores(idx)
        return idx[np.argsort(-s, kind="stable")]
