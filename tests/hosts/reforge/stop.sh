#!/usr/bin/env bash
set -uo pipefail
PIDF=${ACC_ROOT:-$HOME/webui-harness}/run/reforge.pid
source "$(dirname "$0")/../forge_classic/_stop_common.sh"
