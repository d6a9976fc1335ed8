"""Decide exactly what one generation sets: a pure function of request, preset and host.

Names set in the WebUI's `process()` hook are no longer normalised by the WebUI, so every sampler and
schedule name in a Plan is one that the running host listed in its `HostCapabilities`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lib_accelerator import compatibility, infotext
from lib_accelerator.compatibility import PlanError, Resolution
from lib_accelerator.families import LoadedModel
from lib_accelerator.names import AUTOMATIC, SAMPLERS, SCHEDULES, sampler_id_for, schedule_id_for
from lib_accelerator.presets.catalog import Catalog, Variant
from lib_accelerator.request import Request, RequestError

__all__ = ["GenerationContext", "HostCapabilities", "Plan", "PlanError", "Resolution", "make_plan", "resolve_variant"]


@dataclass(frozen=True)
class HostCapabilities:
    """What the running WebUI offers, found by feature detection (never by version number)."""

    name: str
    samplers: frozenset[str]
    schedulers: frozenset[str] | None  # None: no "Schedule type" dropdown (A1111 < 1.9)
    skips_uncond_at_cfg1: bool = False
    has_hr_cfg: bool = False
    has_distilled_cfg: bool = False
    # The sampler's flow-matching shift can be set for the loaded model: Forge Neo only for engines with
    # `use_shift` (Wan, Z-Image, Lumina; not Qwen-Image), through `p.distilled_cfg_scale`; SD.Next for flow
    # models, through `p.schedulers_shift`. The adapter sets it for the model that is loaded.
    has_shift: bool = False
    # Whose key-matching rules the host's LoRA loader follows ("a1111", "forge", ...): which layouts need converting.
    lora_loader: str = "a1111"
    # Only where a sampler takes just some of the schedules (Forge Classic spells Euler + SGM Uniform as a sampler
    # of its own, "Euler SGMUniform"): sampler -> the schedule labels it takes. None: any sampler takes any schedule.
    sampler_schedules: Mapping[str, frozenset[str]] | None = field(default=None, compare=False, hash=False)

    def takes(self, sampler: str, schedule: str) -> bool:
        if self.schedulers is None or schedule not in self.schedulers:
            return False
        return self.sampler_schedules is None or schedule in self.sampler_schedules.get(sampler, frozenset())


@dataclass(frozen=True)
class GenerationContext:
    is_img2img: bool = False
    hires: bool = False


@dataclass(frozen=True)
class Plan:
    variant_id: str
    method_id: str
    # The stem the `<lora:…>` tag names; "" for a recipe-only variant: then no tag is added at all.
    lora_name: str
    strength: float
    steps: int
    cfg: float
    sampler: str
    scheduler: str | None
    hires: bool
    hr_cfg: float | None
    distilled_cfg: float | None
    fix_img2img_steps: bool
    skip_uncond: bool
    warnings: tuple[str, ...] = ()
    infotext: dict[str, str | int | float] = field(default_factory=dict)
    # The sampler shift to set; None: leave the host's (the variant has none, or the host cannot set it).
    shift: float | None = None

    @property
    def adds_lora(self) -> bool:
        return bool(self.lora_name)


def resolve_variant(catalog: Catalog, request: Request, loaded: LoadedModel | str | None) -> Resolution:
    """Pick the variant for what is loaded (a family id, or a LoadedModel with base variant and precision)."""
    return compatibility.resolve(catalog, request, loaded)


def _pick_sampler(request: Request, variant: Variant, host: HostCapabilities) -> tuple[str, list[str]]:
    if request.sampler:
        neutral = sampler_id_for(request.sampler)
        name = SAMPLERS.get(neutral or "", request.sampler)
        if name not in host.samplers:
            raise RequestError(
                f"Accelerator: sampler {request.sampler!r} is not in this WebUI; "
                f"available: {', '.join(sorted(host.samplers))}"
            )
        return name, []
    for i, neutral in enumerate(variant.samplers):
        listed = SAMPLERS[neutral]
        if listed in host.samplers:
            notes = []
            if i > 0:
                wanted = SAMPLERS[variant.samplers[0]]
                notes.append(f"this WebUI has no {wanted} sampler, so {listed} is used")
            return listed, notes
    wanted = " or ".join(SAMPLERS[s] for s in variant.samplers)
    raise PlanError(
        f"Accelerator: {variant.id} needs the {wanted} sampler, which this WebUI does not have "
        f"(the LCM sampler needs A1111 1.8 or newer); update the WebUI or choose another method"
    )


def _pick_schedule(
    request: Request, variant: Variant, host: HostCapabilities, sampler: str
) -> tuple[str | None, list[str]]:
    if host.schedulers is None:
        return None, ["this WebUI has no Schedule type setting; its default schedule is used"]
    if request.schedule:
        neutral = schedule_id_for(request.schedule)
        label = SCHEDULES.get(neutral or "", request.schedule)
        if not host.takes(sampler, label):
            taken = sorted(s for s in host.schedulers if host.takes(sampler, s))
            raise RequestError(
                f"Accelerator: schedule type {request.schedule!r} is not in this WebUI for the {sampler} sampler; "
                f"available: {', '.join(taken)}"
            )
        return label, []
    for i, neutral in enumerate(variant.schedules):
        label = SCHEDULES[neutral]
        if host.takes(sampler, label):
            wanted = SCHEDULES[variant.schedules[0]]
            return label, [f"this WebUI has no {wanted} schedule for {sampler}, so {label} is used"] if i else []
    return AUTOMATIC, [f"none of the schedules {variant.id} wants is in this WebUI for {sampler}; {AUTOMATIC} is used"]


def _pick_shift(request: Request, variant: Variant, host: HostCapabilities) -> tuple[float | None, list[str]]:
    wanted = variant.shift if request.shift is None else request.shift
    if variant.shift is None:
        notes = [f"{variant.id} has no shift, so the shift {request.shift:g} is not set"] if request.shift else []
        return None, notes
    if not host.has_shift:
        return None, [f"this WebUI cannot set the shift for this model; {variant.id} was made for shift {wanted:g}"]
    return wanted, []


def _range_warnings(request: Request, variant: Variant) -> list[str]:
    checks = (
        ("steps", request.steps, variant.steps_range),
        ("strength", request.strength, variant.strength_range),
        ("CFG", request.cfg, variant.cfg_range),
    )
    return [
        f"{label} {value:g} is outside the range {low:g}-{high:g} that {variant.id} was made for"
        for label, value, (low, high) in checks
        if value is not None and not low - 1e-9 <= value <= high + 1e-9
    ]


def make_plan(
    request: Request,
    resolution: Resolution,
    host: HostCapabilities,
    lora_name: str,
    context: GenerationContext,
) -> Plan:
    """`lora_name`: the stem the tag names (a converted copy's, perhaps); ignored for a recipe-only variant."""
    variant = resolution.variant
    sampler, sampler_notes = _pick_sampler(request, variant, host)
    scheduler, schedule_notes = _pick_schedule(request, variant, host, sampler)
    shift, shift_notes = _pick_shift(request, variant, host)
    cfg = variant.cfg if request.cfg is None else request.cfg
    return Plan(
        variant_id=variant.id,
        method_id=variant.method_id,
        lora_name="" if variant.recipe_only else lora_name,
        strength=variant.strength if request.strength is None else request.strength,
        steps=variant.steps if request.steps is None else request.steps,
        cfg=cfg,
        sampler=sampler,
        scheduler=scheduler,
        hires=context.hires,
        hr_cfg=cfg if context.hires and host.has_hr_cfg else None,
        distilled_cfg=variant.distilled_cfg if host.has_distilled_cfg else None,
        fix_img2img_steps=context.is_img2img,
        skip_uncond=cfg == 1.0 and not host.skips_uncond_at_cfg1,
        warnings=(
            *resolution.warnings,
            *sampler_notes,
            *schedule_notes,
            *shift_notes,
            *_range_warnings(request, variant),
        ),
        # A shift the plan does not set (the variant has none, or this WebUI cannot set it) did not make the
        # image, so PNG info must not say it did: pasted back, it would claim a setting that was never used.
        infotext=infotext.encode(request if shift is not None else replace(request, shift=None), variant.id),
        shift=shift,
    )
