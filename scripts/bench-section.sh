#!/usr/bin/env bash
# Replaces (or appends) one `## <name>` section of BENCHMARKS.md, keeping the others.
set -euo pipefail
name=$1; body=$2
file=$(dirname "$0")/../BENCHMARKS.md
[ -f "$file" ] || printf '# Benchmarks\n\nEvery figure is measured by `make bench` and shown beside a baseline measured in the same run.\n' > "$file"
python3 - "$file" "$name" "$body" <<'PY'
import re, sys
path, name, body = sys.argv[1], sys.argv[2], sys.argv[3].rstrip() + "\n"
text = open(path).read()
pat = re.compile(r"^## " + re.escape(name) + r"\b.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda m: body + "\n", text) if pat.search(text) else text.rstrip() + "\n\n" + body
open(path, "w").write(text)
PY
