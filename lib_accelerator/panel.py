"""Choices the accordion makes, decided without gradio so that they can be tested: the variants a method
offers for the loaded family and the variant it starts with. `lib_accelerator.webui.ui*` turns the
answers into controls and `gr.update`s."""

from __future__ import annotations

from lib_accelerator.catalog import Catalog, Variant

DEFAULT_METHOD = "hyper_sd"  # what the panel shows when no recipe is proposed for the loaded checkpoint


def variant_pool(catalog: Catalog, method_id: str, family: str | None) -> tuple[Variant, ...]:
    """The method's variants for the loaded family; all of them when it has none for it or none is loaded."""
    method = catalog.method(method_id)
    if method is None:
        return ()
    return (method.variants_for(family) if family else ()) or method.variants


def default_variant(catalog: Catalog, method_id: str, family: str | None) -> Variant | None:
    method = catalog.method(method_id)
    if method is None:
        return None
    if family:
        return method.default_variant(family) or method.variants[0]
    # No model loaded yet (A1111 loads it while the UI is built): a default of the first family listed.
    return next((v for v in method.variants if v.default), method.variants[0])
