// A headless Chromium for the tests that look at a page, brought by npm: @sparticuz/chromium ships
// a brotli-packed Chromium build inside its registry package, and playwright-core drives it. No
// system browser, no root, no download at run time. The binary is unpacked into a fresh
// directory under the system temp directory (about 190 MB, 1.5 s) and removed by close(), so two
// test runs on one machine never share, or race on, a half-unpacked file.
// MSI_FUZZ_CHROMIUM=/path/to/chromium uses that binary instead.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Chromium from '@sparticuz/chromium';
import { chromium, type BrowserContext } from 'playwright-core';

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Unpacks the packaged Chromium into `dir`. The package unpacks under os.tmpdir(); jest gives a
 * test its own copy of process.env, which node's os module does not read, so a child process
 * with TMPDIR set does the unpacking.
 */
function unpack(dir: string): string {
  const r = spawnSync(process.execPath, ['-e', "require('@sparticuz/chromium').executablePath().then((p) => process.stdout.write(p))"], { env: { ...process.env, TMPDIR: dir }, encoding: 'utf8' });
  const exe = r.stdout.trim();
  if (r.status !== 0 || !exe.startsWith(dir)) throw new Error(`could not unpack @sparticuz/chromium into ${dir}: ${r.stderr.trim() || exe}`);
  return exe;
}

/**
 * A fontconfig file for the fonts the package unpacked (its own fonts.conf names /tmp/fonts, where
 * nothing is here), so text renders the same whatever fonts the system has.
 */
function fontConfig(dir: string): string {
  const file = path.join(dir, 'fonts.conf');
  fs.writeFileSync(file, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${path.join(dir, 'fonts', 'fonts')}</dir><cachedir>${path.join(dir, 'fonts-cache')}</cachedir></fontconfig>\n`);
  return file;
}

export async function launchChromium(): Promise<TestBrowser> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-chromium-'));
  const profile = path.join(dir, 'profile');
  try {
    const own = process.env['MSI_FUZZ_CHROMIUM'];
    const executablePath = own ?? unpack(dir);
    // The package's flags (single process, no sandbox: no setuid helper is installed) plus no
    // network of any kind; fonts from the package (fontConfig), a home of its own.
    const args = [...(own === undefined ? Chromium.args : ['--headless', '--no-sandbox', '--disable-gpu']), '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    const env = own === undefined ? { ...process.env, FONTCONFIG_FILE: fontConfig(dir), HOME: dir } : { ...process.env };
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args, env, viewport: { width: 1280, height: 900 } });
    return {
      context,
      close: async () => {
        await context.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
