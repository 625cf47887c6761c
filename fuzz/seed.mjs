// Seeds each target's working corpus (fuzz/work/<target>/) from the golden cases in tests/cases/:
// the case documents for the preview, their mappings, their payloads as body text, every string in
// a mapping for the path parser, every string in a payload for the timestamp parser.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cases = join(root, "tests/cases");
const work = join(root, "fuzz/work");
const seeds = {
  body_reader: new Set(),
  path: new Set(),
  timestamp: new Set(),
  mapping: new Set(),
  preview: new Set(),
};

function strings(v, out) {
  if (typeof v === "string") out.add(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === "object")
    Object.values(v).forEach((x) => strings(x, out));
}

for (const file of readdirSync(cases).filter((f) => f.endsWith(".json"))) {
  const text = readFileSync(join(cases, file), "utf8");
  const c = JSON.parse(text);
  seeds.preview.add(text);
  seeds.body_reader.add(text);
  if (c.mapping) {
    seeds.mapping.add(JSON.stringify(c.mapping, null, 1));
    strings(c.mapping, seeds.path);
  }
  if (typeof c.payload_raw === "string") seeds.body_reader.add(c.payload_raw);
  if (c.payload !== undefined) {
    seeds.body_reader.add(JSON.stringify(c.payload));
    strings(c.payload, seeds.timestamp);
  }
}

for (const [target, set] of Object.entries(seeds)) {
  const dir = join(work, target);
  mkdirSync(dir, { recursive: true });
  [...set].forEach((s, i) => writeFileSync(join(dir, `seed-${i}`), s));
  console.log(`fuzz: ${set.size} seeds for ${target}`);
}
