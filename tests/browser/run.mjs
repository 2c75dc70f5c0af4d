// run.mjs - runs the portal's browser journeys (journeys.mjs) and the staff
// console's (console.mjs) in Debian's
// Chromium against the stack of tests/run-suite (RMA_TEST_* variables).
//   node run.mjs WORKDIR [journey ...]
// Screenshots of every step go to WORKDIR/<journey>/.  Prints one line per
// journey (ok, FAIL, skip) and a summary; exits 1 when one failed.

import { journeys as portal } from './journeys.mjs';
import { consoleJourneys } from './console.mjs';
import { launch, closeBrowser, Journey, Skip } from './lib.mjs';

const journeys = { ...portal, ...consoleJourneys };
const [work, ...only] = process.argv.slice(2);
if (!work) {
  console.error('usage: node run.mjs WORKDIR [journey ...]');
  process.exit(2);
}
const names = only.length ? only : Object.keys(journeys);
for (const n of names) {
  if (!journeys[n]) {
    console.error(`no journey ${n} (there are: ${Object.keys(journeys).join(', ')})`);
    process.exit(2);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
await launch();
try {
  for (const name of names) {
    const fn = journeys[name];
    const j = new Journey(name, work, fn.viewport);
    const t0 = Date.now();
    try {
      await j.open();
      await fn(j);
      j.checkClean();
      passed++;
      console.log(`ok: ${name} (${Date.now() - t0} ms, ${j.step} screenshots)`);
    } catch (err) {
      if (err instanceof Skip) {
        try { j.checkClean(); } catch (e) { err = e; }
      }
      if (err instanceof Skip) {
        skipped++;
        console.log(`skip: ${name}: ${err.message}`);
      } else {
        failed++;
        try { await j.shot('failure'); } catch (e) { /* the page is gone */ }
        console.log(`FAIL: ${name}: ${err.stack || err}`);
        if (j.problems.length) console.log(`  also seen: ${j.problems.join('\n  ')}`);
        console.log(`  screenshots: ${j.dir}`);
      }
    } finally {
      await j.close();
    }
  }
} finally {
  await closeBrowser();
}
console.log(`browser: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
