r"""Games for probing minimax dynamics: the bilinear game and the Dirac-GAN.

**Bilinear**: ``min_x max_y x^T A y``, equilibrium ``(0, 0)``.

**GAN games** (Mescheder, Geiger & Nowozin 2018, "Which training methods
for GANs do actually converge?", eq. 1): with a critic ``D_psi`` and a
generator ``G_theta``,

    L(theta, psi) = E_z f(D_psi(G_theta(z))) + E_x f(-D_psi(x)),

the generator ``u = theta`` minimises and the critic ``v = psi`` maximises.
``LOSSES`` (by name):

================ ============================ ===============================
name             f                            generator loss
================ ============================ ===============================
standard         ``-log(1 + exp(-t))``        ``E f(D(G(z)))``
non_saturating   same                         ``-E f(-D(G(z)))``
wasserstein      ``t``                        ``E D(G(z))``
================ ============================ ===============================

``REGULARIZERS`` of the critic (added to its loss with weight
``hparams["reg_weight"]``, the gamma of Mescheder et al. 2018): ``r1``
``gamma/2 E_x ||grad_x D(x)||^2`` on real data (their eq. 9), ``r2`` the same
on generated data, ``wgan_gp`` ``gamma E (||grad D(x_hat)|| - 1)^2`` on random
interpolates (Gulrajani et al. 2017); ``instance_noise`` is a game option
(``noise_std``) adding Gaussian noise to real and generated samples (Sønderby
et al. 2017).

**Dirac-GAN** (Mescheder et al. 2018, Section 2.2): ``G_theta`` is a point
mass at ``theta``, ``D_psi(x) = psi x``, data a point mass at 0; so
``L = f(psi theta) + f(0)`` and the equilibrium is ``(0, 0)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import minimax


def bilinear(a: jax.Array) -> minimax.Game:
  """``min_x max_y x^T A y`` (``x`` [m], ``y`` [n], ``A`` [m, n])."""
  return minimax.zero_sum(lambda x, y, key, hp: x @ a @ y)


def _f_standard(t):
  return -jax.nn.softplus(-t)


LOSSES = {
    # name: (f, generator loss as a function of f and the fake logits)
    "standard": (_f_standard, lambda f, d_fake: jnp.mean(f(d_fake))),
    "non_saturating": (_f_standard, lambda f, d_fake: -jnp.mean(f(-d_fake))),
    "wasserstein": (lambda t: t, lambda f, d_fake: jnp.mean(f(d_fake))),
}


def _grad_norms(critic, v, x):
  """``||grad_x D_v(x_n)||`` per sample."""
  g = jax.vmap(jax.grad(lambda xi: critic(v, xi[None])[0]))(x)
  return jnp.sqrt(jnp.sum(jnp.square(g.reshape(g.shape[0], -1)), 1) + 1e-30)


def _r1(critic, v, real, fake, key):
  del fake, key
  return 0.5 * jnp.mean(_grad_norms(critic, v, real) ** 2)


def _r2(critic, v, real, fake, key):
  del real, key
  return 0.5 * jnp.mean(_grad_norms(critic, v, fake) ** 2)


def _wgan_gp(critic, v, real, fake, key):
  t = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1))
  x_hat = t * real + (1 - t) * fake
  return jnp.mean((_grad_norms(critic, v, x_hat) - 1.0) ** 2)


REGULARIZERS: dict[str, Callable | None] = {
    "none": None, "r1": _r1, "r2": _r2, "wgan_gp": _wgan_gp,
}


def gan(critic: Callable, generator: Callable, sample_real: Callable,
        sample_latent: Callable, *, loss: str = "standard",
        regularizer: str | Callable = "none",
        noise_std: float = 0.0) -> minimax.Game:
  """A GAN as a two-player game (losses and regularisers by name).

  Args:
    critic: ``critic(v, x) -> logits [B]``.
    generator: ``generator(u, z) -> x [B, ...]``.
    sample_real: ``sample_real(key) -> x [B, ...]``.
    sample_latent: ``sample_latent(key) -> z [B, ...]``.
    loss: a name of ``LOSSES``.
    regularizer: a name of ``REGULARIZERS``, or a function
      ``reg(critic, v, real, fake, key) -> scalar`` (weight
      ``hparams["reg_weight"]``).
    noise_std: instance-noise standard deviation (0 for none).

  Returns:
    The :class:`jgen.minimax.Game` (``u`` the generator, ``v`` the critic).

  Raises:
    ValueError: unknown loss or regulariser (listing the valid names),
      negative ``noise_std``.
  """
  _checks.choice(loss, "loss", LOSSES)
  if not callable(regularizer):
    _checks.choice(regularizer, "regularizer", REGULARIZERS)
  noise_std = _checks.real(noise_std, "noise_std", low=0.0)
  f, generator_loss = LOSSES[loss]
  reg = regularizer if callable(regularizer) else REGULARIZERS[regularizer]

  def samples(u, key):
    k_real, k_z, k_n1, k_n2 = jax.random.split(key, 4)
    real, fake = sample_real(k_real), generator(u, sample_latent(k_z))
    if noise_std:
      real = real + noise_std * jax.random.normal(k_n1, real.shape)
      fake = fake + noise_std * jax.random.normal(k_n2, fake.shape)
    return real, fake

  def loss_u(u, v, key, hparams):
    del hparams
    _, fake = samples(u, key)
    return generator_loss(f, critic(v, fake))

  def loss_v(u, v, key, hparams):
    real, fake = samples(u, key)
    value = jnp.mean(f(critic(v, fake))) + jnp.mean(f(-critic(v, real)))
    if reg is not None:
      value = value - hparams["reg_weight"] * reg(
          critic, v, real, jax.lax.stop_gradient(fake),
          jax.random.fold_in(key, 7))
    return -value
  return minimax.Game(loss_u=loss_u, loss_v=loss_v)


def dirac_gan(*, loss: str = "standard", regularizer: str | Callable = "none",
              noise_std: float = 0.0, batch_size: int = 1) -> minimax.Game:
  """The Dirac-GAN of Mescheder et al. (2018), Section 2.2.

  Scalar players ``u = theta`` (the generator's point mass) and ``v = psi``
  (the critic ``D(x) = psi x``), data a point mass at 0. Without instance
  noise every sample is identical, so ``batch_size`` only matters with it.

  Returns:
    The :class:`jgen.minimax.Game`.
  """
  _checks.integer(batch_size, "batch_size", low=1)
  return gan(critic=lambda psi, x: psi * x[:, 0],
             generator=lambda theta, z: jnp.broadcast_to(theta, z.shape),
             sample_real=lambda key: jnp.zeros((batch_size, 1)),
             sample_latent=lambda key: jnp.zeros((batch_size, 1)),
             loss=loss, regularizer=regularizer, noise_std=noise_std)
