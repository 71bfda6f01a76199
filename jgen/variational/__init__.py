r"""Variational objectives: bounds, VAE objectives by name, inference.

* bounds (:func:`elbo`, :func:`iwae`, :func:`importance_log_likelihood`)
  take the model as callables ``encode(x) -> (mean, log_scale)`` and
  ``decoder_log_prob(z, x)``, so any encoder/decoder plugs in;
* :data:`OBJECTIVES` and :func:`make_loss`: VAE objectives (``vae``,
  ``beta_vae``, ``iwae``, ``cvae``, ``mog_vae``) in the contract
  ``loss(params, key, batch, *, hparams) -> (loss, aux)`` for a
  :class:`jgen.nets.VAE`; :func:`evaluate` for test-set bounds;
* per-datapoint inference (:func:`local_elbo_ascent`,
  :func:`amortization_gap`, :func:`vb_step`).
"""

from jgen.variational._bounds import elbo
from jgen.variational._bounds import importance_log_likelihood
from jgen.variational._bounds import iwae
from jgen.variational._bounds import log_importance_weights
from jgen.variational._bounds import reparameterize
from jgen.variational._bounds import standard_normal_log_prob
from jgen.variational._inference import amortization_gap
from jgen.variational._inference import local_elbo_ascent
from jgen.variational._inference import vb_step
from jgen.variational._objectives import bound_fns
from jgen.variational._objectives import evaluate
from jgen.variational._objectives import make_loss
from jgen.variational._objectives import mixture_prior_terms
from jgen.variational._objectives import Objective
from jgen.variational._objectives import OBJECTIVES

__all__ = [
    "OBJECTIVES", "Objective", "amortization_gap", "bound_fns", "elbo",
    "evaluate", "importance_log_likelihood", "iwae", "local_elbo_ascent",
    "log_importance_weights", "make_loss", "mixture_prior_terms",
    "reparameterize", "standard_normal_log_prob", "vb_step",
]
