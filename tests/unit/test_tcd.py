"""lib_accelerator.tcd against a reference written here from the TCD paper's equations (arXiv 2402.19159).

The reference works the way the paper writes it: DDPM time tau with alpha-bar values (abar(0) = 1: the clean image),
an epsilon-predicting model, and latents x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps ("VP" form). The module under
test works in the WebUI's sigma space (x = x0 + sigma eps, from the model's x0 prediction), so agreement is not
a copy of the same formula. Known inputs: SD's own scaled-linear beta schedule and times chosen so that
s' = (1 - gamma) s falls on a whole step, where the reference needs no interpolation.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib_accelerator import tcd

# SD 1.x / SDXL training schedule: betas linear in sqrt from 0.00085 to 0.012 over 1000 steps.
_BETAS = np.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=np.float64) ** 2
ABAR = np.concatenate([[1.0], np.cumprod(1.0 - _BETAS)])  # ABAR[tau], tau = 0..1000
SIGMAS = np.sqrt((1.0 - ABAR[1:]) / ABAR[1:])  # sigma at tau = 1..1000, ascending
TABLE = tcd.SigmaTable.of(SIGMAS)
SHAPE = (2, 4, 3, 3)


def sigma_at(tau: int) -> float:
    return float(math.sqrt((1.0 - ABAR[tau]) / ABAR[tau]))


def eps_model(x_vp: np.ndarray, tau: int) -> np.ndarray:
    """A fixed, input-dependent stand-in for the network's noise prediction."""
    return 0.8 * np.tanh(x_vp) + 0.05 * math.cos(tau / 97.0)


def reference_step(x_t: np.ndarray, eps: np.ndarray, t: int, s: int, gamma: float, z: np.ndarray) -> np.ndarray:
    """One step of Strategic Stochastic Sampling, VP form: predict x0, follow the trajectory to s' = (1 - gamma) s,
    then diffuse forward to s with fresh noise z."""
    s_mid = round((1.0 - gamma) * s)
    assert abs(s_mid - (1.0 - gamma) * s) < 1e-9, "test times must put s' on a whole step"
    x0 = (x_t - math.sqrt(1.0 - ABAR[t]) * eps) / math.sqrt(ABAR[t])
    x_mid = math.sqrt(ABAR[s_mid]) * x0 + math.sqrt(1.0 - ABAR[s_mid]) * eps
    ratio = ABAR[s] / ABAR[s_mid]
    return math.sqrt(ratio) * x_mid + math.sqrt(1.0 - ratio) * z


def reference_lcm_step(x_t: np.ndarray, eps: np.ndarray, t: int, s: int, z: np.ndarray) -> np.ndarray:
    """LCM multistep sampling: jump to the x0 prediction, then noise it to time s."""
    x0 = (x_t - math.sqrt(1.0 - ABAR[t]) * eps) / math.sqrt(ABAR[t])
    return math.sqrt(ABAR[s]) * x0 + math.sqrt(1.0 - ABAR[s]) * z


def reference_ddim_step(x_t: np.ndarray, eps: np.ndarray, t: int, s: int) -> np.ndarray:
    """Deterministic DDIM (eta 0)."""
    x0 = (x_t - math.sqrt(1.0 - ABAR[t]) * eps) / math.sqrt(ABAR[t])
    return math.sqrt(ABAR[s]) * x0 + math.sqrt(1.0 - ABAR[s]) * eps


def module_step(x_vp: np.ndarray, t: int, s: int, gamma: float, z: np.ndarray) -> np.ndarray:
    """The same step through lib_accelerator.tcd, in sigma space, converted back to VP form."""
    sigma, sigma_next = sigma_at(t), sigma_at(s)
    x = x_vp / math.sqrt(ABAR[t])
    denoised = x - sigma * eps_model(x_vp, t)  # what the WebUI's eps denoiser returns
    mid = tcd.intermediate_sigma(sigma_next, gamma, TABLE)
    return tcd.step(x, denoised, sigma, sigma_next, mid, lambda: z) * math.sqrt(ABAR[s])


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(20240229)


# (t, s, gamma): s' = (1 - gamma) * s is a whole step in every case
STEPS = [
    (1000, 750, 0.0),
    (1000, 750, 0.2),
    (1000, 750, 0.3),
    (1000, 750, 0.5),
    (1000, 750, 1.0),
    (750, 500, 0.3),
    (500, 250, 0.6),
    (250, 100, 0.3),
    (999, 10, 0.9),
    (260, 1, 0.0),
]


@pytest.mark.parametrize(("t", "s", "gamma"), STEPS)
def test_step_matches_the_papers_equations(rng, t, s, gamma):
    x_vp = rng.standard_normal(SHAPE)
    z = rng.standard_normal(SHAPE)
    expected = reference_step(x_vp, eps_model(x_vp, t), t, s, gamma, z)
    np.testing.assert_allclose(module_step(x_vp, t, s, gamma, z), expected, rtol=1e-9, atol=1e-9)


def test_last_step_returns_the_x0_prediction(rng):
    x = rng.standard_normal(SHAPE)
    denoised = rng.standard_normal(SHAPE)
    drawn = []
    for gamma in (0.0, 0.3, 1.0):
        mid = tcd.intermediate_sigma(0.0, gamma, TABLE)
        assert mid == 0.0
        out = tcd.step(x, denoised, 0.5, 0.0, mid, lambda: drawn.append(1) or x)
        np.testing.assert_array_equal(out, denoised)
    assert drawn == []  # no noise is drawn when none is added


@pytest.mark.parametrize(("t", "s"), [(1000, 750), (750, 500), (500, 250), (250, 1)])
def test_gamma_one_is_lcm_multistep(rng, t, s):
    x_vp = rng.standard_normal(SHAPE)
    z = rng.standard_normal(SHAPE)
    expected = reference_lcm_step(x_vp, eps_model(x_vp, t), t, s, z)
    np.testing.assert_allclose(module_step(x_vp, t, s, 1.0, z), expected, rtol=1e-9, atol=1e-9)
    # and the WebUI's own LCM loop body (sd_samplers_lcm.sample_lcm): x = denoised + sigma_next * noise
    x = x_vp / math.sqrt(ABAR[t])
    denoised = x - sigma_at(t) * eps_model(x_vp, t)
    webui_lcm = denoised + sigma_at(s) * z
    mid = tcd.intermediate_sigma(sigma_at(s), 1.0, TABLE)
    np.testing.assert_allclose(tcd.step(x, denoised, sigma_at(t), sigma_at(s), mid, lambda: z), webui_lcm, rtol=1e-12)


@pytest.mark.parametrize(("t", "s"), [(1000, 750), (500, 250), (250, 1)])
def test_gamma_zero_is_deterministic_ddim_and_euler(rng, t, s):
    x_vp = rng.standard_normal(SHAPE)
    expected = reference_ddim_step(x_vp, eps_model(x_vp, t), t, s)
    never = lambda: pytest.fail("gamma 0 must not draw noise")  # noqa: E731
    sigma, sigma_next = sigma_at(t), sigma_at(s)
    x = x_vp / math.sqrt(ABAR[t])
    denoised = x - sigma * eps_model(x_vp, t)
    out = tcd.step(x, denoised, sigma, sigma_next, tcd.intermediate_sigma(sigma_next, 0.0, TABLE), never)
    np.testing.assert_allclose(out * math.sqrt(ABAR[s]), expected, rtol=1e-9, atol=1e-9)
    # k-diffusion's Euler step: x + (sigma_next - sigma) * (x - denoised) / sigma
    euler = x + (sigma_next - sigma) * (x - denoised) / sigma
    np.testing.assert_allclose(out, euler, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 0.2, 0.3, 0.5, 1.0])
def test_whole_sampling_loop_matches_the_reference_loop(rng, gamma):
    """Four steps from pure noise to the image, as the WebUI runs them: sigmas descending, ending at 0."""
    times = [1000, 750, 500, 250, 0]  # (1 - gamma) * s is whole for every gamma above
    noises = {t: rng.standard_normal(SHAPE) for t in times}
    start = rng.standard_normal(SHAPE)

    x_ref = start * math.sqrt(1.0 - ABAR[1000])  # x_T in VP form, as DDPM samplers start
    for t, s in itertools.pairwise(times):
        x_ref = reference_step(x_ref, eps_model(x_ref, t), t, s, gamma, noises[s])

    sigmas = [sigma_at(t) if t else 0.0 for t in times]
    by_sigma = {sigma: t for sigma, t in zip(sigmas, times, strict=True)}

    def denoise(x, i):
        t = times[i]
        x_vp = x * math.sqrt(ABAR[t])
        return x - sigmas[i] * eps_model(x_vp, t)

    def noise(sigma, sigma_next):
        return noises[by_sigma[sigma_next]]

    x_start = start * math.sqrt(1.0 - ABAR[1000]) / math.sqrt(ABAR[1000])  # = start * sigma_T
    out = tcd.sample(denoise, x_start, sigmas, gamma=gamma, table=TABLE, noise=noise)
    np.testing.assert_allclose(out, x_ref, rtol=1e-8, atol=1e-8)  # at tau 0 the two forms coincide


def test_sample_reports_each_step_and_draws_noise_once_per_noisy_step(rng):
    sigmas = [sigma_at(t) for t in (999, 700, 400, 100)] + [0.0]
    seen, drawn = [], []

    def denoise(x, i):
        seen.append(i)
        return x * 0.5

    def noise(sigma, sigma_next):
        drawn.append((sigma, sigma_next))
        return np.zeros(SHAPE)

    tcd.sample(denoise, rng.standard_normal(SHAPE), sigmas, gamma=0.3, table=TABLE, noise=noise, steps=range)
    assert seen == [0, 1, 2, 3]
    assert drawn == [(sigmas[i], sigmas[i + 1]) for i in range(3)]  # none for the last step to sigma 0


def test_table_round_trip_and_ends():
    for tau in (1, 2, 37, 500, 999, 1000):
        assert TABLE.sigma(tau) == pytest.approx(SIGMAS[tau - 1], rel=1e-15)
        assert TABLE.tau(float(SIGMAS[tau - 1])) == pytest.approx(tau, abs=1e-9)
    assert TABLE.sigma(0) == 0.0 and TABLE.tau(0.0) == 0.0
    assert TABLE.sigma(0.5) == pytest.approx(SIGMAS[0] / 2)
    assert TABLE.tau(100.0) == 1000.0 and TABLE.sigma(5000) == SIGMAS[-1]


@given(
    tau=st.floats(min_value=0.0, max_value=1000.0, allow_nan=False),
)
def test_tau_inverts_sigma_everywhere(tau):
    assert TABLE.tau(TABLE.sigma(tau)) == pytest.approx(tau, abs=1e-7)


@given(
    index=st.integers(min_value=0, max_value=999),
    gammas=st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=2, max_size=2),
)
def test_intermediate_level_lies_between_clean_and_next_and_falls_with_gamma(index, gammas):
    sigma_next = float(SIGMAS[index])
    low, high = sorted(gammas)
    mid_low = tcd.intermediate_sigma(sigma_next, low, TABLE)
    mid_high = tcd.intermediate_sigma(sigma_next, high, TABLE)
    assert 0.0 <= mid_high <= mid_low <= sigma_next


@pytest.mark.parametrize("gamma", [-0.1, 1.5, float("nan")])
def test_gamma_outside_zero_to_one_is_refused(gamma):
    with pytest.raises(ValueError, match="between 0 and 1"):
        tcd.intermediate_sigma(1.0, gamma, TABLE)


@pytest.mark.parametrize("bad", [(), (0.0, 1.0), (2.0, 1.0), (1.0, float("inf"))])
def test_table_must_be_positive_and_ascending(bad):
    with pytest.raises(ValueError, match="noise levels"):
        tcd.SigmaTable.of(bad)
