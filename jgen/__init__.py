"""jgen: a JAX library for generative and discriminative modelling.

Modules: :mod:`jgen.likelihoods` (per-example log-densities), :mod:`jgen.em`
(EM for latent-variable models), :mod:`jgen.data` (embedded datasets),
:mod:`jgen.plotting` (figures).
"""

from jgen import data
from jgen import em
from jgen import likelihoods

__version__ = "0.1.0"

__all__ = ["data", "em", "likelihoods"]
