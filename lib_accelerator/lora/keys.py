"""Classify LoRA tensor names by key layout, and decide which layouts a WebUI's loader cannot apply.

Facts behind the rules (read in the WebUI sources, paraphrased):

* A1111 1.10.1 `extensions-builtin/Lora/networks.py:load_network` splits every key at its FIRST '.' into module
  and weight part, then maps the module with `convert_diffusers_name_to_compvis` (kohya names built from
  diffusers layer names: `lora_unet_down_blocks_…`, `lora_te_text_model_encoder_layers_…`, `lora_te2_…`) or the
  fallbacks `lora_unet_` -> `diffusion_model_` (SDXL compvis names) and `lora_te1_text_model` ->
  `0_transformer_text_model`. A dotted key (`unet.down_blocks…`) yields the module `unet`, matches nothing and is
  skipped silently (debug log "didn't match keys"). `network_lora.py:ModuleTypeLora` accepts `lora_A/lora_B`
  only from 1.10 on (1.9.4 knows only `lora_up/lora_down`).
* Forge `packages_3rdparty/comfyui_lora_collection/lora.py:model_lora_keys_unet` maps `lora_unet_<ldm or
  diffusers name>`, `diffusion_model.<ldm name>` and, for dotted diffusers names, only the attention-processor
  spelling (`.to_q` rewritten to `.processor.to_q`, `.to_out.0` to `.to_out`). So `unet.….attn1.to_q.lora_A.weight`
  and `unet.….attn1.to_q.lora.down.weight` stay unmatched, and `sd_forge_lora/networks.py:load_lora_for_models`
  drops the whole file when more than 12 keys are unmatched. Text-encoder dotted names do map there
  (`model_lora_keys_clip`), and FLUX `transformer.*` / `lora_transformer_*` names map when a FLUX model is loaded.

Checked on the webui-harness (A1111 1.10.1, Forge dfdcbab6, random SD1.5): its PEFT and diffusers LoRAs give
pixel-identical images with and without the tag (Forge logs "LoRA version mismatch"); converted by
`lora_convert`, they give exactly the image of their kohya twin.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from lib_accelerator.lora.header import SafetensorsHeader


class KeyFormat(str, Enum):
    KOHYA = "kohya"  # lora_unet_/lora_te*_ module names with lora_down/lora_up/alpha (or LyCORIS) weights
    DIFFUSERS_DOTTED = "diffusers_dotted"  # unet.….lora.down.weight, …_lora.down.weight, …lora_linear_layer…
    PEFT = "peft"  # ….lora_A.weight / ….lora_B.weight, on dotted or on kohya module names
    COMPVIS_DOTTED = "compvis_dotted"  # diffusion_model.<ldm name>.lora_down.weight (ComfyUI style)
    FLUX_TRANSFORMER = "flux_transformer"  # transformer.… / lora_transformer_… / bare transformer_blocks.…: DiT keys
    # diffusion_model.<DiT name> (Wan `blocks.N.self_attn.q`, Qwen-Image `transformer_blocks.N.attn.to_q`): the
    # native names of models that only hosts with their own loaders run (Forge Neo maps `diffusion_model.*` for
    # every model, notes/forge-neo.md section 5; SD.Next likewise): never renamed to kohya form.
    NATIVE_DIT = "native_dit"
    UNKNOWN = "unknown"


HOST_A1111, HOST_FORGE = "a1111", "forge"

UNET_ROOTS = frozenset({
    "down_blocks", "mid_block", "up_blocks", "conv_in", "conv_out", "conv_norm_out",
    "time_embedding", "add_embedding",
})  # fmt: skip
DIT_ROOTS = frozenset({
    "transformer_blocks", "single_transformer_blocks", "x_embedder", "context_embedder", "time_text_embed",
    "pos_embed", "double_blocks", "single_blocks", "joint_blocks", "img_in", "txt_in",
})  # fmt: skip
# ldm UNet roots after `diffusion_model.` (ComfyUI-style SD/SDXL LoRAs); any other root there is a DiT's.
LDM_ROOTS = frozenset({"input_blocks", "middle_block", "output_blocks", "time_embed", "label_emb", "out"})
_COMPONENT_PREFIXES = (
    ("unet.", "unet"), ("text_encoder_2.", "te2"), ("text_encoder.", "te"),
    ("transformer.", "transformer"), ("diffusion_model.", "compvis"),
)  # fmt: skip
_KOHYA_PREFIXES = (
    ("lora_unet_", "unet"), ("lora_te1_", "te1"), ("lora_te2_", "te2"), ("lora_te3_", "te3"), ("lora_te_", "te"),
    ("lora_transformer_", "transformer"),
)  # fmt: skip
_KOHYA_SUFFIXES = {"lora_down.weight": "down", "lora_up.weight": "up", "lora_mid.weight": "mid", "alpha": "alpha"}
_DOTTED_SUFFIXES = (
    (".lora.down.weight", "down", "diffusers_lora"), (".lora.up.weight", "up", "diffusers_lora"),
    ("_lora.down.weight", "down", "diffusers_attn_processor"), ("_lora.up.weight", "up", "diffusers_attn_processor"),
    (".lora_linear_layer.down.weight", "down", "diffusers_lora_linear_layer"),
    (".lora_linear_layer.up.weight", "up", "diffusers_lora_linear_layer"),
    (".lora_down.weight", "down", "dotted_kohya_suffix"), (".lora_up.weight", "up", "dotted_kohya_suffix"),
    (".lora_mid.weight", "mid", "dotted_kohya_suffix"), (".alpha", "alpha", "dotted_alpha"),
)  # fmt: skip
# PEFT may keep the adapter name between lora_A and weight (`lora_A.default.weight`).
_PEFT_SUFFIX = re.compile(r"\.lora_([AB])(?:\.[A-Za-z0-9_-]+)?\.weight$")


@dataclass(frozen=True)
class ParsedKey:
    """One tensor name taken apart. `module` is dotted for dotted layouts and the kohya name for kohya ones."""

    key: str
    pattern: str  # fine-grained layout, e.g. "kohya", "peft", "diffusers_attn_processor", "unknown"
    key_format: KeyFormat | None  # None: the key follows whatever its neighbours use (a bare dotted alpha)
    component: str  # unet, te, te1, te2, te3, transformer, compvis, or "" when unknown
    module: str
    role: str  # down, up, mid, alpha, or other (LyCORIS, DoRA, bias…)


def _dotted_component(module: str) -> tuple[str, str]:
    for prefix, component in _COMPONENT_PREFIXES:
        if module.startswith(prefix):
            rest = module[len(prefix) :]
            if component == "compvis" and rest.split(".", 1)[0] not in LDM_ROOTS:
                return "dit", rest
            return component, rest
    rest = module.removeprefix("base_model.model.")
    root = rest.split(".", 1)[0]
    if root in UNET_ROOTS:
        return "unet", rest
    if root == "text_model":
        return "te", rest
    if root in DIT_ROOTS or root in {"norm_out", "proj_out"}:
        return "transformer", rest
    return "", rest


def _dotted_format(component: str, pattern: str) -> KeyFormat | None:
    if component == "transformer":
        return KeyFormat.FLUX_TRANSFORMER
    if component == "compvis":
        return KeyFormat.COMPVIS_DOTTED
    if component == "dit":
        return KeyFormat.NATIVE_DIT
    if component == "":
        return KeyFormat.UNKNOWN
    if pattern == "dotted_alpha":
        return None
    return KeyFormat.PEFT if pattern == "peft" else KeyFormat.DIFFUSERS_DOTTED


def _parse_kohya(key: str, component: str, module: str, weight: str) -> ParsedKey:
    dit = component == "transformer"
    peft = _PEFT_SUFFIX.match("." + weight)
    if peft is not None:
        # A1111 before 1.10 knows only lora_up/lora_down, so lora_A on a kohya module still needs renaming.
        role = "down" if peft.group(1) == "A" else "up"
        kformat = KeyFormat.FLUX_TRANSFORMER if dit else KeyFormat.PEFT
        return ParsedKey(key, "kohya_lora_ab", kformat, component, module, role)
    kformat = KeyFormat.FLUX_TRANSFORMER if dit else KeyFormat.KOHYA
    return ParsedKey(key, "kohya", kformat, component, module, _KOHYA_SUFFIXES.get(weight, "other"))


def parse_key(key: str) -> ParsedKey:
    """Take a tensor name apart without knowing the model; unrecognised names get pattern "unknown"."""
    for prefix, component in _KOHYA_PREFIXES:
        if key.startswith(prefix) and "." in key:
            module, _, weight = key.partition(".")
            return _parse_kohya(key, component, module, weight)
    peft = _PEFT_SUFFIX.search(key)
    if peft is not None:
        component, module = _dotted_component(key[: peft.start()])
        role = "down" if peft.group(1) == "A" else "up"
        return ParsedKey(key, "peft", _dotted_format(component, "peft"), component, module, role)
    for suffix, role, pattern in _DOTTED_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            component, module = _dotted_component(key[: -len(suffix)])
            return ParsedKey(key, pattern, _dotted_format(component, pattern), component, module, role)
    return ParsedKey(key, "unknown", KeyFormat.UNKNOWN, "", key, "other")


@dataclass(frozen=True)
class KeyFormatReport:
    """The layout of a whole file, with per-pattern key counts so that a mixed file can be explained."""

    key_format: KeyFormat
    formats: Mapping[KeyFormat, int]  # keys per layout
    patterns: Mapping[str, int]  # keys per fine-grained pattern
    unknown_keys: tuple[str, ...] = ()

    @property
    def is_mixed(self) -> bool:
        return len([f for f in self.formats if f is not KeyFormat.UNKNOWN]) > 1

    def describe(self) -> str:
        counts = ", ".join(f"{name}: {n}" for name, n in sorted(self.patterns.items()))
        return f"{self.key_format.value} ({counts})"


# A kohya key beside convertible ones does not make the file loadable, so any convertible layout wins.
_CONVERTIBLE = (KeyFormat.DIFFUSERS_DOTTED, KeyFormat.PEFT, KeyFormat.COMPVIS_DOTTED)


def classify_keys(names: Iterable[str]) -> KeyFormatReport:
    parsed = [parse_key(name) for name in names]
    formats = Counter(p.key_format for p in parsed if p.key_format is not None)
    patterns = Counter(p.pattern for p in parsed)
    unknown = tuple(p.key for p in parsed if p.key_format is KeyFormat.UNKNOWN)
    known: Counter[KeyFormat] = Counter({f: n for f, n in formats.items() if f is not KeyFormat.UNKNOWN})
    convertible = [f for f in _CONVERTIBLE if known[f]]
    if convertible:
        dominant = max(convertible, key=lambda f: known[f])
    elif known:
        dominant = known.most_common(1)[0][0]
    else:
        dominant = KeyFormat.UNKNOWN
    return KeyFormatReport(dominant, dict(formats), dict(patterns), unknown)


def detect_key_format(header: SafetensorsHeader) -> KeyFormat:
    return classify_keys(header.names).key_format


def needs_conversion(key_format: KeyFormat, host: str) -> bool:
    """True when `host`'s loader would skip keys of this layout and renaming to kohya form fixes that.

    Hosts other than "forge" get A1111's rules: they are the stricter ones, and kohya names load everywhere.
    DIFFUSERS_DOTTED and PEFT are converted on Forge too: its dotted UNet names exist only in the
    attention-processor spelling, so typical diffusers/PEFT attention keys stay unmatched (see module docstring).
    FLUX_TRANSFORMER and NATIVE_DIT are never converted: A1111 has no FLUX, Qwen-Image or Wan, and A1111's
    SD3 path expects exactly these diffusers names (`modules/models/sd3/sd3_model.py:diffusers_weight_mapping`);
    Forge maps them for FLUX, and the hosts that run Qwen-Image and Wan (Forge Neo, SD.Next) map their names.
    """
    if key_format in (KeyFormat.DIFFUSERS_DOTTED, KeyFormat.PEFT):
        return True
    if key_format is KeyFormat.COMPVIS_DOTTED:
        # Forge maps `diffusion_model.<ldm name>` directly; A1111 splits it into the module `diffusion_model`.
        return host.lower() != HOST_FORGE
    return False
