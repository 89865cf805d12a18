#!/usr/bin/env python3
"""docs/scale.md names the code each of its claims depends on as `path` (`identifier`): every such file must exist
and still contain its identifier, so a rename or removal that makes the page wrong fails `make docs-check`."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
text = (root / "docs" / "scale.md").read_text(encoding="utf-8")
# A reference may wrap across lines between the path and its identifier.
references = re.findall(r"`([A-Za-z0-9_./-]+\.(?:swift|sql))`\s*\(`([^`]+)`\)", text)
problems = []
for path, identifier in references:
    file = root / path
    if not file.is_file():
        problems.append(f"{path}: no such file (named for `{identifier}`)")
    elif identifier not in file.read_text(encoding="utf-8"):
        problems.append(f"{path}: does not contain `{identifier}`")
if len(references) < 20:
    problems.append(f"only {len(references)} references found: the pattern no longer matches the page")
for problem in problems:
    print("docs/scale.md: " + problem)
if problems:
    sys.exit(1)
print(f"docs/scale.md: {len(references)} references to the code checked")
