"""Flax (linen) networks.

:class:`MLP`, :class:`HyperNetwork` (``G(lambda) -> parameters``),
:class:`MixtureOfExperts`; the VAE's :class:`GaussianEncoder`,
:class:`Decoder` and :class:`VAE` (MLP or convolutional, 28x28 or 8x8).
"""

from jgen.nets._mlp import HyperNetwork
from jgen.nets._mlp import MixtureOfExperts
from jgen.nets._mlp import MLP
from jgen.nets._vae import Decoder
from jgen.nets._vae import GaussianEncoder
from jgen.nets._vae import IMAGE_SHAPES
from jgen.nets._vae import LIKELIHOODS
from jgen.nets._vae import VAE

__all__ = ["Decoder", "GaussianEncoder", "HyperNetwork", "IMAGE_SHAPES",
           "LIKELIHOODS", "MLP", "MixtureOfExperts", "VAE"]
