#!/usr/bin/env bash
set -uo pipefail
PIDF=${ACC_ROOT:-$HOME/webui-harness}/run/forge-classic.pid
source "$(dirname "$0")/_stop_common.sh"
