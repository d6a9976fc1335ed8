"""Before any file is fetched: which variant of a method fits what is loaded, or a refusal that says why not
and what would work.

The decision is method x family x base variant x precision (x host): the family decides which files can fit
at all, the base variant picks the file (Qwen-Image-Edit-2509 has its own Lightning file), the precision and
the host refuse files that cannot be applied (`RULES`). `resolve` is what `plan.resolve_variant` runs;
`recipes_for` lists the settings-only variants for a checkpoint that is distilled itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib_accelerator.families import (
    BASE_VARIANTS,
    FAMILIES,
    FLUX2,
    FP8,
    NUNCHAKU,
    QWEN_IMAGE,
    Z_IMAGE,
    LoadedModel,
    base_variant_label,
    family_label,
)
from lib_accelerator.presets.catalog import Catalog, Method, Variant
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.request import Request, RequestError

FORGE_NEO = "forge_neo"


class PlanError(ValueError):
    """The request cannot be carried out on this model or host; the message says what would work."""


@dataclass(frozen=True)
class Resolution:
    variant: Variant
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A LoRA file that cannot work although family and base variant fit. Empty sets match anything."""

    family: str
    problem: str
    fix: str
    source: str
    precisions: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset()
    # A file whose name says it is the fix (an fp8-specific Lightning file) is not refused.
    exempt_name: str = ""

    def refuses(self, variant: Variant, loaded: LoadedModel) -> bool:
        return (
            not variant.recipe_only
            and variant.family == self.family == loaded.family
            and (not self.precisions or loaded.precision in self.precisions)
            and (not self.hosts or loaded.host in self.hosts)
            and (not self.methods or variant.method_id in self.methods)
            and not (self.exempt_name and any(self.exempt_name in _names_of(f) for f in variant.files))
        )


def _names_of(file: LoraFile) -> str:
    return f"{file.filename} {file.save_as} {file.local}".lower()


RULES: tuple[Rule, ...] = (
    Rule(
        QWEN_IMAGE,
        "this Qwen-Image checkpoint is plain fp8, and a Lightning LoRA on a plain-fp8 Qwen-Image needs the "
        "fp8-specific Lightning file (Qwen-Image-fp8-e4m3fn-Lightning), of which no public copy with a known "
        "sha256 was found",
        "load a bf16 or fp8-scaled Qwen-Image checkpoint (for example qwen_image_fp8_e4m3fn_scaled)",
        "reference/methods-2026.md section 2 ('Not found: Qwen-Image-fp8-e4m3fn-Lightning-4steps-V1.0-fp32')",
        precisions=frozenset({FP8}),
        # Every Qwen-Image speed LoRA, built in or a user's recipe or preset: all are bf16/fp32-trained
        # Lightning files, except one named for fp8.
        exempt_name="fp8",
    ),
    Rule(
        Z_IMAGE,
        "Forge Neo cannot apply a LoRA to a Nunchaku Z-Image model",
        "load a bf16 or fp8 Z-Image checkpoint",
        "Haoming02/sd-webui-forge-classic (neo) issue #826",
        precisions=frozenset({NUNCHAKU}),
        hosts=frozenset({FORGE_NEO}),
    ),
)

# Where a public source says more than "made for another base variant".
_BASE_MISMATCH: dict[tuple[str, str], str] = {
    ("edit", "edit-2509"): "the Qwen-Image-Edit Lightning LoRA breaks images on Qwen-Image-Edit-2509 and 2511 "
    "(ModelTC/Qwen-Image-Lightning issue #47)",
    ("edit", "edit-2511"): "the Qwen-Image-Edit Lightning LoRA breaks images on Qwen-Image-Edit-2509 and 2511 "
    "(ModelTC/Qwen-Image-Lightning issue #47)",
}
# Files that exist but cannot be pinned yet (reference/methods-2026.md: sha256 known, size or commit not).
_UNPINNED: dict[tuple[str, str], str] = {
    (QWEN_IMAGE, "edit-2511"): "Qwen-Image-Edit-2511 has its own Lightning files (lightx2v/Qwen-Image-Edit-2511-"
    "Lightning), whose exact size and commit are not public yet; add one as your own recipe",
    (Z_IMAGE, "base"): "the Z-Image distill LoRAs (alibaba-pai/Z-Image-Fun-Lora-Distill) have no public sha256 and "
    "size yet; add one as your own recipe",
    (FLUX2, "dev"): "the FLUX.2-dev Turbo LoRA has no public WebUI sampler settings (it was made for custom sigmas); "
    "add it as your own recipe",
}


def as_loaded(model: LoadedModel | str | None) -> LoadedModel:
    return model if isinstance(model, LoadedModel) else LoadedModel(model)


def rule_refusal(variant: Variant, loaded: LoadedModel) -> str | None:
    rule = next((r for r in RULES if r.refuses(variant, loaded)), None)
    return None if rule is None else f"Accelerator: {variant.id}: {rule.problem}; {rule.fix}"


def _base_refusal(variant: Variant, loaded: LoadedModel) -> str:
    made_for = " or ".join(base_variant_label(variant.family, b) for b in variant.base_variants)
    reason = next((_BASE_MISMATCH[(b, loaded.base_variant)] for b in variant.base_variants
                   if (b, loaded.base_variant) in _BASE_MISMATCH), "")  # fmt: skip
    return f"{variant.id} is made for {made_for}, the loaded checkpoint is {loaded.base_label}" + (
        f": {reason}" if reason else ""
    )


def check(variant: Variant, loaded: LoadedModel) -> str | None:
    """Why `variant` cannot be used with what is loaded, or None when it can."""
    if variant.family != loaded.family:
        return f"{variant.id} is for {family_label(variant.family)}, the loaded model is {family_label(loaded.family)}"
    if loaded.base_variant and not variant.fits_base(loaded.base_variant):
        return _base_refusal(variant, loaded)
    return rule_refusal(variant, loaded)


def _with_base(loaded: LoadedModel, candidates: tuple[Variant, ...]) -> tuple[LoadedModel, list[str]]:
    """An unknown base variant is the family's first, said in a warning, where the method's files differ by it."""
    if loaded.base_variant or not any(v.base_variants for v in candidates):
        return loaded, []
    assumed = next(iter(BASE_VARIANTS.get(loaded.family or "", {})), "")
    note = f"could not tell which {family_label(loaded.family)} checkpoint is loaded; {assumed or 'any'} is assumed"
    return LoadedModel(loaded.family, assumed, loaded.precision, loaded.host), [note]


def _usable(method: Method, loaded: LoadedModel, catalog: Catalog, chosen: Variant | None) -> tuple[Variant, ...]:
    candidates = method.variants_for(loaded.family or "")
    if not candidates:
        working = ", ".join(m.name for m in catalog.methods_for(loaded.family or "")) or "none yet"
        raise PlanError(
            f"Accelerator: {method.name} has no file for {family_label(loaded.family)} models; "
            f"methods that work with this model: {working}"
        )
    fitting = tuple(v for v in candidates if v.fits_base(loaded.base_variant))
    if not fitting:
        hint = _UNPINNED.get((loaded.family or "", loaded.base_variant), "") or "choose another method"
        why = f" ({_base_refusal(chosen, loaded)})" if chosen is not None and chosen.family == loaded.family else ""
        raise PlanError(f"Accelerator: {method.name} has no file for {loaded.base_label}{why}; {hint}")
    usable = tuple(v for v in fitting if rule_refusal(v, loaded) is None)
    if not usable:
        raise PlanError(str(rule_refusal(fitting[0], loaded)))
    return usable


def _default(usable: tuple[Variant, ...]) -> Variant:
    return next((v for v in usable if v.default), usable[0])


def _chosen(catalog: Catalog, request: Request) -> tuple[Variant | None, Method]:
    chosen = catalog.variant(request.variant) if request.variant else None
    if chosen is not None and request.method and chosen.method_id != request.method:
        chosen = None  # a method given alongside another method's variant (API positional defaults)
    method = catalog.method(chosen.method_id if chosen else request.method)
    if method is None:
        raise RequestError(f"Accelerator: unknown method or variant {request.variant or request.method!r}")
    return chosen, method


def resolve(catalog: Catalog, request: Request, model: LoadedModel | str | None) -> Resolution:
    """Pick the variant for what is loaded, following the user's choice as closely as possible."""
    loaded = as_loaded(model)
    if loaded.family is None:
        known = ", ".join(FAMILIES.values())
        raise PlanError(
            f"Accelerator: the loaded model is not one Accelerator knows ({known}); "
            "switch the checkpoint or turn Accelerator off"
        )
    chosen, method = _chosen(catalog, request)
    if chosen is not None and check(chosen, loaded) is None:
        return Resolution(chosen)  # an unknown base variant does not overrule the user's own choice
    loaded, notes = _with_base(loaded, method.variants_for(loaded.family))
    if chosen is not None and check(chosen, loaded) is None:
        return Resolution(chosen, tuple(notes))
    usable = _usable(method, loaded, catalog, chosen)
    if chosen is None:
        return Resolution(_default(usable), tuple(notes))
    picked = next((v for v in usable if v.steps == chosen.steps), None) or _default(usable)
    if chosen.family != loaded.family:
        why = (
            f"{chosen.label} of {method.name} is for {family_label(chosen.family)}; the loaded model is "
            f"{family_label(loaded.family)}"
        )
    else:
        why = str(check(chosen, loaded)).removeprefix("Accelerator: ")
    return Resolution(picked, (*notes, f"{why}, so '{picked.label}' ({picked.id}) is used"))


def recipes_for(catalog: Catalog, model: LoadedModel) -> tuple[Variant, ...]:
    """Settings-only variants for the loaded checkpoint, for the panel to propose (none when its base is unknown)."""
    return tuple(
        v
        for v in catalog.all_variants()
        if v.recipe_only
        and v.family == model.family
        and (v.fits_base(model.base_variant) if model.base_variant else not v.base_variants)
    )
