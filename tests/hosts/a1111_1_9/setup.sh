#!/usr/bin/env bash
# A1111 v1.9.4 beside the shared harness's v1.10.1: the same mirror checked out at the tag, sharing 1.10.1's
# venv, repositories/ (1.9.4 pins the same commits in modules/launch_utils.py) and checkpoints.
#   WEBUI_MIRRORS=/work/.mirror bash tests/hosts/a1111_1_9/setup.sh     (after the harness's setup.sh)
set -Eeuo pipefail
ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
MIRROR=${WEBUI_MIRRORS:-/work/.mirror}/kklouzal+stable-diffusion-webui/repo
TREE=$ACC_ROOT/webui-1.9.4
[[ -x $ACC_ROOT/venv/bin/python && -d $ACC_ROOT/webui/repositories ]] || {
  echo "run the webui-harness setup.sh first (no $ACC_ROOT/venv or $ACC_ROOT/webui/repositories)" >&2; exit 1; }
git --git-dir="$MIRROR" rev-parse -q --verify "v1.9.4^{commit}" >/dev/null || { echo "$MIRROR lacks tag v1.9.4" >&2; exit 1; }
if [[ ! -f $TREE/launch.py ]]; then
  git clone -q --no-checkout "$MIRROR" "$TREE"
  # bare mirrors lack files of 4 MiB and more (sample images): checkout complains about them, harmlessly
  git -C "$TREE" checkout -q v1.9.4 || true
fi
[[ -f $TREE/modules/shared.py ]] || { echo "checkout of v1.9.4 into $TREE failed" >&2; exit 1; }
[[ -e $TREE/repositories ]] || ln -s ../webui/repositories "$TREE/repositories"
echo "A1111 1.9.4 ready in $TREE (venv $ACC_ROOT/venv); e2e: python -m tests.e2e.stack run --host a1111-1.9"
