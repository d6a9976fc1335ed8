"""Trajectory Consistency Distillation sampling (Zheng et al., arXiv 2402.19159, "Strategic Stochastic Sampling").

No WebUI ships a TCD sampler, so Accelerator brings one. This module is the mathematics only: it works on any
array type with `+`, `-` and `* float` (numpy arrays in the unit tests, torch tensors in the WebUI) and takes the
model and the noise as callables, so it imports nothing but the standard library.

One step from noise level t to the next level s, in the paper's terms (DDPM time, alpha-bar schedule):

1. the model predicts x0 (and with it the noise eps) from x_t;
2. the trajectory is followed back to the intermediate time s' = (1 - gamma) * s:
   x_s' = sqrt(abar_s') * x0 + sqrt(1 - abar_s') * eps;
3. fresh noise takes it forward again to s: x_s = sqrt(abar_s / abar_s') * x_s' + sqrt(1 - abar_s / abar_s') * z.

gamma = 0 is deterministic (s' = s: DDIM, which is the Euler method in sigma space); gamma = 1 jumps to the clean
image and re-noises (s' = 0: LCM's multistep sampling). TCD's authors recommend gamma 0.3.

The WebUI's samplers work in sigma space (k-diffusion): x = x0 + sigma * eps with sigma = sqrt((1 - abar) / abar).
Dividing steps 2 and 3 by sqrt(abar) gives the form used here:

    x_s' = x0 + sigma_s' * eps,          eps = (x_t - x0) / sigma_t
    x_s  = x_s' + sqrt(sigma_s^2 - sigma_s'^2) * z

Time runs in DDPM steps tau = 1..T with tau = 0 the clean image (abar = 1, sigma = 0). The model's discrete noise
levels (`SigmaTable`) give sigma at tau = 1..T; between them sigma is interpolated in log space, as the WebUI does,
and between tau = 0 and 1 linearly from 0. (diffusers' TCDScheduler counts its table from 0 and rounds s' down to a
whole step; that moves s' by at most one of the 1000 steps.)
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

DEFAULT_GAMMA = 0.3

_A = TypeVar("_A", bound="Arraylike")


class Arraylike(Protocol):
    """The arithmetic a latent needs here; numpy arrays and torch tensors have it."""

    def __add__(self: _A, other: _A, /) -> _A: ...

    def __sub__(self: _A, other: _A, /) -> _A: ...

    def __mul__(self: _A, other: float, /) -> _A: ...


def check_gamma(gamma: float) -> float:
    """TCD's gamma (diffusers calls it eta) is a fraction of the way back to the clean image."""
    value = float(gamma)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"TCD gamma must be between 0 and 1, got {gamma!r}")
    return value


@dataclass(frozen=True)
class SigmaTable:
    """A model's discrete noise levels, ascending: `sigmas[k - 1]` is sigma at DDPM step tau = k."""

    sigmas: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.sigmas:
            raise ValueError("the model's noise levels are empty")
        if any(s <= 0 or not math.isfinite(s) for s in self.sigmas):
            raise ValueError("the model's noise levels must be positive and finite")
        if any(b < a for a, b in zip(self.sigmas[:-1], self.sigmas[1:], strict=True)):
            raise ValueError("the model's noise levels must be in ascending order")

    @classmethod
    def of(cls, sigmas: Iterable[float]) -> SigmaTable:
        return cls(tuple(float(s) for s in sigmas))

    def tau(self, sigma: float) -> float:
        """DDPM time of a noise level (inverse of `sigma`); clamped to the table's range."""
        sigmas = self.sigmas
        if sigma <= 0:
            return 0.0
        if sigma <= sigmas[0]:
            return sigma / sigmas[0]
        if sigma >= sigmas[-1]:
            return float(len(sigmas))
        upper = bisect.bisect_left(sigmas, sigma)  # sigmas[upper - 1] < sigma <= sigmas[upper]
        low, high = math.log(sigmas[upper - 1]), math.log(sigmas[upper])
        fraction = 0.0 if high == low else (math.log(sigma) - low) / (high - low)
        return upper + fraction  # index upper - 1 is tau = upper

    def sigma(self, tau: float) -> float:
        """Noise level at DDPM time `tau` (0 = clean image)."""
        sigmas = self.sigmas
        if tau <= 0:
            return 0.0
        if tau <= 1:
            return tau * sigmas[0]
        if tau >= len(sigmas):
            return sigmas[-1]
        lower = math.floor(tau)
        fraction = tau - lower
        if fraction == 0:
            return sigmas[lower - 1]
        low, high = math.log(sigmas[lower - 1]), math.log(sigmas[lower])
        return math.exp(low + fraction * (high - low))


def intermediate_sigma(sigma_next: float, gamma: float, table: SigmaTable) -> float:
    """sigma at s' = (1 - gamma) * s, where s is the time of `sigma_next`: how far back along the trajectory
    the step goes before fresh noise is added. gamma 0 gives `sigma_next` itself, gamma 1 gives 0."""
    gamma = check_gamma(gamma)
    if sigma_next <= 0 or gamma == 1.0:
        return 0.0
    if gamma == 0.0:
        return sigma_next
    return min(table.sigma((1.0 - gamma) * table.tau(sigma_next)), sigma_next)


def step(
    x: _A,
    denoised: _A,
    sigma: float,
    sigma_next: float,
    sigma_mid: float,
    noise: Callable[[], _A],
) -> _A:
    """One TCD step in sigma space; `noise()` (a standard normal sample) is drawn only when it is used."""
    if sigma <= 0:
        raise ValueError("a sampling step must start at a positive noise level")
    if not 0 <= sigma_mid <= sigma_next:
        raise ValueError(f"the intermediate noise level {sigma_mid} must lie between 0 and {sigma_next}")
    on_trajectory = denoised + (x - denoised) * (sigma_mid / sigma)
    fresh = math.sqrt(max(sigma_next * sigma_next - sigma_mid * sigma_mid, 0.0))
    if fresh == 0.0:
        return on_trajectory
    return on_trajectory + noise() * fresh


def sample(
    denoise: Callable[[_A, int], _A],
    x: _A,
    sigmas: Sequence[float],
    *,
    gamma: float,
    table: SigmaTable,
    noise: Callable[[float, float], _A],
    steps: Callable[[int], Iterable[int]] = range,
) -> _A:
    """Run TCD over the noise levels `sigmas` (descending, ending at 0 for a finished image).

    `denoise(x, i)` returns the model's x0 prediction for `x` at `sigmas[i]`; `noise(sigma, sigma_next)` returns a
    standard normal sample shaped like x (the WebUI's k-diffusion noise sampler has this signature); `steps(n)`
    iterates over 0..n-1 (the WebUI passes its progress bar).
    """
    check_gamma(gamma)
    levels = [float(s) for s in sigmas]
    for i in steps(len(levels) - 1):
        sigma, sigma_next = levels[i], levels[i + 1]
        denoised = denoise(x, i)
        mid = intermediate_sigma(sigma_next, gamma, table)
        x = step(x, denoised, sigma, sigma_next, mid, functools.partial(noise, sigma, sigma_next))
    return x
