#!/usr/bin/env python3
"""Plants content matching a few of the benchmark's rules into a few generated files, so that `canhgac scan` and
`yara` have matches to agree on.

Usage: plant.py RULES_FILE TREE COUNT

Takes, in file order, up to COUNT rules (not private) whose strings are text strings (modifiers ascii, wide,
nocase, fullword only) or hex strings (wildcards planted as 0, jumps at their least length, the first of
alternatives) and whose condition holds once all of them are present: string references, `N|any|all of`, `and`,
`or`, parentheses, plus `uint16(0) == 0x5A4D` (planted in a generated PE-like file) and `filesize < N` (a file
small enough). It appends every string of one rule (also in UTF-16LE for `wide`) between newlines to one file of
the tree (text files for rules without the MZ test), each file used once.
Prints `RULE PATH` for each planted file. Deterministic: the same tree and rules give the same files.
"""
import os
import re
import sys

RULE = re.compile(r"^\s*((?:private\s+)?)rule\s+(\w+)[^{]*\{(.*?)^\}", re.M | re.S)  # closing brace in column 0
STRING = re.compile(r'^\s*(\$\w*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*([a-z ]*?)\s*$')
CONDITION = re.compile(
    r"^(?:any|all|\d+) of (?:them|\(\s*\$\w*\*?\s*(?:,\s*\$\w*\*?\s*)*\))$"
    r"|^\$\w+(?:\s+(?:and|or)\s+\$\w+)*$")
MODIFIERS = {"ascii", "wide", "nocase", "fullword"}


def strip_comments(text):
    """The rules text without /* */ and // comments (string literals and regular expressions kept as they are)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x" and i + 3 < len(s):
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out += {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "\\": b"\\"}.get(n, n.encode())
            i += 2
            continue
        out += c.encode("utf-8")
        i += 1
    return bytes(out)


DEF = re.compile(r'^\s*(\$\w*)\s*=\s*(?:"((?:[^"\\\n]|\\.)*)"[ \t]*([a-z \t]*?)[ \t]*$|\{([^}]*)\})', re.M)
TOKEN = re.compile(r"\s*(uint16\(0\)\s*==\s*0x5a4d|filesize\s*<\s*\d+\s*(?:KB|MB)?|\$\w*\*?|\d+|and|or|of|them|any|all|[(),])",
                   re.I)


def hex_bytes(text):
    """Bytes matching a hex string: wildcards as 0, jumps as their least length, the first of alternatives."""
    text = re.sub(r"//.*", "", text)
    text = re.sub(r"\(([^|()]*)\|[^()]*\)", r"\1", text)  # (A|B) -> A
    out = bytearray()
    for tok in re.findall(r"\[[^\]]*\]|[0-9A-Fa-f?]{2}|\S", text):
        if tok.startswith("["):
            lo = tok[1:-1].split("-")[0].strip()
            out += bytes(int(lo) if lo else 0)
        elif len(tok) == 2:
            out.append(int(tok.replace("?", "0"), 16))
        else:
            return None  # ~, unbalanced or nested alternatives
    return bytes(out)


def condition_needs(condition):
    """(needs MZ, size limit or None) when the condition holds once all its strings are present, else None."""
    mz, limit, pos = False, None, 0
    text = condition.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            return None
        tok = m.group(1)
        low = tok.lower()
        if low.startswith("uint16"):
            mz = True
        elif low.startswith("filesize"):
            n = re.search(r"(\d+)\s*(KB|MB)?", tok, re.I)
            limit = int(n.group(1)) * {"kb": 1024, "mb": 1 << 20}.get((n.group(2) or "").lower(), 1)
        pos = m.end()
    return mz, limit


def plantable(body):
    """(strings to plant, needs MZ, size limit) for a rule body, or None when all its strings present do not make
    the rule match (negations, counts, offsets, modules, regular expressions)."""
    parts = re.split(r"^\s*(meta|strings|condition)\s*:", body, flags=re.M)
    sections = dict(zip(parts[1::2], parts[2::2]))
    if "strings" not in sections or "condition" not in sections:
        return None
    needs = condition_needs(" ".join(sections["condition"].split()))
    if needs is None:
        return None
    planted = []
    strings = sections["strings"]
    defs = DEF.findall(strings)
    if len(defs) != len(re.findall(r"^\s*\$\w*\s*=", strings, re.M)):
        return None  # regular expressions or forms not understood
    for _, text, mods, hexes in defs:
        if hexes:
            value = hex_bytes(hexes)
            if value is None or len(value) < 4:
                return None
            planted.append(value)
            continue
        mods = set(mods.split())
        if not mods <= MODIFIERS:
            return None
        value = unescape(text)
        if len(value) < 4:
            return None
        if "wide" in mods:
            planted.append(value.decode("latin-1").encode("utf-16-le"))
        if "wide" not in mods or "ascii" in mods:
            planted.append(value)
    return (planted, needs[0], needs[1]) if planted else None


def main():
    rules_file, tree, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    text = strip_comments(open(rules_file, encoding="utf-8", errors="replace").read())
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(tree) for f in fs)
    texts = [f for f in files if f.endswith((".log", ".txt", ".html", ".ps1"))]
    exes = [f for f in files if f.endswith(".exe")]
    used, planted = set(), []
    for m in RULE.finditer(text):
        if m.group(1):
            continue  # private rules are not reported
        found = plantable(m.group(3))
        if not found:
            continue
        strings, mz, limit = found
        extra = sum(len(s) + 2 for s in strings)
        pool = exes if mz else texts
        spread = pool[len(planted) * max(1, len(pool) // max(count, 1)):] + pool
        target = next((f for f in spread if f not in used
                       and (limit is None or os.path.getsize(f) + extra < limit)), None)
        if target is None:
            continue
        used.add(target)
        with open(target, "ab") as f:
            for s in strings:
                f.write(b"\n" + s + b"\n")
        planted.append((m.group(2), target))
        print(f"{m.group(2)} {target}")
        if len(planted) == count:
            break
    if len(planted) < count:
        sys.exit(f"plant: {len(planted)} rules planted of {count} wanted")


if __name__ == "__main__":
    main()
