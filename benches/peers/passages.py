#!/usr/bin/env python3
"""Write the searchable passages of the mandate paper and the corpus lessons
as JSONL, one {"id", "text"} object per line, for the peer baselines.

Paper passages mirror src/read/document.rs (split_passages, lead_phrase,
read_document) line for line: a passage is a paragraph or a list item,
headings are detected by the same rules, fragments under 8 words are joined
to a neighbour, and the title is the nearest heading (plus a
recommendation's lead phrase). Each line's text is what the index stores in
its two analysed fields, title and body, joined by a newline. Lessons are
read from corpus/lessons.jsonl the same way: title + newline + text.

Differences from the Rust code are limited to Unicode corner cases that the
paper does not contain: Python's str.isalpha / str.isupper stand in for
Rust's char::is_alphabetic / char::is_uppercase (Rust also counts letter
numbers and combining marks with the Alphabetic property as letters).
Whitespace follows Rust's char::is_whitespace exactly.

Usage:
  python3 benches/peers/passages.py [--paper PATH] [--lessons PATH] [--out FILE]
                                    [--only paper|lessons] [--with-meta]

--with-meta adds "kind", "title", "line" and "headings" to every line (the
query runner ignores them).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_PAPER = os.path.join(ROOT, "..", "shared", "mission", "msp-paper.txt")
DEFAULT_LESSONS = os.path.join(ROOT, "corpus", "lessons.jsonl")

MIN_WORDS = 8  # document.rs: fewer words than this and a fragment is joined

# Rust char::is_whitespace (Unicode White_Space), not Python's str.isspace,
# which also counts U+001C..U+001F.
RUST_WS = frozenset(
    [chr(c) for c in range(0x09, 0x0E)]
    + [" ", "\u0085", "\u00a0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
WS = "".join(sorted(RUST_WS))


def split_ws(s):
    """str::split_whitespace."""
    out, cur = [], []
    for ch in s:
        if ch in RUST_WS:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def trim(s):
    return s.strip(WS)


def rust_lines(text):
    """str::lines: split at \\n (a preceding \\r is removed); a final
    line ending does not start an empty line."""
    if text == "":
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def blen(s):
    """Rust str::len counts UTF-8 bytes."""
    return len(s.encode("utf-8"))


def heading_level(line):
    t = trim(line)
    if t.startswith("#"):
        rest = t[1:]
        level = 1 + (len(rest) - len(rest.lstrip("#")))
        text = trim(rest.lstrip("#"))
        return (level, text) if text else None
    words = split_ws(t)
    if (
        t == ""
        or blen(t) > 90
        or len(words) > 12
        or t.endswith((".", ":", ";", ",", '"', "\u201d"))
    ):
        return None
    first = words[0] if words else ""

    def roman(s):
        return s != "" and all(c in "IVXL" for c in s)

    rest_starts_upper = len(words) > 1 and words[1][0].isupper()
    if first.endswith("."):
        num = first[:-1]
        if roman(num) and rest_starts_upper:
            return (1, t)
        if blen(num) == 1 and "A" <= num <= "Z" and rest_starts_upper:
            return (2, t)
    if t.startswith("Annex"):
        return (1, t)
    letters = [c for c in t if c.isalpha()]
    if len(letters) >= 6 and all(c.isupper() for c in letters):
        return (1, t)
    return None


def is_list_marker(line):
    t = line.lstrip(WS)
    if t.startswith(("\u00b7", "\u2022", "*", "-", "\u2013")):
        return True
    head = t[:6]
    marker = head
    for i, c in enumerate(head):
        if c in ").":
            marker = head[:i]
            break
    return (
        (")" in head or "." in head)
        and marker != ""
        and blen(marker) <= 4
        and (all("0" <= c <= "9" for c in marker) or all(c in "ivx" for c in marker))
    )


def split_passages(text):
    """document.rs split_passages: list of dicts {line, headings, text}."""
    if text.startswith("\ufeff"):
        text = text[1:]
    headings = []  # (level, text)
    passages = []
    current = None
    pending_marker = None

    def flush():
        nonlocal current
        if current is not None:
            p = current
            current = None
            short = len(split_ws(p["text"])) < MIN_WORDS
            if passages and short and passages[-1]["headings"] == p["headings"]:
                passages[-1]["text"] += " " + p["text"]
            else:
                passages.append(p)

    for i, raw in enumerate(rust_lines(text)):
        line_no = i + 1
        line = trim(raw.rstrip("\r"))
        if line == "":
            flush()
            continue
        h = heading_level(line)
        if h is not None:
            flush()
            level, heading = h
            headings = [x for x in headings if x[0] < level]
            headings.append((level, heading))
            continue
        if is_list_marker(line) and len(split_ws(line)) == 1:
            flush()
            pending_marker = (line_no, line)
            continue
        if is_list_marker(line):
            flush()
        if current is not None:
            current["text"] += " " + line
        else:
            if pending_marker is not None:
                start, m = pending_marker
                pending_marker = None
                body = f"{m} {line}"
            else:
                start, body = line_no, line
            current = {"line": start, "headings": [h for _, h in headings], "text": body}
    flush()
    merged = []
    carry = None
    for p in passages:
        if carry is not None:
            c, carry = carry, None
            if c["headings"] == p["headings"]:
                p["text"] = f"{c['text']} {p['text']}"
                p["line"] = c["line"]
            else:
                merged.append(c)
        if len(split_ws(p["text"])) < MIN_WORDS:
            carry = p
        else:
            merged.append(p)
    if carry is not None:
        merged.append(carry)
    return merged


def lead_phrase(text):
    body = trim(text.lstrip("ivx0123456789).\u00b7\u2022*-\u2013 "))
    for sep in (" - ", " \u2013 "):
        if sep in body:
            lead = body.split(sep, 1)[0]
            break
    else:
        return None
    return trim(lead) if 2 <= len(split_ws(lead)) <= 14 else None


def slugify(text):
    slug, dash = [], False
    for c in text:
        if c.isascii() and c.isalnum():
            slug.append(c.lower())
            dash = False
        elif not dash and slug:
            slug.append("-")
            dash = True
    s = "".join(slug)[:80]
    return s.rstrip("-")


def read_document(path):
    """document.rs read_document: the lessons a text document becomes."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    file_name = os.path.basename(path)
    stem = slugify(os.path.splitext(file_name)[0] if not file_name.startswith(".") else file_name)
    out = []
    for n, p in enumerate(split_passages(text)):
        context = p["headings"][-1] if p["headings"] else file_name
        lead = lead_phrase(p["text"])
        title = f"{context}: {lead}" if lead is not None else context
        out.append(
            {
                "id": f"{stem}-{n + 1:04}",
                "title": title,
                "text": p["text"],
                "line": p["line"],
                "headings": p["headings"],
            }
        )
    return out


def read_lessons(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                out.append(rec)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paper", default=DEFAULT_PAPER)
    ap.add_argument("--lessons", default=DEFAULT_LESSONS)
    ap.add_argument("--out", default="-")
    ap.add_argument("--only", choices=["paper", "lessons"])
    ap.add_argument("--with-meta", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    if args.only != "lessons":
        for p in read_document(args.paper):
            row = {"id": p["id"], "text": f"{p['title']}\n{p['text']}"}
            if args.with_meta:
                row.update(kind="paper", title=p["title"], line=p["line"], headings=p["headings"])
            rows.append(row)
    if args.only != "paper":
        for l in read_lessons(args.lessons):
            row = {"id": l["id"], "text": f"{l['title']}\n{l['text']}"}
            if args.with_meta:
                row.update(kind="lesson", title=l["title"], challenge=l.get("challenge"))
            rows.append(row)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    for r in rows:
        out.write(json.dumps(r, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    print(f"{len(rows)} passages", file=sys.stderr)


if __name__ == "__main__":
    main()
