"""Flax (linen) networks.

:class:`MLP`, :class:`HyperNetwork` (``G(lambda) -> parameters``),
:class:`MixtureOfExperts`; the VAE's :class:`GaussianEncoder`,
:class:`Decoder` and :class:`VAE` (MLP or convolutional, 28x28 or 8x8); the
GAN's :class:`Generator` and :class:`Critic` (MLP, or DCGAN-style for 28x28
and 8x8 images; spectral normalisation; class conditioning by projection or
concatenation; an auxiliary head) and the semi-supervised AAE's pair of
critics :class:`SplitCritic` (and :func:`stop_body_gradient`, a critic's
head trained alone; :func:`population_statistics`, batch norm's evaluation
mode); image-to-image translation's :class:`UNet`
generator and :class:`PatchCritic`; the
:class:`ConvClassifier` behind :func:`jgen.metrics.mnist_features`; the
semi-supervised :class:`M2` (Kingma et al. 2014).
"""

from jgen.nets._classifier import ConvClassifier
from jgen.nets._gan import BatchStatNorm
from jgen.nets._gan import CONDITIONING
from jgen.nets._gan import Critic
from jgen.nets._gan import CRITIC_NORMS
from jgen.nets._gan import Generator
from jgen.nets._gan import GENERATOR_NORMS
from jgen.nets._gan import population_statistics
from jgen.nets._gan import SplitCritic
from jgen.nets._gan import stop_body_gradient
from jgen.nets._mlp import HyperNetwork
from jgen.nets._mlp import MixtureOfExperts
from jgen.nets._mlp import MLP
from jgen.nets._ssvae import M2
from jgen.nets._translation import PatchCritic
from jgen.nets._translation import UNet
from jgen.nets._vae import Decoder
from jgen.nets._vae import GaussianEncoder
from jgen.nets._vae import IMAGE_SHAPES
from jgen.nets._vae import LIKELIHOODS
from jgen.nets._vae import VAE

__all__ = ["BatchStatNorm", "CONDITIONING", "ConvClassifier", "Critic", "CRITIC_NORMS", "Decoder",
           "GaussianEncoder", "Generator", "GENERATOR_NORMS", "HyperNetwork",
           "IMAGE_SHAPES",
           "LIKELIHOODS", "M2", "MLP", "MixtureOfExperts", "PatchCritic",
           "population_statistics",
           "SplitCritic", "stop_body_gradient", "UNet", "VAE"]
