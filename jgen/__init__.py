"""jgen: a JAX library for generative and discriminative modelling.

Modules: :mod:`jgen.likelihoods` (per-example log-densities), :mod:`jgen.em`
(EM for latent-variable models), :mod:`jgen.classifiers` (generative and
discriminative classifiers), :mod:`jgen.hybrid` (their hybrids),
:mod:`jgen.evidence` (Bayesian model selection), :mod:`jgen.minimax`
(two-player optimisers), :mod:`jgen.games` (bilinear game, GANs, Dirac-GAN),
:mod:`jgen.dynamics` (vector fields, spectra, trajectories), :mod:`jgen.nets`
(Flax modules), :mod:`jgen.train` (training runs), :mod:`jgen.sweep` (vmapped,
sharded sweeps), :mod:`jgen.data` (embedded datasets), :mod:`jgen.plotting`
(figures).
"""

from jgen import classifiers
from jgen import data
from jgen import dynamics
from jgen import em
from jgen import evidence
from jgen import games
from jgen import hybrid
from jgen import likelihoods
from jgen import minimax
from jgen import nets
from jgen import sweep
from jgen import train

__version__ = "0.1.0"

__all__ = ["classifiers", "data", "dynamics", "em", "evidence", "games",
           "hybrid", "likelihoods", "minimax", "nets", "sweep", "train"]
