"""Register Accelerator's axes with the WebUI's own X/Y/Z-plot script.

The host adapter finds the grid script (each WebUI keeps it elsewhere); registration runs in
`on_before_ui` (again on every UI reload, hence the guard) and never raises into the WebUI.
"""

from __future__ import annotations

from typing import Any

from lib_accelerator import xyz
from lib_accelerator.webui import generation, hosts, services
from lib_accelerator.webui.log import LOG as log


def _confirm_methods(_p: Any, values: list[str]) -> None:
    loaded = services.catalog()
    model = hosts.current().what_is_loaded()
    # With what is loaded (base variant, precision): a file the host cannot use stops the grid before its first
    # image, not in the middle of it.
    xyz.check_methods(list(values), loaded, model)
    # Fetch every file the grid will need now (both of a two-expert variant), not in the middle of the grid.
    for value in values:
        overrides = xyz.method_overrides(value, loaded)
        if overrides["enabled"] and model.family is not None:
            services.prefetch(overrides, model)


def _confirm_numbers(spec: xyz.AxisSpec) -> Any:
    return lambda _p, values: xyz.check_numbers(spec, list(values))


def _axis_options(grid: Any) -> list[Any]:
    apply = {spec: xyz.applier(spec, generation.XYZ_ATTRIBUTE, services.catalog) for spec in xyz.AXES}
    return [
        grid.AxisOption(
            xyz.METHOD.label,
            str,
            apply[xyz.METHOD],
            confirm=_confirm_methods,
            choices=lambda: xyz.method_choices(services.catalog(), hosts.current().current_family()),
        ),
        *(
            grid.AxisOption(spec.label, spec.kind, apply[spec], confirm=_confirm_numbers(spec))
            for spec in (xyz.STRENGTH, xyz.STEPS, xyz.CFG, xyz.SHIFT)
        ),
    ]


def register_axes() -> None:
    grid = hosts.current().grid_module()
    if grid is None:
        log.warning("Accelerator: the X/Y/Z plot script was not found; its Accelerator axes are not available")
        return
    if any(str(getattr(o, "label", "")).startswith(xyz.PREFIX) for o in grid.axis_options):
        return
    try:
        grid.axis_options.extend(_axis_options(grid))
    except (AttributeError, TypeError) as error:
        log.error("Accelerator: could not add X/Y/Z axes (%s); the grid works without them", error)
