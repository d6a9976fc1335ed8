"""A "TCD" sampler for WebUIs that have none (A1111 1.9/1.10 and Forge ship none; TCD LoRAs and the Hyper-SD
1-step LoRA are made for it).

Registered once, before the UI is built, into the WebUI's own sampler registry (`sd_samplers.all_samplers`), so
it shows up in the Sampling method dropdown, the API and the X/Y/Z grid like a built-in one. It is the WebUI's
k-diffusion sampler class with a different sampling function: the maths is `lib_accelerator.tcd`.

gamma (diffusers calls it eta) is 0.3, TCD's recommended value, unless the job sets `eta` (the API's `eta` field,
the X/Y/Z "Eta" axis); infotext records it as "TCD gamma". If the host already lists a sampler named "TCD", that
one is used and nothing is registered. A failure here is logged and the WebUI carries on: presets then fall back
to LCM or Euler, and say so.
"""

from __future__ import annotations

from typing import Any

from modules import sd_samplers, sd_samplers_common, sd_samplers_kdiffusion, shared

from lib_accelerator import names, tcd
from lib_accelerator.webui.log import LOG as log

SAMPLER_NAME = names.SAMPLERS["tcd"]  # the core's name for it; host capabilities say whether it exists
ALIASES = ["k_tcd"]
GAMMA_INFOTEXT = "TCD gamma"
# "Automatic" schedule for TCD: SGM Uniform, the closest to the trailing timesteps TCD was distilled with.
OPTIONS = {"scheduler": "sgm_uniform"}


def sample_tcd(
    model: Any,
    x: Any,
    sigmas: Any,
    extra_args: dict[str, Any] | None = None,
    callback: Any = None,
    disable: Any = None,
    noise_sampler: Any = None,
    gamma: float = tcd.DEFAULT_GAMMA,
    sigma_table: tcd.SigmaTable | None = None,
) -> Any:
    """k-diffusion sampling function (the WebUI passes model, x, sigmas and the keyword arguments)."""
    kds = _sampling_module()
    extra_args = {} if extra_args is None else extra_args
    # k-diffusion's default sampler draws from the job's seeded generator (the WebUI swaps in its TorchHijack).
    noise_sampler = kds.default_noise_sampler(x) if noise_sampler is None else noise_sampler
    table = sigma_table if sigma_table is not None else model_sigma_table(model.inner_model)
    s_in = x.new_ones([x.shape[0]])

    def denoise(latent: Any, i: int) -> Any:
        denoised = model(latent, sigmas[i] * s_in, **extra_args)
        if callback is not None:
            callback({"x": latent, "i": i, "sigma": sigmas[i], "sigma_hat": sigmas[i], "denoised": denoised})
        return denoised

    return tcd.sample(
        denoise,
        x,
        [float(s) for s in sigmas],
        gamma=gamma,
        table=table,
        noise=noise_sampler,
        steps=lambda n: kds.trange(n, disable=disable),
    )


def _sampling_module() -> Any:
    """The k-diffusion `sampling` module whose `torch` the WebUI points at the job's seeded generator in
    `Sampler.initialize`. A1111 and Forge use `k_diffusion.sampling`; reForge keeps the one it chose by its
    `sd_sampling` option (its own copy `k_diff.k_diffusion.sampling`, or ldm_patched's) as
    `sd_samplers_common.sampling` (modules/sd_samplers_common.py:10-13 and :335 at 3b56b268). Noise drawn from
    any other module would ignore the seed."""
    chosen = getattr(sd_samplers_common, "sampling", None)
    if chosen is not None and hasattr(chosen, "default_noise_sampler"):
        return chosen
    import k_diffusion.sampling

    return k_diffusion.sampling


def model_sigma_table(model_wrap: Any) -> tcd.SigmaTable:
    """The loaded model's discrete noise levels, from the WebUI's k-diffusion wrapper (A1111's CompVisDenoiser,
    Forge's ForgeScheduleLinker: both expose `sigmas`, ascending)."""
    return tcd.SigmaTable.of(float(s) for s in model_wrap.sigmas.detach().float().cpu().tolist())


def is_flow_model(model_wrap: Any, sd_model: Any) -> bool:
    """Flow-matching models (SD3, FLUX) mix noise as (1 - sigma) x0 + sigma eps, which TCD's steps do not fit."""
    predictor = getattr(model_wrap, "predictor", None)
    if getattr(predictor, "prediction_type", None) == "const":  # Forge: flow-matching predictors
        return True
    return bool(getattr(sd_model, "is_sd3", False)) or type(sd_model).__name__ in ("Flux", "Chroma")


def job_gamma(p: Any) -> float:
    eta = getattr(p, "eta", None)
    return tcd.check_gamma(tcd.DEFAULT_GAMMA if eta is None else float(eta))


class TCDSampler(sd_samplers_kdiffusion.KDiffusionSampler):
    def initialize(self, p: Any) -> dict[str, Any]:
        if is_flow_model(self.model_wrap, shared.sd_model):
            raise RuntimeError(
                "Accelerator: the TCD sampler works with SD 1.5, SD 2.x and SDXL models; "
                "choose another sampler (Euler) for SD3 and FLUX"
            )
        extra = dict(super().initialize(p))
        extra["gamma"] = job_gamma(p)
        extra["sigma_table"] = model_sigma_table(self.model_wrap)
        p.extra_generation_params[GAMMA_INFOTEXT] = extra["gamma"]
        return extra


def _make_sampler(model: Any) -> TCDSampler:
    return TCDSampler(sample_tcd, model)


def sampler_data() -> Any:
    return sd_samplers_common.SamplerData(SAMPLER_NAME, _make_sampler, ALIASES, OPTIONS)


def _is_ours(data: Any) -> bool:
    return getattr(data, "constructor", None) is _make_sampler


def _unregister(data: Any) -> None:
    if data in sd_samplers.all_samplers:
        sd_samplers.all_samplers.remove(data)
    if sd_samplers.all_samplers_map.get(data.name) is data:
        del sd_samplers.all_samplers_map[data.name]
    for key in [k for k, v in sd_samplers.samplers_map.items() if v == data.name]:
        del sd_samplers.samplers_map[key]


def _register() -> str:
    existing = sd_samplers.all_samplers_map.get(SAMPLER_NAME)
    if existing is not None:
        return "already registered" if _is_ours(existing) else "the WebUI's own TCD sampler is used"
    data = sampler_data()
    # all_samplers is also the list set_samplers() hands out as `samplers`; extend it in place, then let the
    # WebUI rebuild its name maps from it. A failure half-way leaves the registry as it was.
    sd_samplers.all_samplers.append(data)
    sd_samplers.all_samplers_map[data.name] = data
    try:
        sd_samplers.set_samplers()
    except Exception:
        _unregister(data)
        raise
    cache_clear = getattr(getattr(sd_samplers, "get_sampler_and_scheduler", None), "cache_clear", None)
    if callable(cache_clear):
        cache_clear()  # infotext paste may have looked "TCD" up before it existed
    return f"registered (gamma {tcd.DEFAULT_GAMMA:g}; this WebUI has no TCD sampler)"


def register(*_args: Any) -> None:
    """Add the TCD sampler unless the host lists one; never let a failure here stop the WebUI."""
    try:
        outcome = _register()
    except Exception:
        log.exception("Accelerator: could not add a TCD sampler; TCD presets will use LCM or Euler instead and say so")
        return
    if not outcome.startswith("already"):
        log.info("Accelerator: TCD sampler %s", outcome)
