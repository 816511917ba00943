import numpy as np
import pytest
import torch


@pytest.fixture
def rng():
    """One seeded generator per test: failures reproduce."""
    return np.random.default_rng(20200101)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


# Property tests: random locally (to keep finding cases), derandomized under CI (reproducible).
try:
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, deadline=None)
    # The fuzzing lane (make test-all): many more examples per property (helpers.examples).
    settings.register_profile(
        "slow", max_examples=2000, deadline=None, derandomize=bool(os.environ.get("CI"))
    )
    if os.environ.get("HYPOTHESIS_PROFILE"):
        settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
    elif os.environ.get("CI"):
        settings.load_profile("ci")
except ImportError:  # hypothesis is a test dependency; without it the property tests fail to import
    pass
