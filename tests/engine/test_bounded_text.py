"""A derived text longer than the limit (a role chain 80 deep, say) keeps its beginning and end
around " … ": never longer than the limit, and the ellipsis between single spaces wherever the
cut falls (a cut at a space once left "below  … Role 53")."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.engine.diagnosis import DERIVED_TEXT_LIMIT, bounded

words = st.lists(st.text(alphabet="abc ,", min_size=0, max_size=12), min_size=1, max_size=200).map(" ".join)


@given(words, st.integers(min_value=8, max_value=400))
def test_a_long_text_is_cut_around_one_ellipsis_between_single_spaces(text, limit):
    out = bounded(text, limit)
    if len(text) <= limit:
        assert out == text
        return
    assert len(out) <= limit
    head, sep, tail = out.partition(" … ")
    assert sep and text.startswith(head) and text.endswith(tail)
    assert not head.endswith((" ", "\t")) and not tail.startswith((" ", "\t"))


def test_a_cut_that_falls_on_a_space_leaves_one_space_before_the_ellipsis():
    """At the shipped limit the head keeps 298 characters: a space there was written twice."""
    half = (DERIVED_TEXT_LIMIT - len(" … ")) // 2
    text = "a" * (half - 1) + " " + "b" * DERIVED_TEXT_LIMIT
    out = bounded(text)
    assert len(out) <= DERIVED_TEXT_LIMIT and out.count(" … ") == 1 and "  " not in out
