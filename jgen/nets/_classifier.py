"""A small convolutional digit classifier (the network behind jgen's FID).

:class:`ConvClassifier` is a LeNet-style CNN (LeCun et al. 1998) on flat
28x28 images: three stride-2 3x3 convolutions (32, 64, 64 channels, ReLU), a
``features``-wide ReLU layer (the embedding of the Frechet distance and of
precision/recall; Heusel et al. 2017 use Inception's pool layer the same way)
and the class logits (the Inception-style score's ``p(y | x)``; Salimans et
al. 2016). ``launch/train_classifier.py`` trains the weights that
:func:`jgen.metrics.mnist_features` ships.
"""

from __future__ import annotations

import flax.linen as nn
import jax


class ConvClassifier(nn.Module):
  """Flat 28x28 images ``[B, 784]`` -> ``(features [B, F], logits [B, C])``.

  Attributes:
    n_classes: C.
    features: F, the width of the embedding layer.
  """
  n_classes: int = 10
  features: int = 64

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``x`` [B, 784] in [0, 1] -> ``(features, logits)``."""
    h = x.reshape(x.shape[0], 28, 28, 1)
    for c in (32, 64, 64):
      h = nn.relu(nn.Conv(c, (3, 3), strides=(2, 2))(h))
    f = nn.relu(nn.Dense(self.features)(h.reshape(x.shape[0], -1)))
    return f, nn.Dense(self.n_classes)(f)
