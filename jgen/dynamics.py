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


def vector_field(game: minimax.Game, u, v, key, hparams) -> jax.Array:
  """``(-grad_u loss_u, -grad_v loss_v)`` flattened, [n_u + n_v]."""
  g_u, g_v = minimax.gradients(game, u, v, key, hparams)
  return -ravel_pytree((g_u, g_v))[0]


def jacobian(game: minimax.Game, u, v, key, hparams) -> jax.Array:
  """Jacobian of :func:`vector_field` w.r.t. the flattened ``(u, v)``
  (``jax.jacfwd``), [n, n]."""
  flat, unravel = ravel_pytree((u, v))
  return jax.jacfwd(lambda z: vector_field(game, *unravel(z), key, hparams))(
      flat)


def eigenvalues(matrix: jax.Array) -> jax.Array:
  """Complex eigenvalues of a square matrix (``jnp.linalg.eigvals``, CPU)."""
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


def update_jacobian(step: Callable, state: minimax.MinimaxState, key,
                    hparams) -> jax.Array:
  """Jacobian of one step's map ``state -> step(state)`` (floating parts).

  For optimistic GDA the previous gradients are part of the state, so the
  map is on ``(u, v, g_{t-1})``; linearise at a state with ``step >= 1``.
  """
  flat, rebuild = _state_vector(state)
  return jax.jacfwd(lambda z: _state_vector(
      step(rebuild(z), key, hparams)[0])[0])(flat)


def spectral_radius(step: Callable, state: minimax.MinimaxState, key,
                    hparams) -> jax.Array:
  """``max |eig|`` of :func:`update_jacobian`: < 1 means local convergence."""
  return jnp.max(jnp.abs(eigenvalues(update_jacobian(step, state, key,
                                                     hparams))))


def trajectory(step: Callable, state: minimax.MinimaxState, key, hparams,
               num_steps: int):
  """Runs ``num_steps`` steps under ``lax.scan``.

  Args:
    step: from :func:`jgen.minimax.make_step`.
    state: the start.
    key: PRNG key (step t uses ``fold_in(key, t)``).
    hparams: traced hyperparameters.
    num_steps: number of steps (static).

  Returns:
    ``(final_state, path)`` with ``path`` the flattened ``(u, v)`` before each
    step and after the last, [num_steps + 1, n].
  """
  def body(s, t):
    s2, _ = step(s, jax.random.fold_in(key, t), hparams)
    return s2, ravel_pytree((s.u, s.v))[0]
  final, path = jax.lax.scan(body, state, jnp.arange(num_steps))
  last = ravel_pytree((final.u, final.v))[0]
  return final, jnp.concatenate([path, last[None]], 0)


def distance(path: jax.Array) -> jax.Array:
  """Euclidean distance of each point of a path to the origin (the
  equilibrium of the bilinear game and the Dirac-GAN), [T]."""
  return jnp.sqrt(jnp.sum(jnp.square(path), axis=-1))
