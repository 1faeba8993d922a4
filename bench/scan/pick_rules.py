#!/usr/bin/env python3
"""Picks real YARA rules that both Debian's yara (libyara) and canhgac (yara-x) compile, into one rules file.

Usage: pick_rules.py DATA_YARA CANHGAC_BIN WORK_DIR TARGET_RULES OUT_FILE

Rule files of reversinglabs/ and signature-base/ are taken in name order, the two sources interleaved. A file is
refused when `yarac` refuses it, when canhgac lists it as not loaded, when it declares a global rule or an include
(they would change or break the other rules once joined), or when one of its rule names was already taken. Files
are kept until TARGET_RULES rules are reached, then joined into OUT_FILE, which both tools must compile.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from itertools import zip_longest

RULE = re.compile(r"\brule\s+(\w+)\s*(?::[\w\s]*)?\{")


def rule_files(root):
    found = []
    for folder, _, names in os.walk(root):
        found += [os.path.join(folder, n) for n in names if n.lower().endswith((".yar", ".yara"))]
    return sorted(found)


def main():
    data, binary, work, target, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    sources = [rule_files(os.path.join(data, s)) for s in ("reversinglabs", "signature-base")]
    candidates = [f for pair in zip_longest(*sources) for f in pair if f]
    refused = {"libyara": 0, "yara-x": 0, "global/include": 0, "duplicate name": 0}
    stage = os.path.join(work, "rules-stage")
    os.makedirs(stage, exist_ok=True)
    passed = {}
    for i, path in enumerate(candidates):
        text = open(path, encoding="utf-8", errors="replace").read()
        if re.search(r"^\s*(global\s+|include\s)", text, re.M):
            refused["global/include"] += 1
            continue
        ok = subprocess.run(["yarac", path, os.path.join(work, "probe.yarc")], capture_output=True).returncode == 0
        if not ok:
            refused["libyara"] += 1
            continue
        staged = os.path.join(stage, f"{i:05d}.yar")
        shutil.copyfile(path, staged)
        passed[staged] = (path, text)
    empty = os.path.join(work, "empty")
    os.makedirs(empty, exist_ok=True)
    probe = subprocess.run([binary, "scan", empty, "--rules", stage, "--format", "jsonl"], capture_output=True,
                           text=True)
    not_loaded = set(re.findall(r"^rule file not loaded: (\S+?\.yar):", probe.stderr, re.M))
    refused["yara-x"] = len(not_loaded)
    kept, names, parts = [], set(), []
    for staged in sorted(passed):
        if staged in not_loaded:
            continue
        path, text = passed[staged]
        rules = RULE.findall(text)
        if not rules:
            continue
        if names & set(rules) or len(set(rules)) != len(rules):
            refused["duplicate name"] += 1
            continue
        names |= set(rules)
        kept.append(os.path.relpath(path, data))
        parts.append(f"// {os.path.relpath(path, data)}\n{text}\n")
        if len(names) >= target:
            break
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    subprocess.run(["yarac", out, os.path.join(work, "rules.yarc")], check=True)
    check = subprocess.run([binary, "scan", empty, "--rules", out, "--format", "jsonl"], capture_output=True,
                           text=True)
    summary = json.loads(check.stdout.strip().splitlines()[-1])
    if summary["rule_files_failed"]:
        sys.exit(f"canhgac did not take the joined rules: {check.stderr.strip()} {summary}")
    print(f"rules: {len(candidates)} candidate files; refused by libyara {refused['libyara']}, by yara-x "
          f"{refused['yara-x']}, for a global rule or include {refused['global/include']}; kept {len(kept)} files "
          f"({summary['rules']} rules) until {target} rules, passing over {refused['duplicate name']} for a taken rule name")

if __name__ == "__main__":
    main()
