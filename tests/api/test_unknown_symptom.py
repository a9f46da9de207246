"""A symptom the rules do not define is `api.UnknownSymptom`, an `UnknownChoice`: the class the
API raises is one a caller can name from `syncdoctor.api`, as docs/api.md lists it."""
from __future__ import annotations

import pytest

import syncdoctor.api as api
from tests.conftest import EXAMPLE


def test_an_unknown_symptom_is_a_public_unknown_choice():
    assert "UnknownSymptom" in api.__all__ and issubclass(api.UnknownSymptom, api.UnknownChoice)
    with pytest.raises(api.UnknownSymptom, match="did you mean 'not-syncing'"):
        api.diagnose(EXAMPLE, "asmith@acme.example", symptom="not-synching")
