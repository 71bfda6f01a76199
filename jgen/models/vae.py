r"""The VAE family assembled: VAE, beta-VAE, IWAE, CVAE and the
mixture-prior VAE from one config.

:func:`make` builds a :class:`jgen.nets.VAE` (MLPs, or conv networks for
28x28 and 8x8 images), the objective of :data:`jgen.variational.OBJECTIVES`
named by ``model`` (Kingma & Welling 2014; Higgins et al. 2017; Burda et
al. 2016; Sohn et al. 2015; the Gaussian-mixture prior of Dilokthanakul et
al. 2016), Adam and the one-player step of :func:`jgen.train.gradient_step`,
with its evaluation (test ELBO and importance-sampled ``log p(x)``) and
figures (samples, reconstructions, the latent manifold of Kingma & Welling
2014, Fig. 4).
"""

from __future__ import annotations

import dataclasses
import os
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy.stats import norm

from jgen import _checks
from jgen import data
from jgen import metrics
from jgen import nets
from jgen import plotting
from jgen import train
from jgen import variational
from jgen.models import _base

MODELS = tuple(variational.OBJECTIVES)
_APPLIES = {"n_classes": ("cvae",), "n_clusters": ("mog_vae",),
            "amortization_gap": ("vae", "beta_vae", "iwae"),
            "beta": tuple(m for m, o in variational.OBJECTIVES.items()
                          if o.uses_beta)}


@dataclasses.dataclass(frozen=True)
class VaeConfig:
  """A model of the VAE family, every field checked when built.

  Attributes:
    model: a name of :data:`jgen.variational.OBJECTIVES` (``vae``,
      ``beta_vae``, ``iwae``, ``cvae``, ``mog_vae``).
    data_dim: D, the size of a flat example.
    image_shape: ``(H, W)`` of :data:`jgen.nets.IMAGE_SHAPES` holding
      ``data_dim`` pixels for conv networks, or None for MLPs.
    latent_dim: L.
    hidden: hidden widths of the encoder and decoder MLPs.
    likelihood: the decoder's, ``"bernoulli"`` or ``"gaussian"``.
    binarize: binarise the pixels dynamically for the Bernoulli decoder
      (data in [0, 1]; Burda et al. 2016, Section 5); the test images are
      binarised once with a fixed key.
    shift: translate each training image by its own random integer shift
      of up to ``shift`` pixels in each direction, drawn afresh every step
      (zero-filled; :func:`jgen.data.random_shift`, Simard et al. 2003's
      augmentation); 0 for none. Images of :data:`jgen.nets.IMAGE_SHAPES`
      only.
    num_samples: samples of ``z`` per example (K of the IWAE bound).
    beta: the KL weight of ``vae``/``beta_vae`` (traced).
    n_classes: ``cvae``: C.
    n_clusters: ``mog_vae``: the prior's components.
    learning_rate: Adam's step size.
    batch_size: examples per step.
    eval_samples: K of the importance-sampled ``log p(x)`` at evaluation.
    amortization_gap: ``vae``/``beta_vae``/``iwae``: test images (at an
      even stride) on which :attr:`Model.evaluate` measures the
      amortisation gap (Cremer et al. 2018; 0: not measured).

  Raises:
    ValueError: naming the field: an unknown model, a bad size or rate, an
      image shape that does not fit, or an option of another model.
    TypeError: a field of the wrong type.
  """
  model: str = "vae"
  data_dim: int = 784
  image_shape: tuple[int, int] | None = None
  latent_dim: int = 20
  hidden: tuple[int, ...] = (400,)
  likelihood: str = "bernoulli"
  binarize: bool = True
  shift: int = 0
  num_samples: int = 1
  beta: float = 1.0
  n_classes: int = 10
  n_clusters: int = 10
  learning_rate: float = 1e-3
  batch_size: int = 128
  eval_samples: int = 1000
  amortization_gap: int = 0

  def __post_init__(self):
    _checks.choice(self.model, "model", MODELS)
    _base.refuse_inapplicable(self, self.model, _APPLIES)
    _checks.integer(self.data_dim, "data_dim", low=1)
    object.__setattr__(self, "image_shape", _base.check_image_shape(
        self.image_shape, self.data_dim))
    object.__setattr__(self, "hidden", _base.check_widths(self.hidden))
    _checks.choice(self.likelihood, "likelihood", ("bernoulli", "gaussian"))
    _checks.boolean(self.binarize, "binarize")
    if self.binarize and self.likelihood != "bernoulli":
      raise ValueError("binarize: binarised pixels need likelihood="
                       f"'bernoulli', got {self.likelihood!r}.")
    _base.check_shift(self.shift, self.data_dim)
    for name in ("latent_dim", "num_samples", "batch_size", "eval_samples"):
      _checks.integer(getattr(self, name), name, low=1)
    _checks.integer(self.amortization_gap, "amortization_gap", low=0)
    _checks.integer(self.n_classes, "n_classes", low=2)
    _checks.integer(self.n_clusters, "n_clusters", low=2)
    _checks.real(self.beta, "beta", low=0.0, high=1e30)
    _checks.real(self.learning_rate, "learning_rate", low=1e-30, high=1e30)


class Parts(NamedTuple):
  """The VAE's own pieces: the :class:`jgen.nets.VAE`, its objective
  ``loss(params, key, batch, *, hparams)`` and the optax optimiser."""
  net: nets.VAE
  loss: object
  optimizer: optax.GradientTransformation


def make(config: VaeConfig) -> _base.Model:
  """Builds the :class:`jgen.models.Model` of a :class:`VaeConfig`.

  Args:
    config: the checked config.

  Returns:
    The model: its state a :class:`jgen.train.TrainState`; hparams
    ``{"beta"}`` for the objectives that weight the KL term, else ``{}``;
    ``train_data(dataset)`` gives ``{"x", "y"}``; ``sample`` decodes prior
    draws (pixel means; classes ``i mod C`` for the CVAE).

  Raises:
    TypeError: ``config`` is not a :class:`VaeConfig`.
  """
  _base.expect(config, VaeConfig)
  c = config
  conditional = c.model == "cvae"
  net = nets.VAE(latent_dim=c.latent_dim, output_dim=c.data_dim,
                 hidden=c.hidden, conv=c.image_shape,
                 n_classes=c.n_classes if conditional else 0,
                 n_clusters=c.n_clusters if c.model == "mog_vae" else 0,
                 likelihood=c.likelihood)
  loss = variational.make_loss(net, c.model, num_samples=c.num_samples,
                               binarize_data=c.binarize)
  opt = optax.adam(c.learning_rate)

  def init(key, data=None):
    del data                  # initialised without the data
    params = net.init(key, jnp.zeros((2, c.data_dim)),
                      jnp.zeros((2,), jnp.int32))
    return train.init_state(params, opt, key)

  def labels(n):
    return jnp.arange(n) % c.n_classes if conditional else None

  def sample(state, key, n):
    z = jax.random.normal(key, (n, c.latent_dim))
    return net.apply(state.params, z, labels(n), method=nets.VAE.decode_mean)

  def train_data(dataset, *, draw=0):
    del draw                                      # no labelled subsets
    x = (_base.pixels if c.likelihood == "bernoulli" else _base.flat)(
        dataset.x_train, c.data_dim, "dataset.x_train")
    if conditional and np.min(dataset.y_train) < 0:
      raise ValueError("dataset.y_train: the CVAE conditions on labels "
                       "0..C-1; the dataset has none.")
    return {"x": x,
            "y": jnp.asarray(np.clip(dataset.y_train, 0, None), jnp.int32)}

  def test_images(x, seed):
    x = np.asarray(_base.flat(x, c.data_dim, "dataset.x_test"))
    return (np.asarray(data.binarize(jax.random.PRNGKey(seed),
                                     jnp.asarray(x))) if c.binarize else x)

  @jax.jit       # compiled once per model, not per evaluation
  def amortization_gap(params, key, xb):
    fns = variational.bound_fns(net, params)
    return variational.amortization_gap(
        key, xb, fns["encode"], fns["decoder_log_prob"], num_steps=500,
        learning_rate=optax.exponential_decay(0.05, 250, 0.1),
        fit_samples=4, eval_samples=100)

  def evaluate(state, dataset, *, seed=0):
    """The test ELBO and importance-sampled ``log p(x)`` with K =
    ``eval_samples`` (:func:`jgen.variational.evaluate`, nats per example)
    on the dataset's test images, binarised once with ``PRNGKey(seed)``;
    the mixture-prior VAE adds ``cluster_accuracy``
    (:func:`jgen.metrics.cluster_accuracy` of ``argmax q(c | x)``), and
    ``amortization_gap > 0`` adds ``amortization_gap``: on that many test
    images, the encoder's ELBO (``amortized``), the ELBO of ``q_n`` fitted
    per image by 500 Adam steps from the encoder's output (``optimized``)
    and their difference (``gap``; Cremer et al. 2018, Eq. 4;
    :func:`jgen.variational.amortization_gap`)."""
    x_test = test_images(dataset.x_test, seed)
    y_test = np.clip(dataset.y_test, 0, None)
    r = variational.evaluate(net, state.params,
                             jax.random.fold_in(jax.random.PRNGKey(seed), 1),
                             x_test, y_test, num_samples=c.eval_samples)
    out = {"test_elbo": r["elbo"], "test_log_likelihood": r["log_likelihood"],
           "eval_samples": r["eval_samples"], "n": r["n"]}
    if c.model == "mog_vae" and np.min(dataset.y_test) >= 0:
      clusters = np.argmax(net.apply(state.params, jnp.asarray(x_test),
                                     method=nets.VAE.cluster_logits), 1)
      out["cluster_accuracy"] = metrics.cluster_accuracy(clusters,
                                                         dataset.y_test)
    if c.amortization_gap:
      keep = np.linspace(0, len(x_test) - 1, c.amortization_gap).astype(int)
      gap = amortization_gap(state.params,
                             jax.random.fold_in(jax.random.PRNGKey(seed), 3),
                             jnp.asarray(x_test[keep]))
      out["amortization_gap"] = {k: float(jnp.mean(v))
                                 for k, v in gap.items()}
      out["amortization_gap"]["n"] = len(keep)
    return out

  def figures(state, dataset, workdir, *, seed=0):
    """``samples.png``, ``reconstructions.png`` (test images and their
    decoded posterior means, in pairs) and, for a 2-D latent space,
    ``manifold.png`` (Kingma & Welling 2014, Fig. 4); none for points."""
    shape = c.image_shape or _base.image_shape(c.data_dim)
    if shape is None:
      return []
    params, key = state.params, jax.random.PRNGKey(seed)
    x_test = test_images(dataset.x_test, seed)
    y = (jnp.asarray(np.clip(dataset.y_test[:64], 0, None)) if conditional
         else None)
    z = jax.random.normal(key, (64, c.latent_dim))
    paths = [os.path.join(workdir, name) for name in
             ("samples.png", "reconstructions.png", "manifold.png")]
    fig, axes = plotting.figure(1, 1, 6)
    plotting.image_grid(axes[0, 0], net.apply(
        params, z, y, method=nets.VAE.decode_mean), shape, 8)
    plotting.save(fig, paths[0])
    y32 = y[:32] if y is not None else None
    mean, _ = net.apply(params, jnp.asarray(x_test[:32]), y32,
                        method=nets.VAE.encode)
    recon = net.apply(params, mean, y32, method=nets.VAE.decode_mean)
    fig, axes = plotting.figure(1, 1, 6)
    plotting.image_grid(axes[0, 0], np.stack(
        [x_test[:32], np.asarray(recon)], 1).reshape(64, -1), shape, 8)
    axes[0, 0].set_title("data (left) / reconstruction (right), in pairs")
    plotting.save(fig, paths[1])
    if c.latent_dim != 2 or conditional:
      return paths[:2]
    g = norm.ppf(np.linspace(0.05, 0.95, 15))
    zz = jnp.asarray(np.stack(np.meshgrid(g, g[::-1]), -1).reshape(-1, 2),
                     jnp.float32)
    fig, axes = plotting.figure(1, 1, 7)
    plotting.image_grid(axes[0, 0], net.apply(
        params, zz, method=nets.VAE.decode_mean), shape, 15)
    plotting.save(fig, paths[2])
    return paths

  uses_beta = variational.OBJECTIVES[c.model].uses_beta
  return _base.Model(
      config, init, train.gradient_step(loss, opt),
      _base.shifted(train.minibatch(c.batch_size), c.shift, ("x",)),
      _base.float32_hparams(beta=c.beta) if uses_beta else {}, train_data,
      sample, evaluate, figures, Parts(net, loss, opt))
