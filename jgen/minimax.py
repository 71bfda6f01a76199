r"""Optimisers of two-player games as training steps (Mescheder et al. 2017).

A game (:class:`jgen.adversarial.Game`) has players ``u`` (minimises
``loss_u``) and ``v`` (minimises ``loss_v``), losses of ``(u, v, key, batch,
hparams)``. Each method is a pure ``step(state, batch, hparams) -> (state,
metrics)`` built by :func:`make_step`, the same contract as
:func:`jgen.train.gradient_step`: the key lives in the state and step ``t``
uses ``fold_in(state.key, t)``, so :func:`jgen.train.train` (minibatches,
checkpoints, resume, NaN stop, ``metrics.jsonl``, data-parallel meshes),
:func:`jgen.train.make_run` and :func:`jgen.sweep.run` run two players
unchanged:

=============== ============================================================
simultaneous    both players step on the gradients at ``(u, v)`` (after
                ``n_v - 1`` steps of ``v`` alone when ``n_v > 1``)
alternating     ``n_v`` steps of ``v``, then one of ``u`` at the new ``v``
                (``order="v_first"``; ``"u_first"`` reverses it)
extragradient   a look-ahead step to ``(u', v')``, then the step from
                ``(u, v)`` with the gradients at ``(u', v')`` (Korpelevich
                1976)
optimistic      the step direction ``2 g_t - g_{t-1}`` (Daskalakis et al.
                2018; optimistic GDA)
consensus       gradients plus ``gamma * grad L`` with ``L = 1/2 ||g||^2``,
                the squared norm of the joint gradient field (Mescheder et
                al. 2017, "The numerics of GANs", Algorithm 2)
=============== ============================================================

Each player has an optax transformation *without* its learning rate (e.g.
``optax.identity()`` for plain gradient steps, ``optax.scale_by_adam()``); the
step applies ``-lr_u`` / ``-lr_v`` from ``hparams``, so learning rates (two
time-scales when they differ) and ``gamma`` are traced and a grid of them
vmaps. All ``n_v`` critic steps (``n_critic`` of WGAN, Arjovsky et al. 2017,
Algorithm 1) see the same batch with fresh keys (new latents).

Optimiser-side options: a player's projection applied after each of its
steps (weight clipping, :func:`clip_weights`; Arjovsky et al. 2017,
Algorithm 1) and a learning-rate factor of the step counter
(:func:`linear_decay`) live in :class:`Players`; an exponential moving average of
``u`` (the generator; Yazici et al. 2019, "The unusual effectiveness of
averaging in GAN training") is kept in ``state.ema_u`` when the state is made
with ``init(..., ema=True)`` and the step with ``make_step(..., ema_decay=)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from jgen import _checks
from jgen import train
from jgen.adversarial import Game

METHODS = ("simultaneous", "alternating", "extragradient", "optimistic",
           "consensus")
ORDERS = ("v_first", "u_first")


class MinimaxState(struct.PyTreeNode):
  """Both players' parameters and optimiser states.

  Attributes:
    u, v: parameter pytrees.
    opt_u, opt_v: optax states of the players' transformations.
    prev_u, prev_v: the gradients at the start of the previous step
      (optimistic GDA's ``g_{t-1}``).
    ema_u: exponential moving average of ``u`` (None unless ``init(...,
      ema=True)``).
    step: int32 step counter.
    key: raw uint32[2] PRNG key of the run (folded with ``step``).
  """
  u: Any
  v: Any
  opt_u: Any
  opt_v: Any
  prev_u: Any
  prev_v: Any
  ema_u: Any
  step: jax.Array
  key: jax.Array

  @property
  def params(self):
    """Both players' parameters, ``(u, v)``."""
    return self.u, self.v


def _identity(params):
  return params


class Players(NamedTuple):
  """The players' optax transformations (learning rates are in hparams).

  Attributes:
    tx_u, tx_v: optax transformations without the learning rate.
    project_u, project_v: maps applied to a player's parameters after each
      of its steps (identity by default; :func:`clip_weights` for WGAN's
      weight clipping).
    lr_scale: None, or a function of the game's step counter (``state.step``)
      that multiplies both learning rates at that step, e.g.
      :func:`linear_decay`; every critic step of a game step takes the same
      factor.
  """
  tx_u: optax.GradientTransformation
  tx_v: optax.GradientTransformation
  project_u: Callable = _identity
  project_v: Callable = _identity
  lr_scale: Callable | None = None


def plain_players() -> Players:
  """Plain gradient steps for both players (``optax.identity``)."""
  return Players(optax.identity(), optax.identity())


def clip_weights(c: float) -> Callable:
  """WGAN's weight clipping: every parameter clipped to ``[-c, c]`` after
  each step (Arjovsky et al. 2017, Algorithm 1, ``c = 0.01``).

  Args:
    c: the clipping bound (> 0).

  Returns:
    A projection ``params -> params`` for :class:`Players` (``project_v``).

  Raises:
    ValueError: ``c`` not a positive finite number.
  """
  c = _checks.real(c, "c", low=1e-30, high=1e30)
  return lambda params: jax.tree.map(lambda p: jnp.clip(p, -c, c), params)


def linear_decay(start: int, steps: int) -> Callable:
  """A learning-rate factor of the step counter that is 1 until ``start``,
  then falls linearly to 0 over ``steps`` steps and stays there: the
  schedule of CycleGAN (Zhu et al. 2017, Section 4: constant, then linear
  decay to zero) and, with ``start=0``, of the CIFAR-10 ResNet of WGAN-GP
  (Gulrajani et al. 2017, their code: ``lr * (1 - t / T)``).

  Args:
    start: the step at which the decay begins (>= 0).
    steps: the steps it takes to reach 0 (>= 1).

  Returns:
    ``scale(step) -> float32`` in [0, 1], for :class:`Players` ``lr_scale``.

  Raises:
    ValueError: ``start < 0`` or ``steps < 1``.
  """
  start = _checks.integer(start, "start", low=0)
  steps = _checks.integer(steps, "steps", low=1)
  return lambda step: jnp.clip(1.0 - (step - start) / steps, 0.0,
                               1.0).astype(jnp.float32)


def init(u, v, players: Players | None = None,
         key: jax.Array | None = None, *, ema: bool = False) -> MinimaxState:
  """The state at step 0.

  Args:
    u: the min player's parameters.
    v: the max player's parameters.
    players: transformations; plain gradient steps by default.
    key: raw PRNG key of the run; ``PRNGKey(0)`` by default.
    ema: keep an exponential moving average of ``u`` (starts at ``u``).

  Returns:
    A :class:`MinimaxState`.
  """
  players = players or plain_players()
  zeros = lambda t: jax.tree.map(jnp.zeros_like, t)
  return MinimaxState(u=u, v=v, opt_u=players.tx_u.init(u),
                      opt_v=players.tx_v.init(v), prev_u=zeros(u),
                      prev_v=zeros(v), ema_u=u if ema else None,
                      step=jnp.zeros((), jnp.int32),
                      key=jax.random.PRNGKey(0) if key is None else key)


def gradients(game: Game, u, v, key, batch, hparams):
  """``(grad_u loss_u, grad_v loss_v)`` at ``(u, v)``.

  Args:
    game: the :class:`jgen.adversarial.Game`.
    u, v: the players' parameters.
    key: PRNG key handed to both losses.
    batch: the data handed to both losses.
    hparams: traced hyperparameters.

  Returns:
    The two gradient pytrees.
  """
  g_u = jax.grad(game.loss_u, argnums=0)(u, v, key, batch, hparams)
  g_v = jax.grad(game.loss_v, argnums=1)(u, v, key, batch, hparams)
  return g_u, g_v


def check_hparams(**values) -> None:
  """Raises ``ValueError`` for negative or infinite ``lr_u``, ``lr_v``,
  ``gamma`` or ``reg_weight``.

  Values may be scalars or sweep lists; call on the host (``jgen.sweep.grid(
  ..., check=check_hparams)``).
  """
  for name, value in values.items():
    if name not in ("lr_u", "lr_v", "gamma", "reg_weight"):
      continue
    for v in np.ravel(np.asarray(value, dtype=np.float64)):
      _checks.real(v, name, low=0.0, high=1e30)


def _apply(tx, project, params, opt_state, grads, lr):
  """One player's step: ``project(params - lr * tx(grads))``."""
  updates, opt_state = tx.update(grads, opt_state, params)
  return project(jax.tree.map(lambda p, d: p - lr * d, params, updates)), \
      opt_state


def make_step(game: Game, method: str, players: Players | None = None, *,
              n_v: int = 1, order: str = "v_first",
              ema_decay: float | None = None) -> Callable:
  """Builds the pure step ``step(state, batch, hparams) -> (state, metrics)``.

  Args:
    game: the :class:`Game`.
    method: one of ``METHODS``.
    players: the players' transformations; plain gradient steps by default.
    n_v: max-player (critic) steps per min-player step (``simultaneous``
      and ``alternating``; the others take 1).
    order: ``"v_first"`` or ``"u_first"`` (``alternating``).
    ema_decay: if given, ``state.ema_u <- d * ema_u + (1 - d) * u`` after
      every step (the state must come from ``init(..., ema=True)``).

  Returns:
    The step. ``hparams`` holds ``lr_u``, ``lr_v`` and, for ``consensus``,
    ``gamma``; the game's losses read their own entries. ``metrics`` holds
    ``loss_u``, ``loss_v`` and ``grad_norm`` at the state before the step.

  Raises:
    ValueError: an unknown method or order (the message lists the valid
      names), ``n_v < 1`` (or ``> 1`` for a method without critic steps),
      ``ema_decay`` outside [0, 1).
  """
  _checks.choice(method, "method", METHODS)
  _checks.choice(order, "order", ORDERS)
  _checks.integer(n_v, "n_v", low=1)
  if n_v > 1 and method not in ("simultaneous", "alternating"):
    raise ValueError(f"n_v > 1 (critic steps per generator step) needs "
                     f"method 'simultaneous' or 'alternating', got {method!r}.")
  if ema_decay is not None:
    ema_decay = _checks.real(ema_decay, "ema_decay", low=0.0, high=1.0)
    if ema_decay == 1.0:
      raise ValueError("ema_decay must be in [0, 1), got 1.0.")
  players = players or plain_players()
  apply_u = functools.partial(_apply, players.tx_u, players.project_u)
  apply_v = functools.partial(_apply, players.tx_v, players.project_v)

  def critic_steps(u, v, opt_v, key, batch, hparams, n, lr_v):
    for i in range(n):
      gv = jax.grad(game.loss_v, argnums=1)(u, v, jax.random.fold_in(key, i),
                                            batch, hparams)
      v, opt_v = apply_v(v, opt_v, gv, lr_v)
    return v, opt_v

  def step(state: MinimaxState, batch, hparams):
    if ema_decay is not None and state.ema_u is None:
      raise ValueError("make_step(..., ema_decay=) needs a state made with "
                       "minimax.init(..., ema=True).")
    key = train.step_key(state)
    lr_u, lr_v = hparams["lr_u"], hparams["lr_v"]
    if players.lr_scale is not None:
      scale = players.lr_scale(state.step)
      lr_u, lr_v = lr_u * scale, lr_v * scale
    u, v = state.u, state.v
    loss_u, g_u = jax.value_and_grad(game.loss_u, argnums=0)(
        u, v, key, batch, hparams)
    loss_v, g_v = jax.value_and_grad(game.loss_v, argnums=1)(
        u, v, key, batch, hparams)
    metrics = {"loss_u": loss_u, "loss_v": loss_v,
               "grad_norm": optax.tree.norm((g_u, g_v))}
    if method == "simultaneous":
      opt_v = state.opt_v
      if n_v > 1:                       # critic-only steps, then a joint one
        v, opt_v = critic_steps(u, v, opt_v, jax.random.fold_in(key, 1),
                                batch, hparams, n_v - 1, lr_v)
        g_u, g_v = gradients(game, u, v, key, batch, hparams)
      u, opt_u = apply_u(u, state.opt_u, g_u, lr_u)
      v, opt_v = apply_v(v, opt_v, g_v, lr_v)
    elif method == "alternating":
      opt_u = state.opt_u
      if order == "u_first":
        u, opt_u = apply_u(u, opt_u, g_u, lr_u)
      v, opt_v = critic_steps(u, v, state.opt_v, key, batch, hparams, n_v,
                              lr_v)
      if order == "v_first":
        gu = jax.grad(game.loss_u, argnums=0)(u, v, key, batch, hparams)
        u, opt_u = apply_u(u, opt_u, gu, lr_u)
    elif method == "extragradient":
      u_half, _ = apply_u(u, state.opt_u, g_u, lr_u)
      v_half, _ = apply_v(v, state.opt_v, g_v, lr_v)
      gu, gv = gradients(game, u_half, v_half, key, batch,
                         hparams)
      u, opt_u = apply_u(u, state.opt_u, gu, lr_u)
      v, opt_v = apply_v(v, state.opt_v, gv, lr_v)
    elif method == "optimistic":
      first = state.step == 0                 # no previous gradient yet
      last_u = jax.tree.map(lambda g, p: jnp.where(first, g, p), g_u,
                            state.prev_u)
      last_v = jax.tree.map(lambda g, p: jnp.where(first, g, p), g_v,
                            state.prev_v)
      du = jax.tree.map(lambda g, p: 2 * g - p, g_u, last_u)
      dv = jax.tree.map(lambda g, p: 2 * g - p, g_v, last_v)
      u, opt_u = apply_u(u, state.opt_u, du, lr_u)
      v, opt_v = apply_v(v, state.opt_v, dv, lr_v)
    else:                                     # consensus
      def half_sq_norm(uu, vv):
        return 0.5 * optax.tree.norm(
            gradients(game, uu, vv, key, batch, hparams), squared=True)
      r_u, r_v = jax.grad(half_sq_norm, argnums=(0, 1))(u, v)
      gamma = hparams["gamma"]
      du = jax.tree.map(lambda g, r: g + gamma * r, g_u, r_u)
      dv = jax.tree.map(lambda g, r: g + gamma * r, g_v, r_v)
      u, opt_u = apply_u(u, state.opt_u, du, lr_u)
      v, opt_v = apply_v(v, state.opt_v, dv, lr_v)
    # Every method keeps the gradients at the start of the step: optimistic
    # GDA needs them, and they make the linearised update map of
    # jgen.dynamics block-triangular (no spurious eigenvalue 1).
    ema_u = state.ema_u
    if ema_decay is not None:
      ema_u = jax.tree.map(lambda e, p: ema_decay * e + (1 - ema_decay) * p,
                           ema_u, u)
    return state.replace(u=u, v=v, opt_u=opt_u, opt_v=opt_v, prev_u=g_u,
                         prev_v=g_v, ema_u=ema_u, step=state.step + 1), metrics
  return step
