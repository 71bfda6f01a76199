"""Minimax steps vs hand-written NumPy updates; dynamics vs theory."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgen import dynamics
from jgen import games
from jgen import minimax
from jgen import sweep

A = np.array([[1.0, 0.5], [-0.3, 2.0]])
X0, Y0 = np.array([0.7, -0.2]), np.array([0.4, 1.1])
LR_U, LR_V, GAMMA = 0.05, 0.08, 0.6
KEY = jax.random.PRNGKey(0)
HP = {"lr_u": LR_U, "lr_v": LR_V, "gamma": GAMMA}


def _numpy_steps(method, n_steps):
  """Hand-written updates for min_x max_y x^T A y (float64)."""
  gx = lambda x, y: A @ y            # grad_x of x^T A y
  gy = lambda x, y: -A.T @ x         # grad_y of the max player's loss -x^T A y
  x, y, px, py = X0.copy(), Y0.copy(), None, None
  for _ in range(n_steps):
    if method == "simultaneous":              # n_v = 2: one y step first
      y = y - LR_V * gy(x, y)
      x, y = x - LR_U * gx(x, y), y - LR_V * gy(x, y)
    elif method == "alternating":             # v first, n_v = 2
      for _ in range(2):
        y = y - LR_V * gy(x, y)
      x = x - LR_U * gx(x, y)
    elif method == "extragradient":
      xh, yh = x - LR_U * gx(x, y), y - LR_V * gy(x, y)
      x, y = x - LR_U * gx(xh, yh), y - LR_V * gy(xh, yh)
    elif method == "optimistic":
      g1, g2 = gx(x, y), gy(x, y)
      px, py = (g1, g2) if px is None else (px, py)
      x, y = x - LR_U * (2 * g1 - px), y - LR_V * (2 * g2 - py)
      px, py = g1, g2
    else:                                     # consensus
      g1, g2 = gx(x, y), gy(x, y)
      # grad of L = 1/2 (||A y||^2 + ||A^T x||^2)
      rx, ry = A @ (A.T @ x), A.T @ (A @ y)
      x, y = x - LR_U * (g1 + GAMMA * rx), y - LR_V * (g2 + GAMMA * ry)
  return x, y


@pytest.mark.parametrize("method", minimax.METHODS)
def test_steps_match_numpy(method):
  game = games.bilinear(jnp.asarray(A))
  n_v = 2 if method in ("simultaneous", "alternating") else 1
  step = minimax.make_step(game, method, n_v=n_v)
  state = minimax.init(jnp.asarray(X0), jnp.asarray(Y0))
  for _ in range(3):
    state, _ = step(state, None, HP)
  x, y = _numpy_steps(method, 3)
  np.testing.assert_allclose(state.u, x, rtol=1e-12)
  np.testing.assert_allclose(state.v, y, rtol=1e-12)


def _bilinear_run(method, lr=0.05, steps=2000):
  game = games.bilinear(jnp.eye(1))
  step = minimax.make_step(game, method)
  hp = {"lr_u": lr, "lr_v": lr, "gamma": 0.0}
  _, path = dynamics.trajectory(step, minimax.init(jnp.ones(1), jnp.ones(1)),
                                hp, steps)
  at_eq = minimax.init(jnp.zeros(1), jnp.zeros(1)).replace(step=jnp.int32(1))
  return dynamics.distance(path), dynamics.spectral_radius(step, at_eq, hp)


def test_bilinear_theory():
  lr = 0.05
  d, rho = _bilinear_run("simultaneous", lr)
  assert d[-1] > 2 * d[0] and rho > 1            # spirals out
  np.testing.assert_allclose(rho, np.sqrt(1 + lr**2), rtol=1e-12)
  d, rho = _bilinear_run("alternating", lr)
  assert d.max() < 1.1 * d[0] and d[-1] > 0.9 * d[0]      # bounded, no decay
  np.testing.assert_allclose(rho, 1.0, atol=1e-12)
  for method, expected in [("extragradient", np.sqrt(1 - lr**2 + lr**4)),
                           ("optimistic", None)]:
    d, rho = _bilinear_run(method, lr)
    assert d[-1] < 0.1 * d[0] and rho < 1                  # converges
    if expected is not None:
      np.testing.assert_allclose(rho, expected, rtol=1e-12)


def _dirac(reg, gamma):
  game = games.dirac_gan(penalty=reg)
  return game, {"lr_u": 0.1, "lr_v": 0.1, "gamma": 0.0, "reg_weight": gamma}


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_dirac_gan_jacobian_closed_form(loss):
  for gamma in (0.0, 0.3, 2.0):
    game = games.dirac_gan(loss=loss, penalty="r1")
    hp = {"reg_weight": gamma}
    jac = dynamics.jacobian(game, jnp.float64(0.0), jnp.float64(0.0), hp,
                            games.dirac_data())
    # f'(0) = 1/2: w = (-psi f'(psi theta), theta f'(psi theta) - gamma psi).
    np.testing.assert_allclose(jac, [[0.0, -0.5], [0.5, -gamma]], atol=1e-12)
    eig = np.sort_complex(np.asarray(dynamics.eigenvalues(jac)))
    ref = np.sort_complex(np.array(
        [(-gamma + s * np.sqrt(complex(gamma**2 - 1))) / 2 for s in (1, -1)]))
    np.testing.assert_allclose(eig, ref, atol=1e-12)


def test_dirac_gan_convergence_needs_regularisation():
  start = minimax.init(jnp.float64(1.0), jnp.float64(1.0))
  at_eq = minimax.init(jnp.float64(0.0), jnp.float64(0.0)).replace(
      step=jnp.int32(1))
  for gamma, converges in [(0.0, False), (0.3, True), (1.0, True)]:
    game, hp = _dirac("r1", gamma)
    step = minimax.make_step(game, "simultaneous")
    _, path = dynamics.trajectory(step, start, hp, 3000, games.dirac_data())
    rho = dynamics.spectral_radius(step, at_eq, hp, games.dirac_data())
    assert (dynamics.distance(path)[-1] < 1e-3) == converges
    assert (rho < 1) == converges


def test_wasserstein_gp_and_r2_penalties_against_closed_form():
  # Dirac-GAN critic psi * x: grad_x D = psi everywhere.
  psi, theta = 1.7, 0.4
  for reg, penalty in [("r1", 0.5 * psi**2), ("r2", 0.5 * psi**2),
                       ("wgan_gp", (abs(psi) - 1) ** 2)]:
    game = games.dirac_gan(loss="wasserstein", penalty=reg)
    value = game.loss_v(jnp.float64(theta), jnp.float64(psi), KEY,
                        games.dirac_data(), {"reg_weight": 2.0})
    # Wasserstein: L = psi * theta - psi * 0; the critic minimises -L + 2 * penalty.
    np.testing.assert_allclose(value, -psi * theta + 2.0 * penalty, rtol=1e-10)


def test_instance_noise_expectation():
  game = games.dirac_gan(loss="wasserstein", noise_std=0.5)
  value = game.loss_u(jnp.float64(0.3), jnp.float64(2.0), KEY,
                      games.dirac_data(20000), {})
  np.testing.assert_allclose(value, 2.0 * 0.3, atol=0.03)   # E psi (theta + eps)


def test_learning_rate_grid_vmaps():
  game, _ = _dirac("r1", 0.3)
  step = minimax.make_step(game, "consensus")

  def final_distance(key, hp):
    hp = {**hp, "reg_weight": 0.3}
    _, path = dynamics.trajectory(
        step, minimax.init(jnp.float32(1.0), jnp.float32(1.0), key=key), hp,
        200, games.dirac_data())
    return dynamics.distance(path)[-1]
  g = sweep.grid(lr_u=[0.05, 0.1], lr_v=[0.1], gamma=[0.0, 0.5],
                 check=minimax.check_hparams)
  res = sweep.run(final_distance, g, KEY)
  assert res.outputs.shape == (2, 1, 2, 1)
  assert np.all(np.isfinite(res.outputs))


@pytest.mark.parametrize("kwargs,name", [
    ({"method": "gradient_dance"}, "method"), ({"n_v": 0}, "n_v"),
    ({"order": "sideways"}, "order"),
])
def test_bad_step_arguments(kwargs, name):
  args = {"method": "alternating", **kwargs}
  with pytest.raises(ValueError, match=name) as err:
    minimax.make_step(games.bilinear(jnp.eye(1)), **args)
  if name == "method":
    assert "simultaneous" in str(err.value)


def test_bad_game_and_hparams():
  with pytest.raises(ValueError, match="penalty.*r1"):
    games.dirac_gan(penalty="r3")
  with pytest.raises(ValueError, match="loss"):
    games.dirac_gan(loss="hinge_of_fate")
  with pytest.raises(ValueError, match="lr_u"):
    minimax.check_hparams(lr_u=-0.1)
  with pytest.raises(ValueError, match="gamma"):
    sweep.grid(gamma=[0.1, -1.0], check=minimax.check_hparams)


def test_players_transformations_match_optax_adam():
  """Each player's own transformation: scale_by_adam with -lr is optax.adam."""
  game = games.bilinear(jnp.asarray(A))
  players = minimax.Players(optax.scale_by_adam(), optax.scale_by_adam())
  step = minimax.make_step(game, "simultaneous", players)
  state = minimax.init(jnp.asarray(X0), jnp.asarray(Y0), players)
  adam_u, adam_v = optax.adam(LR_U), optax.adam(LR_V)
  x, y = jnp.asarray(X0), jnp.asarray(Y0)
  su, sv = adam_u.init(x), adam_v.init(y)
  for _ in range(4):
    state, _ = step(state, None, HP)
    gx, gy = jnp.asarray(A) @ y, -jnp.asarray(A).T @ x
    ux, su = adam_u.update(gx, su)
    uy, sv = adam_v.update(gy, sv)
    x, y = x + ux, y + uy
  np.testing.assert_allclose(state.u, x, rtol=1e-10)
  np.testing.assert_allclose(state.v, y, rtol=1e-10)


def test_linear_decay_scales_every_step_of_a_game_step():
  """Players' lr_scale: the factor of linear_decay(start, steps) at the
  game's step counter (checked against optax.linear_schedule) multiplies
  both players' steps, the critic's extra steps included (alternating,
  n_v = 2, against hand-written updates)."""
  scale = minimax.linear_decay(2, 4)
  reference = optax.linear_schedule(1.0, 0.0, 4, transition_begin=2)
  for t in range(9):
    np.testing.assert_allclose(float(scale(jnp.int32(t))),
                               float(reference(t)), rtol=1e-6)
  game = games.bilinear(jnp.asarray(A))
  players = minimax.Players(optax.identity(), optax.identity(),
                            lr_scale=scale)
  step = minimax.make_step(game, "alternating", players, n_v=2)
  state = minimax.init(jnp.asarray(X0), jnp.asarray(Y0), players)
  x, y = X0.copy(), Y0.copy()
  for t in range(7):
    state, _ = step(state, None, HP)
    f = float(reference(t))
    for _ in range(2):
      y = y + f * LR_V * A.T @ x
    x = x - f * LR_U * A @ y
  np.testing.assert_allclose(state.u, x, rtol=1e-6)
  np.testing.assert_allclose(state.v, y, rtol=1e-6)
  frozen, _ = step(state, None, HP)        # past start + steps: no move
  np.testing.assert_array_equal(frozen.u, state.u)
  with pytest.raises(ValueError, match="steps"):
    minimax.linear_decay(0, 0)


def test_trajectories_vmap_over_start_points_and_custom_regularizer():
  def r1_by_hand(critic, v, real, fake, key):
    del critic, real, fake, key
    return 0.5 * v**2                    # grad_x (psi x) = psi
  game = games.dirac_gan(penalty=r1_by_hand)
  step = minimax.make_step(game, "simultaneous")
  hp = {"lr_u": 0.1, "lr_v": 0.1, "reg_weight": 0.5}
  starts = jnp.asarray([[1.0, 1.0], [-0.5, 2.0], [0.3, -0.7]])

  def final(s):
    _, path = dynamics.trajectory(step, minimax.init(s[0], s[1]), hp, 2000,
                                  games.dirac_data())
    return dynamics.distance(path)[-1]
  assert np.all(np.asarray(jax.vmap(final)(starts)) < 1e-3)
