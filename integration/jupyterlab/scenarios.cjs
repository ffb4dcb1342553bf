// Browser scenarios of quire's JupyterLab test, run by integration/jupyterlab_test.go:
//
//   QUIRE_LAB_URL=http://127.0.0.1:PORT QUIRE_LAB_BUILD=DIR QUIRE_LAB_SHOTS=DIR \
//   QUIRE_LAB_PROFILE=DIR node scenarios.cjs [SCENARIO...]
//
// DIR of QUIRE_LAB_BUILD is what setup.sh printed (puppeteer-core is in its node_modules).
// Each scenario opens its own notebook (written by the Go test) in a fresh tab of one headless
// Chromium, drives JupyterLab as a user would (commands, toolbar buttons, keys) and prints one
// JSON line on stdout: {"scenario", "status": "pass" | "fail" | "skip", "detail", "seconds"}.
// Progress goes to stderr. Screenshots go to QUIRE_LAB_SHOTS.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const base = process.env.QUIRE_LAB_URL;
const build = process.env.QUIRE_LAB_BUILD;
const shots = process.env.QUIRE_LAB_SHOTS;
const profile = process.env.QUIRE_LAB_PROFILE;
const stopTries = Number(process.env.QUIRE_LAB_STOP_TRIES || 10);
const slow = Number(process.env.QUIRE_LAB_TIMEOUT_SCALE || 1);
if (!base || !build || !shots || !profile) {
  console.error('scenarios.cjs: set QUIRE_LAB_URL, QUIRE_LAB_BUILD, QUIRE_LAB_SHOTS and QUIRE_LAB_PROFILE');
  process.exit(2);
}
const puppeteer = createRequire(path.join(build, 'node_modules', 'x.js'))('puppeteer-core');

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const sec = s => s * 1000 * slow;

class Skip extends Error {}

// ---- helpers: what runs in the page goes through window.jupyterapp (src/index.js) ----

async function openNotebook(page, scenario, file) {
  // A workspace per scenario, so a tab's layout never reopens another scenario's notebook.
  await page.goto(`${base}/lab/workspaces/${scenario}/tree/${file}`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.quireLabRestored === 'true' || document.body.dataset.quireLabError,
    { timeout: sec(90) });
  const err = await page.evaluate(() => document.body.dataset.quireLabError);
  if (err) throw new Error('JupyterLab did not start: ' + err);
  await page.waitForFunction(f => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return w && w.context && w.context.path === f && k && k.status === 'idle' && k.connectionStatus === 'connected';
  }, { timeout: sec(90), polling: 100 }, file);
  log(scenario, 'notebook', file, 'open, kernel idle');
}

// waitIdle waits until no cell is queued or running and the kernel is idle.
async function waitIdle(page, seconds) {
  await page.waitForFunction(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    if (!k || k.status !== 'idle') return false;
    return w.content.widgets.every(c => c.model.type !== 'code' || c.model.executionState !== 'running');
  }, { timeout: sec(seconds), polling: 100 });
  // A cell queued behind another shows "running" only once sent; settle for a moment.
  await sleep(200);
}

// cells returns what a user sees of each cell: type, source, execution count, outputs, tags.
function cells(page) {
  return page.evaluate(() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => ({
    type: c.model.type,
    source: c.model.sharedModel.getSource(),
    count: c.model.type === 'code' ? c.model.executionCount : null,
    outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
    tags: c.model.getMetadata('tags') || []
  })));
}

// command starts a JupyterLab command, as a menu item or key does, without waiting for it to
// finish (running a cell finishes when the cell does, which may wait for this script).
function command(page, id, args) {
  return page.evaluate((id, args) => {
    window.jupyterapp.commands.execute(id, args || {}).catch(e => console.error(`command ${id} failed`, e));
  }, id, args);
}

// runCell selects cell i and runs it (Shift+Enter's command, without moving on).
async function runCell(page, i) {
  await page.evaluate(i => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }, i);
  await command(page, 'notebook:run-cell');
}

function outputText(outs) {
  return outs.map(o => {
    if (o.output_type === 'stream') return Array.isArray(o.text) ? o.text.join('') : o.text;
    if (o.output_type === 'error') return `${o.ename}: ${o.evalue}`;
    const d = o.data || {};
    const t = d['text/plain'];
    return Array.isArray(t) ? t.join('') : (t || '');
  }).join('');
}

const hasError = outs => outs.some(o => o.output_type === 'error');

async function shot(page, name) {
  const file = path.join(shots, `jupyterlab-${name}.png`);
  await page.screenshot({ path: file });
  log('screenshot', file);
  return file;
}

// editCell puts the cursor at the end of cell i's editor (edit mode), as a click would.
async function editCellEnd(page, i) {
  await page.evaluate(i => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    nb.activeCellIndex = i;
    nb.mode = 'edit';
    const ed = nb.activeCell.editor;
    const lines = ed.lineCount;
    const last = ed.getLine(lines - 1) || '';
    ed.setCursorPosition({ line: lines - 1, column: last.length });
    ed.focus();
  }, i);
  await sleep(200);
}

// ---- scenarios ----

const scenarios = {
  // A lesson notebook, Run All, to the end: every code cell runs, errors only where the lesson
  // means them (cells tagged raises-exception), the timing reports render.
  async lesson_run_all(page) {
    await openNotebook(page, 'lesson', '02-threads.ipynb');
    await command(page, 'notebook:run-all-cells');
    await waitIdle(page, 240);
    const cs = (await cells(page)).filter(c => c.type === 'code' && c.source.trim() !== '');
    const notRun = cs.filter(c => c.count === null).length;
    const badErrors = cs.filter(c => hasError(c.outputs) && !c.tags.includes('raises-exception'));
    const svg = cs.filter(c => c.outputs.some(o => o.data && (o.data['image/svg+xml'] || /<svg/.test([].concat(o.data['text/html'] || []).join(''))))).length;
    const tables = cs.filter(c => c.outputs.some(o => o.data && /<table/.test([].concat(o.data['text/html'] || []).join('')))).length;
    await shot(page, 'lesson-run-all');
    const detail = `${cs.length} code cells, ${cs.length - notRun} ran; ${svg} with SVG, ${tables} with HTML tables; errors outside raises-exception cells: ${badErrors.length}`;
    if (notRun || badErrors.length || svg < 1 || tables < 1) {
      throw new Error(detail + (badErrors.length ? ': ' + outputText(badErrors[0].outputs).slice(0, 300) : ''));
    }
    return detail;
  },

  // Run All stops at the first failing cell, try after try (the kernel's stop-on-error window).
  async run_all_stops(page) {
    await openNotebook(page, 'stop', 'stop.ipynb');
    const results = [];
    for (let t = 0; t < stopTries; t++) {
      await command(page, 'notebook:clear-all-cell-outputs');
      // The window of the last try's error must be over, or the first cell would be aborted.
      await sleep(400);
      await command(page, 'notebook:run-all-cells');
      await waitIdle(page, 60);
      const cs = await cells(page);
      const failing = cs.findIndex(c => hasError(c.outputs));
      if (failing !== 1 || cs[0].count === null) {
        throw new Error(`try ${t + 1}: the first cell should run and the second fail; got ${JSON.stringify(cs.map(c => [c.count, outputText(c.outputs).slice(0, 60)]))}`);
      }
      const past = cs.map((c, i) => [c, i]).slice(2).filter(([c]) => c.count !== null || c.outputs.length > 0);
      const ranPast = past.length;
      results.push(ranPast);
      log('run_all_stops try', t + 1, 'cells run past the error:', ranPast, ranPast ? JSON.stringify(past.map(([c, i]) => `cell ${i + 1}: In [${c.count}]`)) : '');
    }
    await shot(page, 'run-all-stops');
    const stopped = results.filter(n => n === 0).length;
    const detail = `stopped at the error in ${stopped} of ${stopTries} tries (cells run past it: ${results.join(' ')})`;
    if (stopped !== stopTries) throw new Error(detail);
    return detail;
  },

  // An endless loop interrupted from the toolbar keeps the declarations; a restart from the
  // toolbar starts a fresh session.
  async interrupt_restart(page) {
    await openNotebook(page, 'interrupt', 'interrupt.ipynb');
    await runCell(page, 0);
    await waitIdle(page, 30);
    await runCell(page, 1);
    await page.waitForFunction(() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.executionState === 'running',
      { timeout: sec(20), polling: 50 });
    await sleep(500);
    const t0 = Date.now();
    await page.click('.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]');
    await waitIdle(page, 20);
    const interruptMs = Date.now() - t0;
    let cs = await cells(page);
    if (!hasError(cs[1].outputs)) throw new Error('the interrupted cell shows no error: ' + JSON.stringify(cs[1].outputs));
    await runCell(page, 2);
    await waitIdle(page, 20);
    cs = await cells(page);
    if (outputText(cs[2].outputs).trim() !== '42') throw new Error('after the interrupt, kept + 1 = ' + JSON.stringify(outputText(cs[2].outputs)));
    await shot(page, 'interrupted');

    await page.click('.jp-NotebookPanel-toolbar [data-command="notebook:restart-kernel"]');
    await page.waitForSelector('.jp-Dialog .jp-mod-accept', { timeout: sec(10) });
    await shot(page, 'restart-dialog');
    await page.click('.jp-Dialog .jp-mod-accept');
    // The kernel restarts, then is idle again.
    await page.waitForFunction(() => {
      const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      return k && k.status === 'idle' && !document.querySelector('.jp-Dialog');
    }, { timeout: sec(30), polling: 100 });
    await sleep(300);
    await runCell(page, 3);
    await waitIdle(page, 20);
    await runCell(page, 4);
    await waitIdle(page, 20);
    cs = await cells(page);
    if (cs[3].count !== 1 || outputText(cs[3].outputs).trim() !== '2') {
      throw new Error(`after the restart, 1 + 1: In [${cs[3].count}] ${JSON.stringify(outputText(cs[3].outputs))}; want In [1] 2`);
    }
    if (!/undefined: kept/.test(outputText(cs[4].outputs))) {
      throw new Error('after the restart, kept should be undefined: ' + JSON.stringify(outputText(cs[4].outputs)));
    }
    await shot(page, 'restarted');
    return `interrupt answered in ${interruptMs} ms (click to idle), declarations kept; restart gave a fresh session`;
  },

  // A cell reading a line from os.Stdin gets JupyterLab's input box.
  async stdin(page) {
    await openNotebook(page, 'stdin', 'stdin.ipynb');
    await runCell(page, 0);
    const input = await page.waitForSelector('.jp-Stdin-input', { timeout: sec(20) });
    await input.type('Ada');
    await shot(page, 'stdin');
    await input.press('Enter');
    await waitIdle(page, 20);
    const got = outputText((await cells(page))[0].outputs);
    if (!/hello, Ada/.test(got)) throw new Error('output ' + JSON.stringify(got));
    return 'input_request answered: ' + JSON.stringify(got.trim());
  },

  // Tab after "fmt.Pr" lists fmt's functions.
  async tab_completion(page) {
    await openNotebook(page, 'complete', 'complete.ipynb');
    await runCell(page, 0);
    await waitIdle(page, 20);
    await editCellEnd(page, 1);
    await page.keyboard.press('Tab');
    await page.waitForSelector('.jp-Completer .jp-Completer-item', { visible: true, timeout: sec(10) });
    const items = await page.$$eval('.jp-Completer .jp-Completer-item', els => els.map(e => e.textContent.trim()));
    await shot(page, 'tab-completion');
    if (!items.some(i => /Println/.test(i)) || !items.some(i => /Printf/.test(i))) {
      throw new Error('completer items ' + JSON.stringify(items));
    }
    // Choosing Println puts it into the cell.
    const idx = items.findIndex(i => /Println/.test(i));
    const els = await page.$$('.jp-Completer .jp-Completer-item');
    await els[idx].click();
    await sleep(300);
    const src = (await cells(page))[1].source;
    if (!/fmt\.Println/.test(src)) throw new Error('after choosing Println the cell reads ' + JSON.stringify(src));
    return 'completer offered ' + JSON.stringify(items.slice(0, 6)) + '; choosing Println inserted it';
  },

  // Shift+Tab on fmt.Println shows its documentation in a tooltip, without anchors.
  async shift_tab_docs(page) {
    await openNotebook(page, 'docs', 'docs.ipynb');
    await runCell(page, 0);
    await waitIdle(page, 20);
    await editCellEnd(page, 1);
    await page.keyboard.down('Shift');
    await page.keyboard.press('Tab');
    await page.keyboard.up('Shift');
    const tip = await page.waitForSelector('.jp-Tooltip', { visible: true, timeout: sec(10) });
    await sleep(300);
    const text = await tip.evaluate(e => e.textContent);
    await shot(page, 'shift-tab-docs');
    if (!/Println/.test(text) || !/format/i.test(text)) throw new Error('tooltip ' + JSON.stringify(text.slice(0, 300)));
    if (/\{#hdr-/.test(text)) throw new Error('tooltip shows {#hdr-...} anchors: ' + JSON.stringify(text.slice(0, 300)));
    return 'tooltip: ' + JSON.stringify(text.replace(/\s+/g, ' ').trim().slice(0, 120));
  },

  // A breakpoint in a goroutine: the stop in the Callstack panel, the goroutine's variables in
  // the Variables panel, Next, then Continue to the cell's end (../testdata/debugger_lab.cjs).
  async debugger_breakpoint(page) {
    const r = await require('../testdata/debugger_lab.cjs').run(page, base, shots, 'debug.ipynb');
    return { frames: r.frames, variables: r.variables, screenshot: r.screenshot };
  },

  // An ipywidgets slider dragged: the Go callback redraws a caption and a timeline, a cell
  // reads the new value, and a reload gets the widgets back from the kernel (widgets.cjs).
  async widget_slider(page) {
    return require('./widgets.cjs').widget_slider(page, { openNotebook, waitIdle, cells, command, runCell, outputText, shot, sleep, sec });
  }
};

// The debugger extension must log no errors about a kernel without a debugger; every console
// error of every page is kept and reported at the end.
const consoleErrors = [];

async function main() {
  // The Go test holds our stdin open: when it ends, for whatever reason, so do we, and the
  // browser with us (puppeteer starts Chromium in a process group of its own).
  let browser;
  process.stdin.on('end', async () => {
    log('stdin closed: the test is gone; closing the browser');
    try { if (browser) await browser.close(); } finally { process.exit(3); }
  });
  process.stdin.resume();
  const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
  fs.mkdirSync(shots, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1280, height: 900 },
    protocolTimeout: sec(300)
  });
  let failed = 0;
  try {
    for (const name of chosen) {
      const fn = scenarios[name];
      const t0 = Date.now();
      const result = { scenario: name };
      if (!fn) {
        Object.assign(result, { status: 'fail', detail: 'no such scenario' });
      } else {
        const page = await browser.newPage();
        page.on('console', m => {
          if (m.type() === 'error') consoleErrors.push({ scenario: name, text: m.text() });
        });
        page.on('pageerror', e => consoleErrors.push({ scenario: name, text: 'uncaught: ' + (e && (e.stack || e.message)) }));
        log('scenario', name);
        try {
          result.detail = await fn(page);
          result.status = 'pass';
        } catch (e) {
          if (e instanceof Skip) {
            Object.assign(result, { status: 'skip', detail: e.message });
          } else {
            Object.assign(result, { status: 'fail', detail: String(e && e.stack || e) });
            try { await shot(page, name + '-failed'); } catch (_) { /* the page may be gone */ }
          }
        }
        try {
          // Let the requests JupyterLab has in flight get their replies first (the debugger
          // extension sends a debug_request after each execute_reply): shutting the kernel down
          // under them makes JupyterLab reject their futures ("Canceled future for
          // debug_request"), whatever the kernel. A kernel that never answers still shows:
          // after 5 s we go on and the console error is reported.
          await page.waitForFunction(() => {
            const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
            // An output area keeps its execute_request's future until the cell runs again
            // (disposeOnDone false), so only the other requests are waited for.
            return !k || !k._futures || [...k._futures.values()].every(f => f.msg.header.msg_type === 'execute_request');
          }, { timeout: 5000, polling: 50 }).catch(async () => log(name, 'requests still in flight at shutdown:',
            await page.evaluate(() => {
              const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
              return [...k._futures.values()].map(f => f.msg.header.msg_type + (f.msg.content && f.msg.content.command ? ' ' + f.msg.content.command : ''));
            }).catch(e => String(e))));
          // Shut the notebook's kernel down: the next scenario should not compete with it.
          await page.evaluate(() => {
            const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            return w && w.sessionContext ? w.sessionContext.shutdown() : null;
          });
        } catch (_) { /* ignore */ }
        await page.close();
      }
      result.seconds = (Date.now() - t0) / 1000;
      if (result.status === 'fail') failed++;
      process.stdout.write(JSON.stringify(result) + '\n');
    }
  } finally {
    await browser.close();
  }
  // JupyterLab 4.6's debugger extension calls the debugger service's displayModules on every
  // execute_reply of every notebook (Debugger.Handler.executionDone), and that throws "No
  // active debugger session" when no kernel with a debugger was ever seen: one unhandled
  // rejection per cell for any kernel whose spec says "debugger": false. Only a kernel that
  // says true and answers debug_request (the debugger) is spared; until then they are counted
  // apart from the other errors, which fail the test. (ipykernel under a kernelspec saying
  // false gets the same error for each cell in this build; under its own, true, none.)
  const isNoSession = e => /No active debugger session/.test(e.text) && /displayModules/.test(e.text);
  const noSession = consoleErrors.filter(isNoSession);
  const others = consoleErrors.filter(e => !isNoSession(e));
  process.stdout.write(JSON.stringify({ scenario: 'console_errors', status: others.length ? 'fail' : 'pass',
    detail: others.length ? others : 'no console errors in any scenario, apart from those of debugger_off', seconds: 0 }) + '\n');
  process.stdout.write(JSON.stringify({ scenario: 'debugger_off', status: noSession.length ? 'skip' : 'pass',
    detail: noSession.length
      ? `JupyterLab's debugger extension logged ${noSession.length} unhandled "No active debugger session" rejections (Debugger.Handler.executionDone -> DebuggerService.displayModules, once per execute_reply), as it does for every kernel whose spec says "debugger": false; the kernel cannot prevent them without a debugger (debug_request, branch dbg). First: ${noSession[0].text.split('\n').slice(0, 3).join(' ')}`
      : 'the debugger extension logged no errors', seconds: 0 }) + '\n');
  process.exitCode = failed ? 1 : 0;
}

main().then(() => process.exit(process.exitCode), e => {
  console.error(e);
  process.exit(2);
});
