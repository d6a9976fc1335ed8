#!/usr/bin/env bash
# The layers that need a real WebUI (tests/README.md): contract (in-process, each prepared checkout)
# and end-to-end (HTTP: A1111 1.10.1, A1111 1.9.4, then Forge). Each one skips with a message when
# its WebUI is absent.
#   bash tests/run_webui_layers.sh [PYTHON]   PYTHON: the test venv's python (default .venv/bin/python)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
export ACC_ROOT
status=0
if [[ -f tests/run_contract.sh ]]; then
  bash tests/run_contract.sh || status=1
fi
# The end-to-end layer starts each prepared WebUI in turn (about 5-20 min each on 2 cores, SD 1.5);
# ACC_SKIP_E2E=1 leaves it out, ACC_E2E_SDXL=1 adds the SDXL checkpoint. A host without a prepared
# WebUI is skipped by the stack with a message.
if [[ -n ${ACC_SKIP_E2E:-} ]]; then
  echo "e2e: not run (ACC_SKIP_E2E is set)"
  exit $status
fi
for host in a1111 a1111-1.9 forge reforge forge_classic sdnext; do
  extra=()
  # SDXL needs ~15 GB beside the test run; only where the machine has it and the checkpoint exists.
  if [[ -n ${ACC_E2E_SDXL:-} ]]; then extra+=(--sdxl); fi
  "$PY" -m tests.e2e.stack run --host "$host" "${extra[@]}" || status=1
done
exit $status
