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
