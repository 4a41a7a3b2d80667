"""The fast feature build must give scikit-learn's TfidfVectorizer matrix (up to column order)."""

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from reviewflow.ranking import build_features, record_text

FIXTURE = Path(__file__).parents[1] / "data" / "ranking" / "screening_small.csv"


def reference(texts, min_df=2, max_df=0.95):
    vec = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        strip_accents="unicode",
        dtype=np.float32,
    )
    return vec.fit_transform([t if t.strip(" .") else "__empty__" for t in texts]).tocsr()


def assert_same_up_to_column_order(x, ref):
    assert x.shape == ref.shape
    assert x.nnz == ref.nnz
    # Equal Gram matrices and equal sorted values per row: same vectors, columns permuted.
    np.testing.assert_allclose((x @ x.T).toarray(), (ref @ ref.T).toarray(), atol=1e-5)
    for i in range(x.shape[0]):
        a = np.sort(x.data[x.indptr[i] : x.indptr[i + 1]])
        b = np.sort(ref.data[ref.indptr[i] : ref.indptr[i + 1]])
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.fixture(scope="module")
def texts():
    with FIXTURE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = [record_text(r["title"], r["abstract"]) for r in rows]
    # accents, case, underscores, digits, one-letter words and empty records
    out += [
        record_text("Café-based Ünterricht in São Paulo", "Naïve a b c x_y 2020 covid-19"),
        record_text("CAFE based unterricht", "naive x_y 2020 COVID-19 sao paulo"),
        record_text(None, None),
        record_text("", ""),
        record_text("a b", "c"),  # no word of two letters: a record without terms
    ]
    return out


def test_matrix_equals_scikit_learns_tfidf_vectorizer(texts):
    x = build_features(texts)
    assert x.dtype == np.float32
    assert_same_up_to_column_order(x, reference(texts))


def test_accented_and_plain_spellings_share_a_term():
    texts = [record_text("café résumé"), record_text("cafe resume"), record_text("other words")]
    x = build_features(texts)
    assert (x[0] @ x[1].T).toarray()[0, 0] == pytest.approx(1.0)
    assert (x[0] @ x[2].T).toarray()[0, 0] == 0


def test_tiny_project_where_every_term_is_unique_still_gets_features():
    texts = [record_text("alpha beta"), record_text("gamma delta")]
    x = build_features(texts)
    assert_same_up_to_column_order(x, reference(texts, min_df=1, max_df=1.0))
    np.testing.assert_allclose(np.sqrt(x.multiply(x).sum(axis=1)).A.ravel(), 1.0, rtol=1e-6)
