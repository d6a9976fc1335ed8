#!/usr/bin/env bash
# Run the contract tests (tests/contract) against every WebUI checkout found on this machine, each in its
# own venv with WEBUI_ROOT set: A1111 v1.10.1, A1111 v1.9.4, Forge, reForge (main and gradio4_main) and Forge
# Classic as laid out by the webui-harness and tests/hosts
# (ACC_ROOT, default ~/webui-harness). One summary line per checkout; exit status 1 if any run failed.
# A checkout that is absent is skipped with a message. Takes no arguments; PYTEST_ADDOPTS is honoured.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
acc_root="${ACC_ROOT:-$HOME/webui-harness}"
timeout_s="${ACC_CONTRACT_TIMEOUT:-900}"
# a fresh folder per run: two people running this at once must not share logs
log_dir="${ACC_CONTRACT_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/accelerator-contract.XXXXXX")}"
mkdir -p "$log_dir"

# name | checkout | venv python
checkouts=(
  "a1111-1.10.1|$acc_root/webui|$acc_root/venv/bin/python"
  "a1111-1.9.4|$acc_root/webui-1.9.4|$acc_root/venv/bin/python"
  "forge|$acc_root/forge|$acc_root/forge-venv/bin/python"
  "reforge|$acc_root/reforge|$acc_root/reforge-venv/bin/python"
  "reforge-gradio4|$acc_root/reforge-g4|$acc_root/reforge-g4-venv/bin/python"
  "forge-classic|$acc_root/forge-classic|$acc_root/forge-classic-venv/bin/python"
)

failed=0
ran=0
for entry in "${checkouts[@]}"; do
  IFS='|' read -r name root python <<<"$entry"
  if [[ ! -f "$root/modules/shared.py" ]]; then
    echo "$name: skipped (no checkout at $root)"
    continue
  fi
  if [[ ! -x "$python" ]]; then
    echo "$name: skipped (no venv python at $python)"
    continue
  fi
  if ! "$python" -c "import pytest, hypothesis" 2>/dev/null; then
    echo "$name: installing pytest and hypothesis into $(dirname "$(dirname "$python")")"
    if ! "$python" -m pip install -q pytest hypothesis >"$log_dir/$name-pip.log" 2>&1; then
      echo "$name: FAIL (could not install pytest/hypothesis, see $log_dir/$name-pip.log)"
      failed=1
      continue
    fi
  fi

  log="$log_dir/$name.log"
  start=$(date +%s)
  rss_file="$log_dir/$name.rss"
  runner=()
  [[ -x /usr/bin/time ]] && runner=(/usr/bin/time -o "$rss_file" -f "%M")
  (
    cd "$here" &&
      WEBUI_ROOT="$root" timeout "$timeout_s" "${runner[@]}" "$python" -m pytest tests/contract -q \
        -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::PendingDeprecationWarning \
        -W ignore::FutureWarning
  ) >"$log" 2>&1
  status=$?
  seconds=$(($(date +%s) - start))
  ran=$((ran + 1))

  summary="$(grep -E '^(=+ )?[0-9]+ (passed|failed|skipped|error|xfailed|deselected)' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')"
  [[ -n "$summary" ]] || summary="no pytest summary"
  peak=""
  if [[ -s "$rss_file" ]]; then
    kb="$(tail -n 1 "$rss_file")"
    [[ "$kb" =~ ^[0-9]+$ ]] && peak=", peak RSS $((kb / 1024)) MB"
  fi
  rm -f "$rss_file"
  if [[ $status -eq 0 ]]; then
    echo "$name: PASS - $summary (${seconds}s wall$peak) log: $log"
  else
    [[ $status -eq 124 ]] && summary="timed out after ${timeout_s}s"
    echo "$name: FAIL (exit $status) - $summary (${seconds}s wall$peak) log: $log"
    grep -E '^(FAILED|ERROR) ' "$log" | head -n 20 | sed 's/^/    /'
    failed=1
  fi
done

if [[ $ran -eq 0 ]]; then
  echo "no WebUI checkout found under $acc_root: nothing ran (set ACC_ROOT)"
fi
exit $failed
