r"""Image-to-image translation assembled: pix2pix and CycleGAN in one call.

:func:`make` builds pix2pix (Isola et al. 2017; :func:`jgen.adversarial.pix2pix`:
a :class:`jgen.nets.UNet` generator and a conditional
:class:`jgen.nets.PatchCritic`) or CycleGAN (Zhu et al. 2017;
:func:`jgen.adversarial.cyclegan`: two U-Nets and two PatchGAN critics),
Adam for both players and the :func:`jgen.minimax.make_step` step, so
:func:`jgen.train.train` trains them like any GAN. The data are a
:class:`jgen.data.Task`'s arrays ``{"a": [N_a, D], "b": [N_b, D]}``, drawn
by :func:`batches` (rows shared when paired, independent when not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jgen import _checks
from jgen import adversarial
from jgen import minimax
from jgen import nets

MODELS = ("pix2pix", "cyclegan")
# The traced weights each model reads from hparams, with the papers' values.
WEIGHTS = {"pix2pix": {"l1_weight": 100.0},
           "cyclegan": {"cycle_weight": 10.0, "identity_weight": 5.0}}


class Translation(NamedTuple):
  """A configured translation model.

  Attributes:
    model: ``"pix2pix"`` or ``"cyclegan"``.
    generator: the :class:`jgen.nets.UNet` (both directions share the
      architecture).
    critic: the :class:`jgen.nets.PatchCritic`.
    game: the :class:`jgen.adversarial.Game`.
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    players: the players' :class:`jgen.minimax.Players`.
    init: ``init(key) -> MinimaxState``.
    translate: ``translate(u, x, direction="ab") -> [B, D]`` clipped to
      [0, 1] (``"ba"`` only for CycleGAN).
  """
  model: str
  generator: nets.UNet
  critic: nets.PatchCritic
  game: adversarial.Game
  step: Callable
  players: minimax.Players
  init: Callable
  translate: Callable


def make(image_shape: tuple[int, int] = (28, 28), *, model: str = "pix2pix",
         width: int = 32, loss: str | None = None,
         penalty: str | None = None, identity: bool = True,
         method: str = "simultaneous",
         betas: tuple[float, float] = (0.5, 0.999)) -> Translation:
  """Builds a :class:`Translation` (all arguments checked here).

  Args:
    image_shape: ``(H, W)``, multiples of 4.
    model: a name of :data:`MODELS`.
    width: the networks' base channels.
    loss: a name of :data:`jgen.adversarial.LOSSES`; None for the paper's
      (``non_saturating`` for pix2pix, ``least_squares`` for CycleGAN).
    penalty: a name of :data:`jgen.adversarial.PENALTIES` or None.
    identity: CycleGAN's identity term (Zhu et al. 2017, Section 5.2).
    method: a name of :data:`jgen.minimax.METHODS`.
    betas: Adam's ``(b1, b2)`` (the papers' ``(0.5, 0.999)``).

  Returns:
    The :class:`Translation`; hparams are ``{"lr_u", "lr_v", "reg_weight"}``
    plus the model's :data:`WEIGHTS`.

  Raises:
    ValueError: an unknown model, loss, penalty or method, a bad shape or
      width.
  """
  _checks.choice(model, "model", MODELS)
  for i, b in enumerate(betas):
    _checks.real(b, f"betas[{i}]", low=0.0, high=0.999999)
  generator = nets.UNet(tuple(image_shape), width)
  pix = model == "pix2pix"
  critic = nets.PatchCritic(tuple(image_shape), width, conditional=pix)
  loss = loss or ("non_saturating" if pix else "least_squares")
  if pix:
    game = adversarial.pix2pix(generator.apply, critic.apply, loss=loss,
                               penalty=penalty)
  else:
    game = adversarial.cyclegan(
        lambda u, a: generator.apply(u["ab"], a),
        lambda u, b: generator.apply(u["ba"], b),
        lambda v, a: critic.apply(v["a"], a),
        lambda v, b: critic.apply(v["b"], b), loss=loss, penalty=penalty,
        identity=identity)
  adam = optax.scale_by_adam(*betas)
  players = minimax.Players(adam, adam)
  step = minimax.make_step(game, method, players)
  d = image_shape[0] * image_shape[1]

  @jax.jit      # one compile, not one per initialiser op
  def init(key):
    keys = jax.random.split(jax.random.fold_in(key, 1), 4)
    x = jnp.zeros((1, d))
    if pix:
      u, v = generator.init(keys[0], x), critic.init(keys[1], x, x)
    else:
      u = {"ab": generator.init(keys[0], x), "ba": generator.init(keys[1], x)}
      v = {"a": critic.init(keys[2], x), "b": critic.init(keys[3], x)}
    return minimax.init(u, v, players, key=key)

  def translate(u, x, direction="ab"):
    if direction not in ("ab", "ba") or (pix and direction == "ba"):
      raise ValueError(f"direction must be 'ab'{'' if pix else ' or ba'} for "
                       f"{model}, got {direction!r}.")
    return jnp.clip(generator.apply(u if pix else u[direction], x), 0.0, 1.0)

  return Translation(model, generator, critic, game, step, players, init,
                     translate)


def batches(batch_size: int, paired: bool) -> Callable:
  """``batch_fn`` for :func:`jgen.train.train` on ``{"a", "b"}`` arrays.

  Args:
    batch_size: examples of each domain per step (with replacement).
    paired: draw the same rows of ``a`` and ``b`` (pix2pix) or independent
      rows (CycleGAN).

  Returns:
    ``batch_fn(key, data) -> {"a": [batch_size, D], "b": [batch_size, D]}``.
  """
  _checks.integer(batch_size, "batch_size", low=1)

  def batch_fn(key, d):
    k_a, k_b = jax.random.split(key)
    i_a = jax.random.randint(k_a, (batch_size,), 0, d["a"].shape[0])
    i_b = i_a if paired else jax.random.randint(k_b, (batch_size,), 0,
                                                d["b"].shape[0])
    return {"a": d["a"][i_a], "b": d["b"][i_b]}
  return batch_fn
