from functools import partial

import numpy as np

from models.zoo.naive import Naive
from tests.models.series import gold_frame

frame = partial(gold_frame, start="2020-01")


def test_naive_repeats_the_last_observed_month():
    m = Naive().fit(frame([100.0, 120.0, np.nan, 130.0, np.nan]))
    np.testing.assert_array_equal(m.point_forecast(3), [130.0, 130.0, 130.0])


def test_naive_paths_walk_by_observed_changes():
    m = Naive().fit(frame([100.0, 110.0, 105.0]))
    paths = m.sample_paths(4, 500, seed=1)
    steps = np.diff(np.c_[np.full(500, 105.0), paths], axis=1)
    # the observed changes +10 and -5, centred on zero: the naive model has no drift
    assert set(np.unique(steps)) <= {7.5, -7.5}


def test_naive_with_one_month_gives_flat_paths():
    m = Naive().fit(frame([42.0]))
    np.testing.assert_array_equal(m.sample_paths(3, 5, seed=0), np.full((5, 3), 42.0))
