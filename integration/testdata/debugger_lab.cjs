// The JupyterLab debugger on a Go cell, in a real browser: a breakpoint inside a goroutine,
// the stop shown in the Callstack panel, the goroutine's variables in the Variables panel,
// then Continue until the cell finishes.
//
//   QUIRE_LAB_URL=http://127.0.0.1:PORT QUIRE_LAB_BUILD=DIR QUIRE_LAB_SHOTS=DIR \
//   QUIRE_LAB_PROFILE=DIR node debugger_lab.cjs NOTEBOOK
//
// It needs the test build of JupyterLab 4.6 (integration/jupyterlab/setup.sh of the lab branch:
// window.jupyterapp, the debugger extension, puppeteer-core in DIR/node_modules) served with
// the quire kernel installed, and NOTEBOOK (a path under the server's root) holding one code
// cell, debugCell below. Prints one JSON line {"scenario", "status", "detail", "seconds"} as the
// lab branch's scenarios.cjs does (its debugger_breakpoint placeholder can call run() below).
'use strict';

const path = require('path');
const { createRequire } = require('module');

const debugCell = `import ("fmt"; "sync")
var wg sync.WaitGroup
for w := 0; w < 2; w++ {
	wg.Add(1)
	go func(id int) {
		defer wg.Done()
		for k := 0; k < 3; k++ {
			fmt.Println("worker", id, "step", k)
		}
	}(w)
}
wg.Wait()
fmt.Println("all done")
`;
const breakLine = 8; // fmt.Println in the goroutine

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function run(page, base, shots, notebook) {
  const shot = async name => {
    const file = path.join(shots, `jupyterlab-debugger-${name}.png`);
    await page.screenshot({ path: file });
    log('screenshot', file);
    return file;
  };
  // A fresh workspace: a restored layout (the debugger sidebar open) could take the focus.
  await page.goto(`${base}/lab/workspaces/debugger-${Date.now()}/tree/${notebook}`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.quireLabRestored === 'true' || document.body.dataset.quireLabError,
    { timeout: 90000 });
  await page.waitForFunction(f => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return w && w.context && w.context.path === f && k && k.status === 'idle' && k.connectionStatus === 'connected';
  }, { timeout: 90000, polling: 100 }, notebook);
  log('notebook open, kernel idle');

  // The bug button of the notebook toolbar appears once JupyterLab knows the kernel has a
  // debugger (kernel_info "debugger": true); clicking it starts the debugger.
  const bug = await page.waitForSelector('jp-button.jp-DebuggerBugButton[aria-disabled="false"]', { timeout: 30000 });
  // The button acts only when its notebook has the focus.
  for (let i = 0; ; i++) {
    await page.evaluate(() => {
      const w = window.jupyterapp.shell.currentWidget;
      window.jupyterapp.shell.activateById(w.id);
      w.content.activeCellIndex = 0;
    });
    await bug.click();
    // The breakpoint gutter shows once the debugger is on.
    try {
      await page.waitForSelector('.jp-Cell .cm-breakpoint-gutter .cm-gutterElement', { timeout: 10000 });
      break;
    } catch (e) {
      if (i === 2) throw e;
      log('the debugger did not start; clicking the bug button again');
    }
  }
  log('debugger on');
  // The debugger sidebar (Variables, Callstack, Breakpoints), as the bug icon on the right opens it.
  await page.evaluate(() => window.jupyterapp.commands.execute('debugger:show-panel'));
  await sleep(1000);

  // Click the gutter next to breakLine, as a user sets a breakpoint.
  const at = await page.evaluate(line => {
    const ed = window.jupyterapp.shell.currentWidget.content.widgets[0].editor.editor;
    const rect = ed.coordsAtPos(ed.state.doc.line(line).from);
    const gutter = ed.dom.querySelector('.cm-breakpoint-gutter').getBoundingClientRect();
    return { x: gutter.left + gutter.width / 2, y: (rect.top + rect.bottom) / 2 };
  }, breakLine);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('.jp-Cell .cm-breakpoint-gutter .cm-breakpoint-icon', { timeout: 10000 });
  await sleep(1000); // setBreakpoints, configurationDone
  log('breakpoint set on line', breakLine);

  await page.evaluate(() => { window.jupyterapp.commands.execute('notebook:run-cell'); });
  // The Callstack panel shows the stopped goroutine's frame at the breakpoint's line.
  await page.waitForFunction(line => {
    const frames = [...document.querySelectorAll('.jp-DebuggerCallstackFrame')];
    return frames.some(f => (f.querySelector('.jp-DebuggerCallstackFrame-location') || {}).textContent?.includes(':' + line));
  }, { timeout: 30000, polling: 200 }, breakLine);
  const frames = await page.evaluate(() => [...document.querySelectorAll('.jp-DebuggerCallstackFrame')].map(f => f.textContent));
  log('callstack', frames);
  // The Variables panel: the goroutine's id and its loop variable k.
  await page.waitForFunction(() => {
    const names = [...document.querySelectorAll('.jp-DebuggerVariables-name')].map(e => e.textContent);
    return names.includes('k') && names.includes('id');
  }, { timeout: 30000, polling: 200 });
  const vars = await page.evaluate(() => [...document.querySelectorAll('.jp-DebuggerVariables-body li, .jp-DebuggerVariables-body .jp-DebuggerVariables-name')]
    .map(e => e.textContent.replace(/\s+/g, ' ').trim()).filter(Boolean).slice(0, 20));
  log('variables', vars);
  const stopShot = await shot('stopped-in-goroutine');

  // Next (F10): the goroutine moves on to its loop's k++ (line 7), the others run on.
  await page.evaluate(() => window.jupyterapp.commands.execute('debugger:next'));
  await page.waitForFunction(line => {
    const frames = [...document.querySelectorAll('.jp-DebuggerCallstackFrame-location')];
    return frames.some(f => f.textContent.endsWith(':' + line));
  }, { timeout: 30000, polling: 200 }, breakLine - 1);
  log('after next', await page.evaluate(() => [...document.querySelectorAll('.jp-DebuggerCallstackFrame')].map(f => f.textContent)));
  await shot('after-next');

  // Remove the breakpoint (click again), then Continue until the cell has finished.
  await page.mouse.click(at.x, at.y);
  await sleep(1000);
  for (let i = 0; i < 20; i++) {
    const done = await page.evaluate(() => {
      const c = window.jupyterapp.shell.currentWidget.content.widgets[0];
      return c.model.executionCount !== null && c.model.executionState !== 'running';
    });
    if (done) break;
    await page.evaluate(() => window.jupyterapp.commands.execute('debugger:continue'));
    await sleep(500);
  }
  const out = await page.evaluate(() => window.jupyterapp.shell.currentWidget.content.widgets[0].model.outputs.toJSON()
    .map(o => (Array.isArray(o.text) ? o.text.join('') : o.text) || '').join(''));
  if (!out.endsWith('all done\n') || (out.match(/worker/g) || []).length !== 6) {
    throw new Error('the cell output after continue: ' + JSON.stringify(out));
  }
  await shot('finished');
  return { frames, variables: vars, output: out, screenshot: stopShot };
}

async function main() {
  const base = process.env.QUIRE_LAB_URL;
  const build = process.env.QUIRE_LAB_BUILD;
  const shots = process.env.QUIRE_LAB_SHOTS;
  const profile = process.env.QUIRE_LAB_PROFILE;
  const notebook = process.argv[2];
  if (!base || !build || !shots || !profile || !notebook) {
    console.error('debugger_lab.cjs: set QUIRE_LAB_URL, QUIRE_LAB_BUILD, QUIRE_LAB_SHOTS, QUIRE_LAB_PROFILE; give the notebook');
    process.exit(2);
  }
  const puppeteer = createRequire(path.join(build, 'node_modules', 'x.js'))('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1280, height: 900 },
    protocolTimeout: 300000
  });
  const t0 = Date.now();
  const result = { scenario: 'debugger_breakpoint' };
  const errors = [];
  const page = await browser.newPage();
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    result.detail = await run(page, base, shots, notebook);
    result.detail.consoleErrors = errors;
    result.status = 'pass';
  } catch (e) {
    result.status = 'fail';
    result.detail = { error: String(e && e.stack || e), consoleErrors: errors };
    try { await page.screenshot({ path: path.join(shots, 'jupyterlab-debugger-failed.png') }); } catch (_) { /* gone */ }
  } finally {
    await browser.close();
  }
  result.seconds = (Date.now() - t0) / 1000;
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.status === 'pass' ? 0 : 1);
}

if (require.main === module) {
  main();
}
module.exports = { run, debugCell, breakLine };
