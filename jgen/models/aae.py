r"""Adversarial autoencoders assembled: the AAE and the semi-supervised AAE.

:func:`make` builds the adversarial autoencoder of Makhzani et al. (2015)
(:func:`jgen.adversarial.aae`; a Gaussian or 10-component mixture prior) or,
as ``model="ss_aae"``, its semi-supervised version
(:func:`jgen.adversarial.semi_supervised_aae`): MLP encoder and decoder
(Bernoulli pixels), MLP critics on the codes, Adam for both players, and the
:func:`jgen.minimax.make_step` step, so :func:`jgen.train.train` trains it
like any GAN (player ``u`` the autoencoder ``{"encoder", "decoder"}``,
player ``v`` the critic). Makhzani et al. use two hidden layers of 1,000
units for every network on MNIST (Appendix A).

The semi-supervised AAE trains on the batches of :func:`jgen.models.ssvae.batches`
(``{"x_l", "y_l", "x_u"}``; the labelled subset is draw ``d`` of
``label_seed``, :func:`jgen.data.labelled_subset`) and predicts ``argmax
q(y | x)`` (:func:`class_logits`).
"""

from __future__ import annotations

import dataclasses
import os
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import adversarial
from jgen import likelihoods
from jgen import metrics
from jgen import minimax
from jgen import nets
from jgen import plotting
from jgen import train
from jgen.models import _base
from jgen.models import ssvae

MODELS = ("aae", "ss_aae")
_APPLIES = {"prior": ("aae",), "n_classes": ("ss_aae",),
            "n_labels": ("ss_aae",), "label_seed": ("ss_aae",),
            "alpha": ("ss_aae",)}


@dataclasses.dataclass(frozen=True)
class AaeConfig(_base.TwoPlayerConfig):
  """An adversarial autoencoder, every field checked when the config is
  built (with the fields of :class:`jgen.models.TwoPlayerConfig`; the
  critic judges codes, so the penalty defaults to none).

  Attributes:
    model: ``"aae"`` or ``"ss_aae"`` (semi-supervised).
    data_dim: D, the size of a flat example in [0, 1].
    latent_dim: L, the code (the style code of the semi-supervised AAE).
    prior: ``aae``: a name of :data:`jgen.adversarial.PRIORS` (the
      semi-supervised style prior is ``N(0, I)``).
    hidden: hidden widths of every network.
    n_classes: ``ss_aae``: C >= 2.
    n_labels: ``ss_aae``: labelled examples, a multiple of C.
    label_seed: ``ss_aae``: the seed of the labelled subsets.
    alpha: ``ss_aae``: weight of the labelled cross-entropy against the
      per-image reconstruction, in nats (traced).

  Raises:
    ValueError: naming the field: bad sizes, an unknown prior, loss,
      penalty or method, or an option of the other model.
  """
  penalty: str = "none"
  model: str = "aae"
  data_dim: int = 784
  latent_dim: int = 8
  prior: str = "gaussian"
  hidden: tuple[int, ...] = (1000, 1000)
  n_classes: int = 10
  n_labels: int = 100
  label_seed: int = 0
  alpha: float = 100.0

  def __post_init__(self):
    super().__post_init__()
    _checks.choice(self.model, "model", MODELS)
    _base.refuse_inapplicable(self, self.model, _APPLIES)
    _checks.integer(self.data_dim, "data_dim", low=1)
    _checks.integer(self.latent_dim, "latent_dim", low=1)
    _checks.choice(self.prior, "prior", adversarial.PRIORS)
    object.__setattr__(self, "hidden", _base.check_widths(self.hidden))
    _base.check_labelled_draws(self)
    _checks.real(self.alpha, "alpha", low=0.0, high=1e30)


class Parts(NamedTuple):
  """The AAE's own pieces (:attr:`jgen.models.Model.parts`).

  Attributes:
    encoder: ``x -> z`` (or ``x -> [class logits | z]``), a
      :class:`jgen.nets.MLP`.
    decoder: ``z`` (or ``[y | z]``) -> Bernoulli logits, a
      :class:`jgen.nets.MLP`.
    critic: the critic on codes (:class:`jgen.nets.Critic`, or
      :class:`jgen.nets.SplitCritic` for the semi-supervised AAE).
    game: the :class:`jgen.adversarial.Game`.
    players: the players' :class:`jgen.minimax.Players`.
    encode: ``encode(u, x) -> z [B, L]`` (``(class_logits, z)`` when
      semi-supervised).
  """
  encoder: nn.Module
  decoder: nn.Module
  critic: nn.Module
  game: adversarial.Game
  players: minimax.Players
  encode: object


def make(config: AaeConfig) -> _base.Model:
  """Builds the :class:`jgen.models.Model` of an :class:`AaeConfig`.

  Args:
    config: the checked config.

  Returns:
    The model: hparams ``{"lr_u", "lr_v", "reg_weight"}`` plus ``"alpha"``
    when semi-supervised; ``train_data(dataset, draw=d)`` the flat images
    (and for ``ss_aae`` the labelled draw ``d`` of ``label_seed``, as
    ``{"x_l", "y_l", "x_u", "labelled"}``, the last the subset's indices
    into the training split); ``sample`` decodes prior draws (means of
    the Bernoulli pixels; classes ``i mod C`` when semi-supervised).

  Raises:
    TypeError: ``config`` is not an :class:`AaeConfig`.
  """
  _base.expect(config, AaeConfig)
  c = config
  data_dim, latent_dim, hidden = c.data_dim, c.latent_dim, c.hidden
  n_classes = c.n_classes if c.model == "ss_aae" else 0
  encoder = nets.MLP((*hidden, n_classes + latent_dim))
  decoder = nets.MLP((*hidden, data_dim))
  critic = (nets.SplitCritic(n_classes, latent_dim, hidden) if n_classes
            else nets.Critic(latent_dim, None, hidden))

  def encode(u, x):
    out = encoder.apply(u["encoder"], x)
    return (out[:, :n_classes], out[:, n_classes:]) if n_classes else out

  def decode_log_prob(u, z, x):
    return likelihoods.bernoulli_log_prob(
        x, logits=decoder.apply(u["decoder"], z))

  options = dict(loss=c.loss, penalty=c.penalty_or_none,
                 latent_dim=latent_dim)
  if n_classes:
    game = adversarial.semi_supervised_aae(encode, decode_log_prob,
                                           critic.apply, n_classes=n_classes,
                                           **options)
  else:
    game = adversarial.aae(encode, decode_log_prob, critic.apply,
                           prior=c.prior, **options)
  players = c.players()
  step = minimax.make_step(game, c.method, players)

  @jax.jit      # one compile, not one per initialiser op
  def init(key, data=None):
    del data                  # initialised without the data
    k_e, k_d, k_v = jax.random.split(jax.random.fold_in(key, 1), 3)
    code = jnp.zeros((1, n_classes + latent_dim))
    u = {"encoder": encoder.init(k_e, jnp.zeros((1, data_dim))),
         "decoder": decoder.init(k_d, code)}
    return minimax.init(u, critic.init(k_v, code), players, key=key)

  def sample(state, key, n):
    z = adversarial.sample_prior(key, n, latent_dim,
                                 "gaussian" if n_classes else c.prior)
    if n_classes:
      z = jnp.concatenate([jax.nn.one_hot(jnp.arange(n) % n_classes,
                                          n_classes), z], 1)
    return jax.nn.sigmoid(decoder.apply(state.u["decoder"], z))

  def train_data(dataset, *, draw=0):
    x = _base.pixels(dataset.x_train, data_dim, "dataset.x_train")
    return _base.labelled_split(c, x, dataset, draw) if n_classes else x

  parts = Parts(encoder, decoder, critic, game, players, encode)
  m = _base.Model(
      config, init, step,
      ssvae.batches(c.batch_size) if n_classes else
      train.minibatch(c.batch_size),
      c.two_player_hparams(**({"alpha": c.alpha} if n_classes else {})),
      train_data, sample, None, None, parts)
  return m._replace(evaluate=_evaluator(m), figures=_figures(m))


def class_logits(m: _base.Model, u, x) -> jax.Array:
  """The semi-supervised AAE's classifier ``q(y | x)`` (Makhzani et al.
  2015, Section 5): its class logits, for :func:`jgen.metrics.error_rate`.

  Args:
    m: a semi-supervised AAE (``model="ss_aae"``).
    u: the autoencoder's parameters (``state.u``).
    x: images, [N, D].

  Returns:
    Class logits, [N, C] (traceable).

  Raises:
    ValueError: ``m`` is not semi-supervised.
  """
  if m.config.model != "ss_aae":
    raise ValueError("class_logits needs a semi-supervised AAE "
                     "(model='ss_aae').")
  return m.parts.encode(u, x)[0]


def _evaluator(m: _base.Model):
  sample = jax.jit(m.sample, static_argnums=2)
  scorers = {}

  def evaluate(state, dataset, *, samples=None, key=None):
    """Sample quality (:class:`jgen.metrics.SampleQuality`) of 2,500
    decoded prior draws, and for ``ss_aae`` the test error of ``argmax
    q(y | x)`` (:func:`jgen.metrics.error_rate`).

    Args:
      state: the model's state; None with ``samples`` (then no test error).
      dataset: a :class:`jgen.data.Dataset`.
      samples: samples to score instead of fresh ones.
      key: PRNG key of the samples (default ``PRNGKey(10_000)``).

    Returns:
      The metrics.
    """
    out = _base.sample_quality(scorers, dataset, sample, state, samples,
                               key)
    if m.config.model == "ss_aae" and state is not None:
      out["test_error"] = float(metrics.error_rate(
          class_logits(m, state.u, _base.flat(dataset.x_test)),
          jnp.asarray(dataset.y_test)))
    return out
  return evaluate


def _figures(m: _base.Model):
  def figures(state, dataset, workdir):
    """``latent.png``: the first two code dimensions of the test images,
    coloured by class (the style code for ``ss_aae``)."""
    if np.min(dataset.y_test) < 0 or m.config.latent_dim < 2:
      return []
    z = m.parts.encode(state.u, _base.flat(dataset.x_test))
    z = np.asarray(z[1] if m.config.model == "ss_aae" else z)
    fig, axes = plotting.figure(1, 1, 4.5)
    ax = axes[0, 0]
    points = ax.scatter(z[:, 0], z[:, 1], c=dataset.y_test, cmap="tab10",
                        s=4)
    fig.colorbar(points, ax=ax, label="digit")
    ax.set_title("codes of the test images" + (
        " (style z)" if m.config.model == "ss_aae" else ""))
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    path = os.path.join(workdir, "latent.png")
    plotting.save(fig, path)
    return [path]
  return figures
