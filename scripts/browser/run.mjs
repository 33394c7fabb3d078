// Opens the test page in the system Chromium (headless, through playwright-core)
// and waits for its verdict. Usage: CHROMIUM=/usr/bin/chromium node run.mjs URL
import { chromium } from "playwright-core";

const url = process.argv[2];
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!url) {
  console.error("usage: node run.mjs URL");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  timeout: 60_000,
});
let result;
try {
  const page = await browser.newPage();
  page.on("console", (msg) => console.log(`page: ${msg.text()}`));
  page.on("pageerror", (err) => console.log(`page error: ${err.message}`));
  const started = Date.now();
  await page.goto(url, { timeout: 30_000 });
  const handle = await page.waitForFunction(() => window.result, null, { timeout: 90_000 });
  result = await handle.jsonValue();
  result.seconds = (Date.now() - started) / 1000;
} finally {
  await browser.close();
}
console.log(`browser-test: page side: ${JSON.stringify(result)}`);
if (!result.ok) {
  console.error("browser-test: FAIL: the page reports a failure");
  process.exit(1);
}
