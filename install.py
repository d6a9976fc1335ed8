"""Run by the WebUI after "Install from URL" and at start. Installs nothing that the WebUI lacks
already (huggingface_hub and filelock come with it) and never downloads a model."""

import launch

# The same bounds as pyproject.toml: huggingface_hub 0.20 to 2.x is what tests/run_hub_matrix.sh proves.
for package, requirement in (("huggingface_hub", "huggingface_hub>=0.20,<3"), ("filelock", "filelock>=3.0")):
    if not launch.is_installed(package):
        launch.run_pip(f'install "{requirement}"', f"{requirement} for Accelerator")
