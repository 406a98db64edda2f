#!/usr/bin/env python3
"""check-registered.py BUILD_DIR PROGRAM...: every test case of every Catch2 program is a CTest entry.

For each PROGRAM that was built, the names it lists (--list-test-names-only) must be exactly the
names of the CTest entries that run it (ctest --show-only=json-v1). A name that catch_discover_tests
split (at a `;`) or otherwise mangled shows as a listed name that is not registered and a registered
entry that is not listed; a program whose discovery registered nothing shows as all its names
missing. Programs not built in this tree (the sanitizer tree builds a subset) are skipped.
Exit 1 and one line per mismatch on failure.
"""
import json
import os
import subprocess
import sys


def registered_by_program(build_dir):
    shown = subprocess.run(["ctest", "--test-dir", build_dir, "--show-only=json-v1"],
                           check=True, capture_output=True, text=True).stdout
    result = {}
    for test in json.loads(shown).get("tests", []):
        command = test.get("command") or []
        if command:
            result.setdefault(os.path.realpath(command[0]), []).append(test["name"])
    return result


def main():
    build_dir, programs = sys.argv[1], sys.argv[2:]
    registered = registered_by_program(build_dir)
    problems = []
    checked = 0
    for program in programs:
        if not os.path.exists(program):
            continue
        listing = subprocess.run([program, "--list-test-names-only"], capture_output=True, text=True).stdout
        listed = [line for line in listing.splitlines() if line.strip()]
        entries = registered.get(os.path.realpath(program), [])
        name = os.path.basename(program)
        if not listed:
            problems.append(f"{name}: lists no test case")
        for missing in sorted(set(listed) - set(entries)):
            problems.append(f"{name}: test case '{missing}' is not registered with CTest as itself")
        for extra in sorted(set(entries) - set(listed)):
            problems.append(f"{name}: CTest entry '{extra}' is no test case of the program")
        checked += 1
    for problem in problems:
        print("check-registered:", problem, file=sys.stderr)
    if checked == 0:
        print("check-registered: no test program was found", file=sys.stderr)
        return 1
    if not problems:
        print(f"check-registered: {checked} programs, every test case registered once under its own name")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
