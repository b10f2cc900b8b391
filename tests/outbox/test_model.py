"""What a submission may be: validated once, at the edge, with a message naming the field."""

from __future__ import annotations

import pytest

from companion.outbox import Submission, new_submission
from companion.outbox.model import MAX_ID, MAX_SEASONS


def test_a_tv_request_without_seasons_asks_for_all_and_seasons_are_sorted_once():
    assert new_submission("tv", 1396).seasons == "all"
    assert new_submission("tv", 1396, [3, 1, 3]).seasons == [1, 3]
    assert new_submission("movie", 603).seasons is None
    assert new_submission("movie", 603).seasons_json() is None
    assert new_submission("tv", 1396, [2, 1]).seasons_json() == "[1, 2]"
    assert new_submission("movie", 603, user_id=2, is4k=True) == new_submission("movie", 603, [], is4k=True, user_id=2)


@pytest.mark.parametrize("args,kwargs,field", [
    (("book", 1), {}, "media_type"),
    (("movie", 0), {}, "media_id"),
    (("movie", MAX_ID + 1), {}, "media_id"),
    (("movie", "603"), {}, "media_id"),
    (("movie", True), {}, "media_id"),
    (("movie", 603, [1]), {}, "seasons are only for tv"),
    (("tv", 1396, []), {}, "seasons must be"),
    (("tv", 1396, "some"), {}, "seasons must be"),
    (("tv", 1396, list(range(1, MAX_SEASONS + 2))), {}, "seasons must be"),
    (("tv", 1396, [0]), {}, "season numbers"),
    (("tv", 1396, [1.5]), {}, "season numbers"),
    (("movie", 603), {"user_id": 0}, "user_id"),
    (("movie", 603), {"user_id": None}, "user_id"),
    (("movie", 603), {"is4k": "yes"}, "is4k"),
])
def test_bad_input_is_refused_naming_the_field(args, kwargs, field):
    with pytest.raises(ValueError, match=field):
        new_submission(*args, **kwargs)


def test_a_submission_reads_as_what_it_asks_for():
    submission = Submission(7, "tv", 1396, [1, 2], True, 2, "queued", 100.0)
    assert submission.describe() == "#7 tv 1396 seasons 1,2 4K for user 2"
    assert Submission(1, "movie", 603, None, False, 1, "queued", 0.0).describe() == "#1 movie 603 for user 1"
    assert submission.age_s(160.5) == 60.5 and submission.age_s(50.0) == 0.0
    assert submission.to_dict()["mediaId"] == 1396 and submission.to_dict()["inDoubt"] is False
    assert submission.request == new_submission("tv", 1396, [1, 2], is4k=True, user_id=2)
