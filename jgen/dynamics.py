r"""Probes of minimax dynamics: vector fields, Jacobians, spectra, trajectories.

For a game (``jgen.minimax.Game``) the *vector field* is the direction of
simultaneous gradient descent on each player's loss,
``w(u, v) = (-grad_u loss_u, -grad_v loss_v)`` (Mescheder et al. 2017,
"The numerics of GANs", Section 3). At an equilibrium, the eigenvalues of its
Jacobian decide local convergence of the continuous dynamics (all real parts
< 0); a discrete method converges locally when the spectral radius of its
update map, linearised at the equilibrium, is below 1 (their Proposition 3).

All functions work on the flattened ``(u, v)`` (``jax.flatten_util``) and are
pure, so ``vmap`` over learning rates, ``gamma`` and start points works.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jgen import minimax
from jgen import train
from jgen.adversarial import Game


def _key(key):
  return jax.random.PRNGKey(0) if key is None else key


def vector_field(game: Game, u, v, hparams, batch=None,
                 key: jax.Array | None = None) -> jax.Array:
  """``(-grad_u loss_u, -grad_v loss_v)`` flattened.

  Args:
    game: the :class:`jgen.adversarial.Game`.
    u, v: the players' parameters.
    hparams: traced hyperparameters the losses read.
    batch: the data handed to the losses (None for games without data).
    key: PRNG key handed to the losses; ``PRNGKey(0)`` by default.

  Returns:
    [n_u + n_v] (Mescheder et al. 2017, Section 3).
  """
  g_u, g_v = minimax.gradients(game, u, v, _key(key), batch, hparams)
  return -ravel_pytree((g_u, g_v))[0]


def jacobian(game: Game, u, v, hparams, batch=None,
             key: jax.Array | None = None) -> jax.Array:
  """Jacobian of :func:`vector_field` w.r.t. the flattened ``(u, v)``.

  Args:
    game, u, v, hparams, batch, key: as for :func:`vector_field`.

  Returns:
    [n, n] (``jax.jacfwd``).
  """
  flat, unravel = ravel_pytree((u, v))
  return jax.jacfwd(lambda z: vector_field(game, *unravel(z), hparams, batch,
                                           key))(flat)


def eigenvalues(matrix: jax.Array) -> jax.Array:
  """Complex eigenvalues of a square matrix (``jnp.linalg.eigvals``, CPU).

  Args:
    matrix: [n, n].

  Returns:
    [n] complex eigenvalues.
  """
  return jnp.linalg.eigvals(matrix)


def _state_vector(state: minimax.MinimaxState):
  """Flattens the floating parts of a state; returns (vector, rebuild)."""
  parts = (state.u, state.v, state.opt_u, state.opt_v, state.prev_u,
           state.prev_v)
  flat, unravel = ravel_pytree(parts)

  def rebuild(z):
    u, v, opt_u, opt_v, prev_u, prev_v = unravel(z)
    return state.replace(u=u, v=v, opt_u=opt_u, opt_v=opt_v, prev_u=prev_u,
                         prev_v=prev_v)
  return flat, rebuild


def update_jacobian(step: Callable, state: minimax.MinimaxState, hparams,
                    batch=None) -> jax.Array:
  """Jacobian of one step's map ``state -> step(state)`` (floating parts).

  For optimistic GDA the previous gradients are part of the state, so the
  map is on ``(u, v, g_{t-1})``; linearise at a state with ``step >= 1``.

  Args:
    step: from :func:`jgen.minimax.make_step`.
    state: the point of linearisation.
    hparams: traced hyperparameters.
    batch: the step's batch (None for games without data).

  Returns:
    [n, n] over the flattened floating parts of the state.
  """
  flat, rebuild = _state_vector(state)
  return jax.jacfwd(lambda z: _state_vector(
      step(rebuild(z), batch, hparams)[0])[0])(flat)


def spectral_radius(step: Callable, state: minimax.MinimaxState, hparams,
                    batch=None) -> jax.Array:
  """``max |eig|`` of :func:`update_jacobian`: < 1 means local convergence
  (Mescheder et al. 2017, Proposition 3).

  Args:
    step, state, hparams, batch: as for :func:`update_jacobian`.

  Returns:
    Scalar spectral radius.
  """
  return jnp.max(jnp.abs(eigenvalues(update_jacobian(step, state, hparams,
                                                     batch))))


def trajectory(step: Callable, state: minimax.MinimaxState, hparams,
               num_steps: int, batch=None):
  """Runs ``num_steps`` steps as one :func:`jgen.train.make_chunk`.

  Args:
    step: from :func:`jgen.minimax.make_step`.
    state: the start (its key drives the steps' randomness).
    hparams: traced hyperparameters.
    num_steps: number of steps (static).
    batch: the data of every step (None for games without data).

  Returns:
    ``(final_state, path)`` with ``path`` the flattened ``(u, v)`` before each
    step and after the last, [num_steps + 1, n].
  """
  def recorded(s, b, hp):
    s2, metrics = step(s, b, hp)
    return s2, {**metrics, "point": ravel_pytree((s.u, s.v))[0]}
  chunk = train.make_chunk(recorded, train.full_batch, num_steps)
  final, metrics = chunk(state, batch, hparams)
  last = ravel_pytree((final.u, final.v))[0]
  return final, jnp.concatenate([metrics["point"], last[None]], 0)


def distance(path: jax.Array) -> jax.Array:
  """Euclidean distance of each point of a path to the origin (the
  equilibrium of the bilinear game and the Dirac-GAN).

  Args:
    path: [T, n].

  Returns:
    [T].
  """
  return jnp.sqrt(jnp.sum(jnp.square(path), axis=-1))
