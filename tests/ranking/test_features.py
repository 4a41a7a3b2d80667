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


def test_character_view_links_spelling_variants_the_word_view_keeps_apart():
    from reviewflow.ranking.features import build_char_features

    texts = ["paediatric tumours randomised", "pediatric tumors randomized", "soil erosion"] * 2
    words, chars = build_features(texts).toarray(), build_char_features(texts).toarray()
    assert words[0] @ words[1] < 0.05  # no word in common
    assert chars[0] @ chars[1] > 0.3
    assert chars[0] @ chars[2] < 0.05
    np.testing.assert_allclose(np.linalg.norm(chars, axis=1), 1.0, rtol=1e-5)


def test_character_view_is_scikit_learns_tfidf_of_hashed_char_ngrams(monkeypatch):
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    from reviewflow.ranking import features as F

    monkeypatch.setattr(F, "_CHUNK", 7)  # several chunks, and an empty record inside one
    texts = ["Paediatric tumours", "pediatric tumors", "soil erosion", "", "x", "tumours"] * 5
    got = F.build_char_features(texts)
    hv = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        n_features=F.CHAR_BUCKETS,
        alternate_sign=False,
        norm=None,
        strip_accents="unicode",
    )
    counts = hv.transform(texts).tocsr()
    df = np.bincount(counts.indices, minlength=F.CHAR_BUCKETS)
    cols = np.nonzero((df >= 2) & (df <= 0.95 * len(texts)))[0]
    expected = TfidfTransformer(sublinear_tf=True).fit_transform(counts[:, cols])
    np.testing.assert_allclose(got[:, cols].toarray(), expected.toarray(), atol=1e-6)
    assert got.nnz == expected.nnz  # nothing outside the kept columns
