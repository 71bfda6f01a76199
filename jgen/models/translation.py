r"""Image-to-image translation assembled: pix2pix and CycleGAN from one config.

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

import dataclasses
import os
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import adversarial
from jgen import metrics
from jgen import minimax
from jgen import nets
from jgen import plotting
from jgen.models import _base

MODELS = ("pix2pix", "cyclegan")
_APPLIES = {"l1_weight": ("pix2pix",), "cycle_weight": ("cyclegan",),
            "identity_weight": ("cyclegan",)}
# the papers' losses: Isola et al.'s GAN loss, Zhu et al.'s least squares
_PAPER_LOSS = {"pix2pix": "non_saturating", "cyclegan": "least_squares"}


@dataclasses.dataclass(frozen=True)
class TranslationConfig(_base.TwoPlayerConfig):
  """pix2pix or CycleGAN, every field checked when the config is built
  (with the fields of :class:`jgen.models.TwoPlayerConfig`; ``loss=""``
  takes the paper's loss and the penalty defaults to none).

  Attributes:
    model: ``"pix2pix"`` or ``"cyclegan"``.
    image_shape: ``(H, W)``, multiples of 4.
    width: the networks' base channels.
    l1_weight: pix2pix's lambda of the L1 term (Isola et al.: 100; traced).
    cycle_weight: CycleGAN's lambda of the cycle-consistency term (Zhu et
      al.: 10; traced).
    identity_weight: CycleGAN's weight of the identity term (Zhu et al.,
      Section 5.2: 0.5 lambda; 0 leaves it out; traced).

  Raises:
    ValueError: naming the field: an unknown model, loss, penalty or
      method, a bad shape or width, or an option of the other model.
  """
  loss: str = ""
  penalty: str = "none"
  model: str = "pix2pix"
  image_shape: tuple[int, int] = (28, 28)
  width: int = 32
  l1_weight: float = 100.0
  cycle_weight: float = 10.0
  identity_weight: float = 5.0

  def __post_init__(self):
    _checks.choice(self.model, "model", MODELS)
    object.__setattr__(self, "loss", self.loss or _PAPER_LOSS[self.model])
    super().__post_init__()
    _base.refuse_inapplicable(self, self.model, _APPLIES)
    shape = _base.as_tuple(self.image_shape, "image_shape")
    if len(shape) != 2 or any(not isinstance(n, int) or n < 4 or n % 4
                              for n in shape):
      raise ValueError(f"image_shape must be (H, W), multiples of 4, got "
                       f"{self.image_shape!r}.")
    object.__setattr__(self, "image_shape", shape)
    _checks.integer(self.width, "width", low=1)
    for name in ("l1_weight", "cycle_weight", "identity_weight"):
      _checks.real(getattr(self, name), name, low=0.0, high=1e30)


class Parts(NamedTuple):
  """The translation model's own pieces.

  Attributes:
    generator: the :class:`jgen.nets.UNet` (both directions share the
      architecture).
    critic: the :class:`jgen.nets.PatchCritic`.
    game: the :class:`jgen.adversarial.Game`.
    players: the players' :class:`jgen.minimax.Players`.
    translate: ``translate(u, x, direction="ab") -> [B, D]`` clipped to
      [0, 1] (``"ba"`` only for CycleGAN).
  """
  generator: nets.UNet
  critic: nets.PatchCritic
  game: adversarial.Game
  players: minimax.Players
  translate: Callable


def make(config: TranslationConfig) -> _base.Model:
  """Builds the :class:`jgen.models.Model` of a :class:`TranslationConfig`.

  Args:
    config: the checked config.

  Returns:
    The model: hparams ``{"lr_u", "lr_v", "reg_weight"}`` plus the model's
    weights; its data is a :class:`jgen.data.Task` (``train_data(task)``
    gives ``{"a", "b"}``, ``evaluate(state, task)`` and ``figures(state,
    task, workdir)`` read its test split); ``sample(state, key, n)`` is
    None (a translation model maps inputs, it does not sample).

  Raises:
    TypeError: ``config`` is not a :class:`TranslationConfig`.
  """
  _base.expect(config, TranslationConfig)
  c = config
  model, image_shape = c.model, c.image_shape
  generator = nets.UNet(image_shape, c.width)
  pix = model == "pix2pix"
  critic = nets.PatchCritic(image_shape, c.width, conditional=pix)
  if pix:
    game = adversarial.pix2pix(generator.apply, critic.apply, loss=c.loss,
                               penalty=c.penalty_or_none)
  else:
    game = adversarial.cyclegan(
        lambda u, a: generator.apply(u["ab"], a),
        lambda u, b: generator.apply(u["ba"], b),
        lambda v, a: critic.apply(v["a"], a),
        lambda v, b: critic.apply(v["b"], b), loss=c.loss,
        penalty=c.penalty_or_none, identity=c.identity_weight > 0)
  players = c.players()
  step = minimax.make_step(game, c.method, players)
  d = image_shape[0] * image_shape[1]

  @jax.jit      # one compile, not one per initialiser op
  def init(key, data=None):
    del data                  # initialised without the data
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

  weights = ({"l1_weight": c.l1_weight} if pix else
             {"cycle_weight": c.cycle_weight,
              "identity_weight": c.identity_weight})
  parts = Parts(generator, critic, game, players, translate)
  m = _base.Model(
      config, init, step, batches(c.batch_size, pix),
      c.two_player_hparams(**weights),
      lambda task, *, draw=0: {"a": _base.flat(task.a.x_train, d,
                                               "task.a.x_train"),
                               "b": _base.flat(task.b.x_train, d,
                                               "task.b.x_train")},
      None, None, None, parts)
  return m._replace(evaluate=_evaluator(m), figures=_figures(m))


def _evaluator(m: _base.Model) -> Callable:
  translate = jax.jit(m.parts.translate, static_argnums=2)
  scorers = {}

  def evaluate(state, task):
    """The translation's metrics on the task's test split.

    Args:
      state: the model's state.
      task: a :class:`jgen.data.Task` whose domains are 28x28 digits.

    Returns:
      ``class_kept`` (:func:`jgen.metrics.class_kept` of A -> B against A's
      labels), :class:`jgen.metrics.SampleQuality` of the outputs against
      B's test images, and for pix2pix the test ``l1`` and ``psnr``
      (:func:`jgen.metrics.psnr`) against the paired targets, for CycleGAN
      ``cycle_l1`` (the mean L1 of A -> B -> A and B -> A -> B).
    """
    a_test, b_test = _base.flat(task.a.x_test), _base.flat(task.b.x_test)
    out_b = np.asarray(translate(state.u, a_test, "ab"))
    res = _base.sample_quality(scorers, task.b, None, state, out_b)
    res["class_kept"] = metrics.class_kept(out_b, task.a.y_test)
    if m.config.model == "pix2pix":
      res["l1"] = float(np.mean(np.abs(out_b - np.asarray(b_test))))
      res["psnr"] = float(np.mean(metrics.psnr(out_b, b_test)))
    else:
      back_a = np.asarray(translate(state.u, jnp.asarray(out_b), "ba"))
      out_a = np.asarray(translate(state.u, b_test, "ba"))
      back_b = np.asarray(translate(state.u, jnp.asarray(out_a), "ab"))
      res["cycle_l1"] = float(0.5 * (
          np.mean(np.abs(back_a - np.asarray(a_test)))
          + np.mean(np.abs(back_b - np.asarray(b_test)))))
    return res
  return evaluate


def _figures(m: _base.Model) -> Callable:
  translate = m.parts.translate

  def figures(state, task, workdir):
    """``triples.png`` (pix2pix: input, output, target) or ``cycles.png``
    (CycleGAN: each direction and back), ten test images a row."""
    a_test, b_test = _base.flat(task.a.x_test[:10]), _base.flat(
        task.b.x_test[:10])
    rows = [("input A", a_test)]
    out_b = translate(state.u, a_test, "ab")
    rows.append(("output A -> B", out_b))
    if m.config.model == "pix2pix":
      rows.append(("target B", b_test))
    else:
      rows.append(("back B -> A", translate(state.u, out_b, "ba")))
      out_a = translate(state.u, b_test, "ba")
      rows += [("input B", b_test), ("output B -> A", out_a),
               ("back A -> B", translate(state.u, out_a, "ab"))]
    fig, axes = plotting.figure(1, 1, 6)
    plotting.image_grid(axes[0, 0], np.concatenate(
        [np.asarray(r) for _, r in rows]), m.config.image_shape, 10)
    axes[0, 0].set_title("rows: " + "; ".join(name for name, _ in rows),
                         fontsize=8)
    path = os.path.join(workdir, "triples.png" if m.config.model ==
                        "pix2pix" else "cycles.png")
    plotting.save(fig, path)
    return [path]
  return figures


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
