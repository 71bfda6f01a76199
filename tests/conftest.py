"""Test set-up: float64 available (references are float64), several CPU devices."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)


def pytest_collection_modifyitems(config, items):
  """The end-to-end tests of ``test_launch.py`` (scripts in fresh processes,
  the quick report's sections, the notebooks: the longest ones) run first,
  so pytest-xdist's workers fill the end of the run with short tests instead
  of idling behind one long test."""
  del config
  items.sort(key=lambda item: "test_launch.py" not in item.nodeid)
