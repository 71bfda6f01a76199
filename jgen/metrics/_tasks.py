"""Task metrics of the assembled models: classification error, the class a
classifier sees in generated or translated images, InfoGAN's code as a
classifier and the information its code carries about real images, and
PSNR."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen.metrics._classifier import mnist_features
from jgen.metrics._clustering import cluster_accuracy


def error_rate(logits, labels) -> jnp.ndarray:
  """The error rate of ``argmax logits`` against ``labels`` (traceable).

  Args:
    logits: class scores, [N, C] (log-probabilities, logits or
      probabilities alike).
    labels: true classes, ints, [N].

  Returns:
    ``mean(argmax(logits, -1) != labels)``, a scalar.

  Raises:
    ValueError: ``logits`` not 2-D, or ``labels`` not [N].
  """
  if np.ndim(logits) != 2 or np.shape(labels) != np.shape(logits)[:1]:
    raise ValueError(f"logits must be [N, C] and labels [N], got "
                     f"{np.shape(logits)} and {np.shape(labels)}.")
  return jnp.mean(jnp.argmax(logits, -1) != labels)


def _classifier_accuracy(images, labels, name: str) -> float:
  images = np.asarray(images)
  labels = np.asarray(labels)
  if labels.shape != images.shape[:1]:
    raise ValueError(f"{name} must give one class per image: "
                     f"{len(images)} images, labels of shape {labels.shape}.")
  _, probs = mnist_features(images)
  return float(np.mean(np.argmax(probs, 1) == labels))


def conditional_accuracy(samples, asked) -> float:
  """How often the shipped MNIST classifier sees the class a conditional
  generator was asked for (the class-fidelity measure of AC-GAN, Odena et
  al. 2017, Section 4.1, on :func:`jgen.metrics.mnist_features`).

  Args:
    samples: generated images in [0, 1], [N, 784] or [N, 64] (8x8 digits are
      upsampled, :func:`jgen.metrics.to_28x28`).
    asked: the class each sample was generated for, ints, [N].

  Returns:
    The fraction of samples classified as asked.

  Raises:
    ValueError: ``asked`` not one class per sample, or images the
      classifier does not take.
  """
  return _classifier_accuracy(samples, asked, "asked")


def class_kept(outputs, input_labels) -> float:
  """How often a translation keeps the class of its input: the shipped MNIST
  classifier's accuracy on translated images against the labels of the
  inputs (the "FCN score" idea of Isola et al. 2017, Section 4.2, and Zhu
  et al. 2017, Section 5.1.1, with a digit classifier).

  Args:
    outputs: translated images in [0, 1], [N, 784].
    input_labels: the class of each input image, ints, [N].

  Returns:
    The fraction of outputs classified as their input's class.

  Raises:
    ValueError: ``input_labels`` not one class per output, or images the
      classifier does not take.
  """
  return _classifier_accuracy(outputs, input_labels, "input_labels")


def code_accuracy(code_logits, labels) -> float:
  """InfoGAN's categorical code as a classifier: the arg-max code of each
  image matched one-to-one to classes so that most images agree (Chen et
  al. 2016, Section 7.1; the matching is :func:`cluster_accuracy`).

  Args:
    code_logits: Q's logits of the categorical code for each image, [N, K].
    labels: the images' classes, ints, [N].

  Returns:
    The accuracy after the best one-to-one matching.

  Raises:
    ValueError: ``code_logits`` not [N, K] with K >= 2, or ``labels`` not
      [N].
  """
  code_logits = np.asarray(code_logits)
  if code_logits.ndim != 2 or code_logits.shape[1] < 2:
    raise ValueError(f"code_logits must be [N, K] with K >= 2, got "
                     f"{code_logits.shape}.")
  return cluster_accuracy(np.argmax(code_logits, 1), labels)


def code_information(code_logits) -> dict:
  """How InfoGAN's categorical code reads real images, without labels: the
  mutual information between an image and Q's code on them, ``I = H(E_x
  q(c|x)) - E_x H(q(c|x))`` in nats (the entropy of the code's marginal
  less its mean conditional entropy; the quantity whose lower bound
  InfoGAN maximises on its samples, Chen et al. 2016, Eq. 4, here on
  data). ``I`` is at most ``log K``, reached when the codes are used
  equally and each image's is certain: an unsupervised criterion for
  choosing among runs.

  Args:
    code_logits: Q's logits of the categorical code for each image, [N, K].

  Returns:
    ``{"code_entropy": H(E_x q), "code_conditional_entropy": E_x H(q),
    "code_information": their difference}``, floats in nats.

  Raises:
    ValueError: ``code_logits`` not [N, K] with K >= 2.
  """
  code_logits = np.asarray(code_logits, np.float64)
  if code_logits.ndim != 2 or code_logits.shape[1] < 2:
    raise ValueError(f"code_logits must be [N, K] with K >= 2, got "
                     f"{code_logits.shape}.")
  log_q = code_logits - np.logaddexp.reduce(code_logits, axis=1,
                                            keepdims=True)
  q = np.exp(log_q)
  marginal = q.mean(0)
  h = -np.sum(marginal * np.log(np.maximum(marginal, 1e-300)))
  h_given = -np.mean(np.sum(q * log_q, axis=1))
  return {"code_entropy": float(h), "code_conditional_entropy":
          float(h_given), "code_information": float(h - h_given)}


def psnr(x, y, *, data_range: float = 1.0) -> np.ndarray:
  """Peak signal-to-noise ratio per image, ``10 log10(R^2 / MSE)`` dB (as
  scikit-image's ``peak_signal_noise_ratio``; the measure of pix2pix-style
  reconstructions, e.g. Isola et al. 2017).

  Args:
    x, y: images [N, D] of the same shape.
    data_range: R, the range of the pixel values, > 0.

  Returns:
    [N] float64 PSNRs (inf for identical images).

  Raises:
    ValueError: shapes that differ or are not [N, D]; ``data_range <= 0``.
  """
  _checks.real(data_range, "data_range", low=1e-12, high=1e30)
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  if x.shape != y.shape or x.ndim != 2:
    raise ValueError(f"x and y must be [N, D] of the same shape, got "
                     f"{x.shape} and {y.shape}.")
  mse = np.mean((x - y) ** 2, -1)
  with np.errstate(divide="ignore"):
    return 10 * np.log10(data_range ** 2 / mse)
