"""jgen: a JAX library for generative and discriminative modelling.

Layers (imports point downwards only):

* math: :mod:`jgen.likelihoods` (per-example log-densities),
  :mod:`jgen.divergences` (KL);
* objectives: :mod:`jgen.em` (EM for latent-variable models),
  :mod:`jgen.classifiers` (generative and discriminative classifiers),
  :mod:`jgen.hybrid` (their hybrids), :mod:`jgen.evidence` (Bayesian model
  selection), :mod:`jgen.variational` (ELBO, IWAE, VAE objectives,
  per-datapoint inference), :mod:`jgen.adversarial` (GAN losses, critic
  penalties, two-player games);
* networks: :mod:`jgen.nets` (Flax modules);
* optimisation: :mod:`jgen.train` (the step contract and the training loop,
  data-parallel over a mesh), :mod:`jgen.minimax` (two-player steps);
* parallel: :mod:`jgen.sweep` (vmapped, sharded sweeps);
* probes: :mod:`jgen.games` (bilinear game, Dirac-GAN), :mod:`jgen.dynamics`
  (vector fields, spectra, trajectories);
* data and evaluation: :mod:`jgen.data` (embedded datasets, binarisation),
  :mod:`jgen.metrics`, :mod:`jgen.plotting` (figures);
* assembled models (import them by name): :mod:`jgen.models` (every
  family behind one interface, built from validated configs by
  ``models.get(name)``, the semi-supervised VAEs M1, M2 and M1+M2 among
  them) and :mod:`jgen.models.experiment` (a run of one on a dataset).
"""

from jgen import adversarial
from jgen import classifiers
from jgen import data
from jgen import divergences
from jgen import dynamics
from jgen import em
from jgen import evidence
from jgen import games
from jgen import hybrid
from jgen import likelihoods
from jgen import metrics
from jgen import minimax
from jgen import nets
from jgen import plotting
from jgen import sweep
from jgen import train
from jgen import variational

__version__ = "0.1.0"

__all__ = ["adversarial", "classifiers", "data", "divergences", "dynamics",
           "em", "evidence", "games", "hybrid", "likelihoods", "metrics",
           "minimax", "nets", "plotting", "sweep", "train", "variational"]
