// Reads one JSON Schema (with $defs) on stdin and prints TypeScript for every definition on stdout.
// Driven by scripts/generate_types.py (`make types`); not meant to be run by hand.
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const schema = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const source = await compile(schema, schema.title, {
  bannerComment: "",
  unreachableDefinitions: true,
  additionalProperties: false,
  strictIndexSignatures: false,
  ignoreMinAndMaxItems: true,
  format: true,
  style: { printWidth: 110, singleQuote: false, semi: true, trailingComma: "all" },
});
process.stdout.write(source);
