"""`fetch` and `verify`: pre-download LoRA files for offline machines and container images.

A variant with two files (Wan 2.2's experts) gets one line per file; a recipe-only variant has none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lib_accelerator.families import FAMILIES
from lib_accelerator.presets.catalog import Variant, builtin_presets_dir, load_catalog
from lib_accelerator.presets.lora_file import LoraFile


def _selected(args: argparse.Namespace) -> list[Variant]:
    loaded = load_catalog(builtin_presets_dir(), [Path(d) for d in args.presets_dir])
    if args.all or args.family:
        return [
            v for v in loaded.all_variants() if not v.file.is_local and (not args.family or v.family == args.family)
        ]
    chosen = []
    for wanted in args.ids:
        method = loaded.method(wanted)
        variants = list(method.variants) if method else [v for v in [loaded.variant(wanted)] if v]
        if not variants:
            raise SystemExit(f"unknown method or variant {wanted!r}; `python -m lib_accelerator list` shows them")
        chosen += variants
    if not chosen:
        raise SystemExit("name variants or methods to fetch, or use --all / --family")
    # Variants carry dicts (notes, sources), so they are told apart by id; a recipe's local file has nothing
    # to download.
    return list({v.id: v for v in chosen if not v.file.is_local}.values())


def _downloads(args: argparse.Namespace) -> list[tuple[Variant, LoraFile]]:
    """Every (variant, file) to fetch or check: all files of each variant, none of a recipe-only one."""
    return [(v, f) for v in _selected(args) for f in v.files]


def _name(variant: Variant, file: LoraFile) -> str:
    return f"{variant.id} ({file.role})" if file.role else variant.id


def _options(args: argparse.Namespace) -> Any:
    from lib_accelerator.download import ensure as download

    return download.DownloadOptions(
        lora_dir=args.lora_dir, subfolder=args.subfolder, endpoint=args.endpoint, offline=False
    )


def cmd_fetch(args: argparse.Namespace) -> int:
    from lib_accelerator.download import ensure as download
    from lib_accelerator.download.variant_files import ensure_files

    options = _options(args)
    failed = 0
    for variant in _selected(args):
        try:
            # all files of a variant together: Wan's two experts must keep twin names (see variant_files)
            paths = ensure_files(variant.files, options, fetch_hint=variant.id)
        except download.DownloadError as error:
            print(f"FAILED {variant.id}: {error}", file=sys.stderr)
            failed += 1
            continue
        for file, path in zip(variant.files, paths, strict=True):
            print(f"ok     {_name(variant, file)}: {path}")
    return 1 if failed else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from lib_accelerator.download import ensure as download

    options = _options(args)
    bad = 0
    for variant, file in _downloads(args):
        name = _name(variant, file)
        target = download.target_path(file, options)
        if not target.exists():
            found = download.find_present(file, options)
            print(f"{'reuse' if found else 'absent':7}{name}" + (f": {found}" if found else ""))
            continue
        try:
            download.verify_file(file, target)
        except download.DownloadError as error:
            print(f"BAD    {name}: {error}")
            bad += 1
            continue
        print(f"ok     {name}: {target}")
    return 1 if bad else 0


def add_commands(sub: Any) -> None:
    for name, run, text in (
        ("fetch", cmd_fetch, "download and verify LoRA files (for offline machines and images)"),
        ("verify", cmd_verify, "check the size and sha256 of the files that are there"),
    ):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("ids", nargs="*", help="variant ids or method ids")
        parser.add_argument("--all", action="store_true", help="every built-in variant")
        parser.add_argument("--family", choices=sorted(FAMILIES), help="every variant for one model family")
        parser.add_argument("--lora-dir", type=Path, required=True, help="the WebUI's LoRA folder (models/Lora)")
        parser.add_argument("--subfolder", default="accelerator")
        parser.add_argument("--endpoint", help="Hugging Face endpoint or mirror (default: HF_ENDPOINT)")
        parser.set_defaults(run=run)
