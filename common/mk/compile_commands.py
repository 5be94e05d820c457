"""Writes compile_commands.json (for clangd and other editors).

usage: compile_commands.py OUT "CC FLAGS..." file.c...
"""
import json
import os
import shlex
import sys

out, command, files = sys.argv[1], sys.argv[2], sys.argv[3:]
top = os.path.dirname(os.path.abspath(out))
entries = [
    {"directory": top, "file": f,
     "arguments": shlex.split(command) + ["-c", f, "-o", "/dev/null"]}
    for f in files
]
with open(out, "w") as fh:
    json.dump(entries, fh, indent=1)
print(f"wrote {out} ({len(entries)} files)")
