"""A prepared result crosses from a cluster worker by its constructor and comes back equal."""

from __future__ import annotations

import pickle

from data.repos.recommendation_values import PreparedRecommendation, prepare
from tests.data.test_recommendation_repo import make_rec


def test_a_prepared_proposal_comes_back_equal_with_its_columns() -> None:
    prepared = prepare(make_rec(7))

    back = pickle.loads(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))

    assert back == prepared
    assert repr(back) == repr(prepared)  # the columns' order and types too (Decimal, None)


def test_a_prepared_result_pickles_through_its_constructor_not_setstate() -> None:
    prepared = prepare(make_rec(7, replicas=3))

    reduced = prepared.__reduce__()

    assert isinstance(reduced, tuple)
    cls, args = reduced
    assert cls is PreparedRecommendation
    assert cls(*args) == prepared
