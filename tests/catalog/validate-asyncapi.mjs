// Parses each AsyncAPI document named on the command line with the official parser and prints
// one JSON line per document: its error and warning counts and the first errors.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  const errors = diagnostics.filter((d) => d.severity === 0);
  console.log(JSON.stringify({
    file,
    parsed: document !== undefined,
    errors: errors.length,
    warnings: diagnostics.filter((d) => d.severity === 1).length,
    channels: document ? document.channels().length : 0,
    messages: document ? document.components().messages().length : 0,
    first: errors.slice(0, 5).map((d) => `${d.code} at /${d.path.join("/")}: ${d.message}`),
  }));
}
