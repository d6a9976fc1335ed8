"""`python -m lib_accelerator list | show ID | plan ... | fetch ID... | verify`, without a WebUI.

`list`, `show` and `plan` need only the standard library; `fetch` and `verify` import the download
layer (huggingface_hub) when they run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lib_accelerator.families import BASE_VARIANTS, FAMILIES, PRECISIONS, LoadedModel, family_label
from lib_accelerator.plan import GenerationContext, HostCapabilities, PlanError, make_plan, resolve_variant
from lib_accelerator.presets.catalog import Catalog, Method, Variant, builtin_presets_dir, load_catalog
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.request import Request, RequestError, check_names

# Names as A1111 1.10 and Forge list them; `plan --host` picks one (the WebUI itself detects its own).
_A1111_SAMPLERS = frozenset({"Euler", "Euler a", "LCM", "DPM++ 2M", "DPM++ SDE", "DDIM", "UniPC", "Heun", "LMS"})
_A1111_SCHEDULES = frozenset({"Automatic", "Uniform", "Karras", "Exponential", "SGM Uniform", "Simple", "Normal"})
HOSTS = {
    "a1111": HostCapabilities("a1111", _A1111_SAMPLERS, _A1111_SCHEDULES),
    "a1111-1.9": HostCapabilities("a1111", _A1111_SAMPLERS, _A1111_SCHEDULES - {"Simple", "Normal"}),
    "forge": HostCapabilities(
        "forge", _A1111_SAMPLERS, _A1111_SCHEDULES | {"Turbo"}, True, has_hr_cfg=True, has_distilled_cfg=True
    ),
    # Forge Neo with a shift engine loaded (Wan, Z-Image); with Qwen-Image it has no shift (notes/forge-neo.md §3).
    "forge-neo": HostCapabilities(
        "forge_neo",
        _A1111_SAMPLERS | {"ER SDE", "Res Multistep"},
        _A1111_SCHEDULES | {"Beta", "Turbo", "FlowMatchEulerDiscrete", "Flux2"},
        True,
        has_hr_cfg=True,
        has_shift=True,
        lora_loader="forge",
    ),
}
_ALL_BASES = sorted({b for bases in BASE_VARIANTS.values() for b in bases})


def _catalog(args: argparse.Namespace) -> Catalog:
    loaded = load_catalog(builtin_presets_dir(), [Path(d) for d in args.presets_dir])
    for error in loaded.errors:
        print(f"warning: {error}", file=sys.stderr)
    return loaded


def _present(variant: Variant, lora_dir: Path | None) -> str:
    if lora_dir is None:
        return ""
    if variant.recipe_only:
        return "-"
    from lib_accelerator.download import ensure as download

    options = download.DownloadOptions(lora_dir=lora_dir)
    found = [download.find_present(f, options) for f in variant.files]
    return "yes" if all(found) else "partly" if any(found) else "no"


def _for(v: Variant) -> str:
    """Family, and the base variants the file is for when it is not for all of them."""
    return family_label(v.family) + (f" ({', '.join(v.base_variants)})" if v.base_variants else "")


def _list_line(method: Method, v: Variant) -> str:
    size = "-" if v.recipe_only else f"{v.size / 1e6:.0f}"
    shift = "-" if v.shift is None else f"{v.shift:g}"
    name = method.name + (" (experimental)" if method.experimental else "")
    return (
        f"{v.id:38} {_for(v):28} {v.steps:>5} {v.cfg:>4g} {shift:>5} {v.strength:>8g} {size:>6}  "
        f"{name}; licence: {method.license}"
    )


def cmd_list(args: argparse.Namespace) -> int:
    loaded = _catalog(args)
    header = (
        f"{'variant':38} {'family (base)':28} {'steps':>5} {'CFG':>4} {'shift':>5} {'strength':>8} {'MB':>6}  method"
    )
    print(header + ("  downloaded" if args.lora_dir else ""))
    for method in loaded.methods:
        for v in method.variants:
            if args.family and v.family != args.family:
                continue
            line = _list_line(method, v)
            print(line + (f"  {_present(v, args.lora_dir)}" if args.lora_dir else ""))
    return 0


def _file_rows(file: LoraFile) -> list[tuple[str, str]]:
    role = f" ({file.role})" if file.role else ""
    pinned = " (branch: the sha256 decides)" if file.on_branch else ""
    return [
        (f"file{role}", f"{file.repo_id}/{file.filename} @ {file.revision}{pinned}"),
        ("saved as", file.save_as),
        ("size", f"{file.size} bytes"),
        ("sha256", file.sha256),
    ]


def cmd_show(args: argparse.Namespace) -> int:
    loaded = _catalog(args)
    variant = loaded.variant(args.id)
    if variant is None:
        print(f"unknown variant {args.id!r}; `list` shows them all", file=sys.stderr)
        return 2
    method = loaded.method(variant.method_id)
    assert method is not None
    rows = [
        ("method", method.name),
        ("family", _for(variant)),
        *(row for file in variant.files for row in _file_rows(file)),
        *([("file", "none: settings only, no LoRA tag")] if variant.recipe_only else []),
        ("steps", f"{variant.steps} (range {variant.steps_range[0]}-{variant.steps_range[1]})"),
        ("strength", f"{variant.strength:g} (range {variant.strength_range[0]:g}-{variant.strength_range[1]:g})"),
        ("CFG", f"{variant.cfg:g} (range {variant.cfg_range[0]:g}-{variant.cfg_range[1]:g})"),
        ("sampler", " then ".join(variant.samplers)),
        ("schedule", " then ".join(variant.schedules)),
        ("shift", "none" if variant.shift is None else f"{variant.shift:g}"),
        ("negative prompt", variant.negative_prompt),
        ("licence", f"{method.license} {method.license_url}".strip()),
        ("note", variant.notes.get("en", "")),
    ]
    rows += [(f"source: {k}", v) for k, v in variant.sources.items()]
    for key, value in rows:
        print(f"{key:>18}: {value}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    loaded = _catalog(args)
    request = Request(
        True, args.method or "", args.variant or "", args.strength, args.steps, args.cfg, shift=args.shift
    )
    host = HOSTS[args.host]
    model = LoadedModel(args.family, args.base or "", args.precision or "", host.name)
    try:
        check_names(request, loaded)
        resolution = resolve_variant(loaded, request, model)
        context = GenerationContext(is_img2img=args.img2img, hires=args.hires)
        plan = make_plan(request, resolution, host, resolution.variant.lora_stem, context)
    except (RequestError, PlanError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"prompt tag     : {f'<lora:{plan.lora_name}:{plan.strength:g}>' if plan.adds_lora else '(none)'}")
    print(f"steps          : {plan.steps}")
    print(f"CFG scale      : {plan.cfg:g}")
    print(f"sampler        : {plan.sampler}")
    print(f"schedule type  : {plan.scheduler or '(host default)'}")
    print(f"shift          : {'(not set)' if plan.shift is None else f'{plan.shift:g}'}")
    if plan.hires:
        print(
            f"hires pass     : {plan.steps} steps, {plan.sampler}" + (f", CFG {plan.hr_cfg:g}" if plan.hr_cfg else "")
        )
    if plan.fix_img2img_steps:
        print("img2img        : exactly the steps above run, whatever the denoising strength")
    print("infotext       : " + ", ".join(f"{k}: {v}" for k, v in plan.infotext.items()))
    for warning in plan.warnings:
        print(f"note           : {warning}")
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from lib_accelerator.presets import table

    loaded = _catalog(args)
    if args.write is None:
        print(table.markdown(loaded))
        return 0
    changed = table.rewrite(args.write, loaded)
    print(f"{args.write}: {'updated' if changed else 'already up to date'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib_accelerator", description=__doc__)
    parser.add_argument("--presets-dir", action="append", default=[], help="extra folder of your own recipes")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="methods x families with file size (and whether downloaded)")
    p_list.add_argument("--family", choices=sorted(FAMILIES))
    p_list.add_argument("--lora-dir", type=Path, help="also say which files are downloaded there")
    p_list.set_defaults(run=cmd_list)
    p_show = sub.add_parser("show", help="everything about one variant, with sources")
    p_show.add_argument("id")
    p_show.set_defaults(run=cmd_show)
    p_plan = sub.add_parser("plan", help="print exactly what a generation would set")
    p_plan.add_argument("--method")
    p_plan.add_argument("--variant")
    p_plan.add_argument("--family", required=True, choices=sorted(FAMILIES))
    p_plan.add_argument("--base", choices=_ALL_BASES, help="the checkpoint's base variant (Qwen-Image, Wan, ...)")
    p_plan.add_argument("--precision", choices=sorted(PRECISIONS), help="the checkpoint's precision")
    p_plan.add_argument("--host", default="a1111", choices=sorted(HOSTS))
    p_plan.add_argument("--shift", type=float)
    p_plan.add_argument("--strength", type=float)
    p_plan.add_argument("--steps", type=int)
    p_plan.add_argument("--cfg", type=float)
    p_plan.add_argument("--hires", action="store_true")
    p_plan.add_argument("--img2img", action="store_true")
    p_plan.set_defaults(run=cmd_plan)
    p_table = sub.add_parser("table", help="the README's method table, made from the presets")
    p_table.add_argument("--write", type=Path, help="replace the table between the markers in this file")
    p_table.set_defaults(run=cmd_table)
    from lib_accelerator.cli import fetch as cli_fetch

    cli_fetch.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
