"""Test set-up: float64 available (references are float64), several CPU
devices, and one persistent XLA compilation cache for the whole session.

The launch tests start many processes (each launch script, each report
section's runs) that compile the same programs again: the shipped
classifier's features, initialisers, the same tiny models. JAX's persistent
cache (keyed by the program and the compiler, so a changed program is a
miss) lets the second process load what the first compiled; the children
inherit these variables.
"""

import os
import tempfile

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(
    tempfile.gettempdir(), "jgen-tests-xla-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import jax

jax.config.update("jax_enable_x64", True)

