r"""Per-datapoint vs amortised variational inference (Cremer et al. 2018).

Amortised inference predicts ``q(z | x)`` with an encoder; per-datapoint
inference (variational Bayes) keeps free parameters ``(m_n, log s_n)`` for
every example and fits them by gradient ascent on the ELBO (the E-step),
alternating with gradient steps on the decoder (the M-step). The
*amortisation gap* on held-out data is ``ELBO(q*_n) - ELBO(q_encoder)`` where
``q*_n`` is the per-datapoint optimum started from the encoder's output
(Cremer, Li & Duvenaud 2018, "Inference suboptimality in VAEs", eq. 4).

The decoder enters as ``decoder_log_prob(z [S, B, L], x) -> [S, B]``, as in
:func:`jgen.variational.elbo`.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from jgen.variational._bounds import elbo


def local_elbo_ascent(key: jax.Array, x: jax.Array, decoder_log_prob: Callable,
                      mean: jax.Array, log_scale: jax.Array, *,
                      num_steps: int, learning_rate: float = 0.05,
                      num_samples: int = 1,
                      prior_log_prob: Callable | None = None):
  """Gradient E-steps: Adam ascent of each example's ELBO in ``(m, log s)``.

  The ELBO is separable across examples, so ascending the batch sum fits
  every example's variational parameters at once.

  Args:
    key: PRNG key (step t uses ``fold_in(key, t)``).
    x: data, [B, ...].
    decoder_log_prob: the decoder (fixed).
    mean, log_scale: starting variational parameters, [B, L].
    num_steps: ascent steps.
    learning_rate: Adam step size, or an optax schedule (a decaying one
      removes the noise floor of single-sample gradients).
    num_samples: reparameterised samples per step.
    prior_log_prob: ``log p(z)``; N(0, I) when None.

  Returns:
    ``(mean, log_scale)`` after ``num_steps`` steps.
  """
  params = (mean, log_scale)
  opt = optax.adam(learning_rate)

  def negative_elbo(p, k):
    return -jnp.sum(elbo(k, x, lambda _: p, decoder_log_prob,
                         num_samples=num_samples,
                         prior_log_prob=prior_log_prob)["elbo"])

  def body(carry, t):
    p, s = carry
    g = jax.grad(negative_elbo)(p, jax.random.fold_in(key, t))
    updates, s = opt.update(g, s, p)
    return (optax.apply_updates(p, updates), s), None
  (params, _), _ = jax.lax.scan(body, (params, opt.init(params)),
                                jnp.arange(num_steps))
  return params


def amortization_gap(key: jax.Array, x: jax.Array, encode: Callable,
                     decoder_log_prob: Callable, *, num_steps: int = 500,
                     learning_rate: float = 0.05, fit_samples: int = 1,
                     eval_samples: int = 100,
                     prior_log_prob: Callable | None = None) -> dict:
  """ELBO of the encoder's ``q`` and of the per-datapoint optimum, per example.

  Args:
    key: PRNG key.
    x: held-out data, [B, ...].
    encode: the amortised encoder.
    decoder_log_prob: the decoder.
    num_steps, learning_rate: of :func:`local_elbo_ascent`, started at the
      encoder's output.
    fit_samples: samples of z per ascent step.
    eval_samples: samples of z for the two ELBO estimates (same noise).
    prior_log_prob: ``log p(z)``; N(0, I) when None.

  Returns:
    ``{"amortized": [B], "optimized": [B], "gap": [B]}`` (nats).
  """
  mean, log_scale = encode(x)
  k_fit, k_eval = jax.random.split(key)
  opt_params = local_elbo_ascent(k_fit, x, decoder_log_prob, mean, log_scale,
                                 num_steps=num_steps,
                                 learning_rate=learning_rate,
                                 num_samples=fit_samples,
                                 prior_log_prob=prior_log_prob)
  value = lambda p: elbo(k_eval, x, lambda _: p, decoder_log_prob,
                         num_samples=eval_samples,
                         prior_log_prob=prior_log_prob)["elbo"]
  amortized, optimized = value((mean, log_scale)), value(opt_params)
  return {"amortized": amortized, "optimized": optimized,
          "gap": optimized - amortized}


def vb_step(decoder_log_prob: Callable, optimizer: optax.GradientTransformation,
            *, e_steps: int = 5, e_learning_rate: float = 0.05) -> Callable:
  """Variational Bayes with per-datapoint ``q_n``: a ``jgen.train`` step.

  ``state.params = {"decoder": theta, "mean": [N, L], "log_scale": [N, L]}``
  and ``batch = {"x": [B, ...], "idx": [B]}`` (add ``"idx": arange(N)`` to the
  data so ``jgen.train.minibatch`` draws it). Each step runs ``e_steps``
  gradient E-steps on the batch's ``(m_n, log s_n)`` with the decoder fixed
  (:func:`local_elbo_ascent`), writes them back, then one M-step of
  ``optimizer`` on the decoder with the ``q_n`` fixed (variational
  EM with gradient E- and M-steps; Hoffman et al. 2013, Section 2). ``state.opt_state`` must
  be ``optimizer.init(params["decoder"])``.

  Args:
    decoder_log_prob: ``(theta, z [S, B, L], x) -> [S, B]``.
    optimizer: the decoder's optax transformation.
    e_steps: E-step iterations per step.
    e_learning_rate: Adam step size of the E-steps.

  Returns:
    ``step(state, batch, hparams) -> (state, metrics)``; metrics ``loss``
    (negative ELBO per example after the E-step) and ``elbo``.
  """
  def step(state, batch, hparams):
    del hparams
    p, x, idx = state.params, batch["x"], batch["idx"]
    key = jax.random.fold_in(state.key, state.step)
    k_e, k_m = jax.random.split(key)
    theta = p["decoder"]
    dec = lambda z, xx: decoder_log_prob(theta, z, xx)
    mean, log_scale = local_elbo_ascent(
        k_e, x, dec, p["mean"][idx], p["log_scale"][idx], num_steps=e_steps,
        learning_rate=e_learning_rate)

    def m_loss(th):
      out = elbo(k_m, x, lambda _: (mean, log_scale),
                      lambda z, xx: decoder_log_prob(th, z, xx))
      return -jnp.mean(out["elbo"])
    loss, grads = jax.value_and_grad(m_loss)(theta)
    updates, opt_state = optimizer.update(grads, state.opt_state, theta)
    params = {"decoder": optax.apply_updates(theta, updates),
              "mean": p["mean"].at[idx].set(mean),
              "log_scale": p["log_scale"].at[idx].set(log_scale)}
    return state.replace(step=state.step + 1, params=params,
                         opt_state=opt_state), {"loss": loss, "elbo": -loss}
  return step
