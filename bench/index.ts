// `npm run bench`: runs every bench/*.bench.js module (or those named on the command line) in order.
// Each module exports `run(): Promise<void>` and prints its own figures.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

for (const file of modules) {
  console.log(`\n== ${file.replace(/\.bench\.js$/, '')} ==`);
  const mod = (await import(new URL(file, import.meta.url).href)) as { run: () => Promise<void> };
  await mod.run();
}
