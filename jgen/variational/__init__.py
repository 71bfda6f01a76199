r"""Variational objectives: bounds, VAE objectives by name, inference.

* bounds (:func:`elbo`, :func:`iwae`, :func:`importance_log_likelihood`)
  take the model as callables ``encode(x) -> (mean, log_scale)`` and
  ``decoder_log_prob(z, x)``, so any encoder/decoder plugs in;
* :data:`OBJECTIVES` and :func:`make_loss`: VAE objectives (``vae``,
  ``beta_vae``, ``iwae``, ``cvae``, ``mog_vae``) in the contract
  ``loss(params, key, batch, *, hparams) -> (loss, aux)`` for a
  :class:`jgen.nets.VAE`; :func:`evaluate` for test-set bounds;
* the semi-supervised M2 bounds of Kingma et al. (2014):
  :func:`labelled_bound` (eq. 6), :func:`unlabelled_bound` (eq. 7, the sum
  over classes enumerated), :func:`make_m2_loss` (eq. 8-9),
  :func:`m2_log_likelihood`;
* per-datapoint inference (:func:`local_elbo_ascent`,
  :func:`amortization_gap`, :func:`vb_step`).
"""

from jgen.variational._bounds import chunked_log_mean_exp
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
from jgen.variational._semi_supervised import check_alpha
from jgen.variational._semi_supervised import labelled_bound
from jgen.variational._semi_supervised import m2_fns
from jgen.variational._semi_supervised import m2_log_likelihood
from jgen.variational._semi_supervised import make_m2_loss
from jgen.variational._semi_supervised import unlabelled_bound

__all__ = [
    "OBJECTIVES", "Objective", "amortization_gap", "bound_fns",
    "check_alpha", "chunked_log_mean_exp", "elbo", "evaluate",
    "importance_log_likelihood", "iwae", "labelled_bound", "local_elbo_ascent",
    "log_importance_weights", "m2_fns", "m2_log_likelihood",
    "make_loss", "make_m2_loss", "mixture_prior_terms", "reparameterize",
    "standard_normal_log_prob", "unlabelled_bound", "vb_step",
]
