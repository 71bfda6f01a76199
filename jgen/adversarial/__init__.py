r"""Adversarial objectives: GAN losses, critic penalties, two-player games.

* :data:`LOSSES` -- per-example generator/critic loss pairs by name
  (``minimax``, ``non_saturating``, ``wasserstein``, ``hinge``,
  ``least_squares``); :func:`make_loss` binds their options (label
  smoothing, least-squares labels);
* :data:`PENALTIES` -- per-example critic penalties by name (``r1``, ``r2``,
  ``wgan_gp``); :func:`make_penalty` binds their options (``target``,
  ``one_sided``);
* :class:`Game`, :func:`zero_sum`, :func:`gan` -- two losses of ``(u, v, key,
  batch, hparams)`` that :mod:`jgen.minimax` turns into training steps;
  :func:`structured_game` -- the GAN game with a conditioned critic and
  :class:`Auxiliary` terms, behind :func:`conditional_gan` (CGAN),
  :func:`acgan` (AC-GAN) and :func:`infogan` (InfoGAN);
* the auxiliary terms: :func:`acgan_critic_loss`, :func:`acgan_generator_loss`
  and InfoGAN's :func:`mutual_information_penalty` with its codes
  (:func:`sample_codes`, :func:`code_vector`, :func:`q_size`,
  :func:`code_entropy`);
* adversarial autoencoders (Makhzani et al. 2015): :func:`aae` (a critic on
  codes against a prior of :data:`PRIORS`, :func:`sample_prior`) and
  :func:`semi_supervised_aae`; VAE-GAN (Larsen et al. 2016), :func:`vaegan`
  with :func:`feature_distance`;
* image-to-image translation: :func:`pix2pix` (with :func:`l1_distance`)
  and :func:`cyclegan` (with :func:`cycle_consistency_loss`);
* :func:`diff_augment` -- DiffAugment (Zhao et al. 2020): the same
  differentiable transformations of :data:`AUGMENTATIONS` for real and
  generated examples before the critic (the games' ``augment=``).
"""

from jgen.adversarial._augment import AUGMENTATIONS
from jgen.adversarial._augment import check_policy
from jgen.adversarial._augment import diff_augment
from jgen.adversarial._autoencoding import aae
from jgen.adversarial._autoencoding import feature_distance
from jgen.adversarial._autoencoding import mixture_means
from jgen.adversarial._autoencoding import PRIORS
from jgen.adversarial._autoencoding import sample_prior
from jgen.adversarial._autoencoding import semi_supervised_aae
from jgen.adversarial._autoencoding import vaegan
from jgen.adversarial._auxiliary import acgan_critic_loss
from jgen.adversarial._auxiliary import acgan_generator_loss
from jgen.adversarial._auxiliary import code_entropy
from jgen.adversarial._auxiliary import code_vector
from jgen.adversarial._auxiliary import mutual_information_penalty
from jgen.adversarial._auxiliary import q_size
from jgen.adversarial._auxiliary import sample_codes
from jgen.adversarial._conditional import acgan
from jgen.adversarial._conditional import conditional_gan
from jgen.adversarial._conditional import infogan
from jgen.adversarial._conditional import labelled_batch
from jgen.adversarial._game import Auxiliary
from jgen.adversarial._game import Game
from jgen.adversarial._game import gan
from jgen.adversarial._game import real_examples
from jgen.adversarial._game import resolve
from jgen.adversarial._game import structured_game
from jgen.adversarial._game import zero_sum
from jgen.adversarial._losses import GanLoss
from jgen.adversarial._losses import hinge_critic_loss
from jgen.adversarial._losses import least_squares_critic_loss
from jgen.adversarial._losses import least_squares_generator_loss
from jgen.adversarial._losses import LOSSES
from jgen.adversarial._losses import make_loss
from jgen.adversarial._losses import minimax_critic_loss
from jgen.adversarial._losses import minimax_generator_loss
from jgen.adversarial._losses import non_saturating_generator_loss
from jgen.adversarial._losses import wasserstein_critic_loss
from jgen.adversarial._losses import wasserstein_generator_loss
from jgen.adversarial._penalties import critic_gradient_norms
from jgen.adversarial._penalties import make_penalty
from jgen.adversarial._penalties import PENALTIES
from jgen.adversarial._penalties import r1
from jgen.adversarial._penalties import r2
from jgen.adversarial._penalties import wgan_gp
from jgen.adversarial._translation import cycle_consistency_loss
from jgen.adversarial._translation import cyclegan
from jgen.adversarial._translation import l1_distance
from jgen.adversarial._translation import pix2pix

__all__ = [
    "AUGMENTATIONS", "check_policy", "diff_augment",
    "Auxiliary", "PRIORS", "aae", "mixture_means", "sample_prior",
    "semi_supervised_aae", "feature_distance", "resolve", "vaegan",
    "cycle_consistency_loss", "cyclegan", "l1_distance", "pix2pix", "acgan",
    "acgan_critic_loss", "acgan_generator_loss",
    "code_entropy", "code_vector", "conditional_gan", "infogan",
    "labelled_batch", "mutual_information_penalty", "q_size", "sample_codes",
    "structured_game",
    "Game", "GanLoss", "LOSSES", "PENALTIES", "critic_gradient_norms", "gan",
    "hinge_critic_loss", "least_squares_critic_loss",
    "least_squares_generator_loss", "make_loss", "make_penalty",
    "minimax_critic_loss", "minimax_generator_loss",
    "non_saturating_generator_loss", "r1", "r2", "real_examples",
    "wasserstein_critic_loss", "wasserstein_generator_loss", "wgan_gp",
    "zero_sum",
]
