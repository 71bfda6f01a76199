"""Expectation-maximisation for latent-variable models.

Gaussian mixtures (soft, hard and semi-supervised EM; four covariance types;
restarts as one vmapped call), the Gaussian-mixture Bayes classifier,
probabilistic PCA, and model selection by BIC/AIC/cross-validation.
"""

from jgen.em.api import ConvergenceWarning
from jgen.em.api import fit_gmm
from jgen.em.api import predict_proba
from jgen.em.api import sample
from jgen.em.api import score_samples
from jgen.em.classifier import GMMClassifier
from jgen.em.classifier import fit_gmm_classifier
from jgen.em.gmm import EMConfig
from jgen.em.gmm import EMState
from jgen.em.gmm import FitResult
from jgen.em.mixture import GMMParams
from jgen.em.gmm import em_init
from jgen.em.gmm import em_update
from jgen.em.ppca import PPCAParams
from jgen.em.ppca import ppca_closed_form
from jgen.em.ppca import ppca_em
from jgen.em.ppca import ppca_log_prob
from jgen.em.selection import Selection
from jgen.em.selection import aic
from jgen.em.selection import bic
from jgen.em.selection import select_n_components

__all__ = [
    "ConvergenceWarning", "EMConfig", "EMState", "FitResult", "GMMClassifier",
    "GMMParams", "PPCAParams", "Selection", "aic", "bic", "em_init",
    "em_update", "fit_gmm", "fit_gmm_classifier", "ppca_closed_form",
    "ppca_em", "ppca_log_prob", "predict_proba", "sample", "score_samples",
    "select_n_components",
]
