import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, headless, with nothing that reaches out of the machine. */
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const launched = new Set<Promise<Browser>>();

/**
 * Launches Debian's chromium. A test starts it beside other processes; when one of those fails, the
 * launch still finishes, and `closeBrowsers` closes it then: a browser nobody holds keeps the file's
 * process, and the whole suite, waiting.
 */
export function launchBrowser(): Promise<Browser> {
  const launch = chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: BROWSER_ARGS });
  launched.add(launch);
  return launch;
}

/** Closes every browser launched, including one whose launch is still under way. */
export async function closeBrowsers(): Promise<void> {
  const launches = [...launched];
  launched.clear();
  await Promise.all(launches.map((launch) => launch.then((browser) => browser.close(), () => undefined)));
}
