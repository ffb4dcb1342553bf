// The widgets scenario of quire's JupyterLab test, in the shape of scenarios.cjs (branch lab):
// it exports { widget_slider(page, h) }, where h holds that file's helpers (openNotebook,
// waitIdle, cells, command, runCell, outputText, shot, sleep, sec). scenarios.cjs can take it
// with
//
//   widget_slider: page => require('./widgets.cjs').widget_slider(page, helpers),
//
// Run alone, it is its own small harness with the same environment and output (one JSON line):
//
//   QUIRE_LAB_URL=http://127.0.0.1:PORT QUIRE_LAB_BUILD=DIR QUIRE_LAB_SHOTS=DIR \
//   QUIRE_LAB_PROFILE=DIR node widgets.cjs
//
// The server's root must hold widgets_demo.ipynb (integration/testdata).
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

// widget_slider opens the demo notebook, runs its widget cell, drags the slider's handle as a
// user would, and checks that the Go callback redrew the caption and the timeline, that a cell
// reads the new value, and that after saving and reloading the page JupyterLab's widget
// manager gets the widgets back from the kernel (jupyter.widget.control, request_states).
async function widget_slider(page, h) {
  await h.openNotebook(page, 'widgets', 'widgets_demo.ipynb');
  await h.runCell(page, 1);
  await h.waitIdle(page, 60);
  const handle = await page.waitForSelector('.jp-OutputArea .widget-slider .noUi-handle', { visible: true, timeout: h.sec(30) });
  await page.waitForSelector('.jp-OutputArea .widget-output svg', { visible: true, timeout: h.sec(30) });
  const state = () => page.evaluate(() => ({
    readout: (document.querySelector('.jp-OutputArea .widget-readout') || {}).textContent,
    caption: [...document.querySelectorAll('.jp-OutputArea .widget-label')].map(e => e.textContent).find(t => / workers: /.test(t)),
    svg: (document.querySelector('.jp-OutputArea .widget-output svg') || {}).outerHTML || ''
  }));
  const before = await state();
  if (!/^2 workers: /.test(before.caption || '')) throw new Error('caption before the move: ' + JSON.stringify(before.caption));
  await h.shot(page, 'widget-slider-before');

  // Drag the handle to about 6 (of 1..8) along the slider's track.
  const track = await page.$('.jp-OutputArea .widget-slider .noUi-base');
  const tb = await track.boundingBox();
  const hb = await handle.boundingBox();
  const x0 = hb.x + hb.width / 2;
  const y = hb.y + hb.height / 2;
  const x1 = tb.x + tb.width * (6 - 1) / (8 - 1);
  await page.mouse.move(x0, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(x0 + (x1 - x0) * i / 10, y);
    await h.sleep(30);
  }
  await page.mouse.up();
  const t0 = Date.now();
  const moved = await page.waitForFunction(() => {
    const r = document.querySelector('.jp-OutputArea .widget-readout');
    const n = r && r.textContent.trim();
    const c = [...document.querySelectorAll('.jp-OutputArea .widget-label')].some(e => e.textContent.startsWith(n + ' workers: '));
    return n && n !== '2' && c && n;
  }, { timeout: h.sec(30), polling: 50 });
  const n = await moved.jsonValue();
  await page.waitForFunction(old => {
    const s = document.querySelector('.jp-OutputArea .widget-output svg');
    return s && s.outerHTML !== old;
  }, { timeout: h.sec(30), polling: 50 }, before.svg);
  const redrawMs = Date.now() - t0;
  const after = await state();
  await page.evaluate(() => document.querySelector('.jp-OutputArea .widget-output svg').scrollIntoView({ block: 'end' }));
  await h.sleep(200);
  await h.shot(page, 'widget-slider-moved');

  // A later cell reads the value the callback saw.
  await h.runCell(page, 2);
  await h.waitIdle(page, 30);
  const got = h.outputText((await h.cells(page))[2].outputs).trim();
  if (got !== n) throw new Error(`workers.Value() = ${JSON.stringify(got)} after the slider showed ${n}`);

  // Save, reload: the widget manager asks the kernel for every widget's state.
  await h.command(page, 'docmanager:save');
  await h.sleep(500);
  await page.reload({ waitUntil: 'load' });
  await h.openNotebook(page, 'widgets', 'widgets_demo.ipynb');
  const restored = await page.waitForFunction(() => {
    const r = document.querySelector('.jp-OutputArea .widget-readout');
    return r && r.textContent.trim();
  }, { timeout: h.sec(30), polling: 100 });
  const back = await restored.jsonValue();
  await h.shot(page, 'widget-slider-reloaded');
  if (back !== n) throw new Error(`after a reload the slider shows ${back}, want ${n}`);
  return `slider dragged 2 -> ${n}: caption ${JSON.stringify(after.caption)}, caption and timeline redrawn ${redrawMs} ms after the mouse was released; ` +
    `workers.Value() = ${got}; after save and reload the widgets came back from the kernel at ${back}`;
}

module.exports = { widget_slider };

// ---- standalone harness (the helpers are those of scenarios.cjs, in short) ----

if (require.main === module) {
  const base = process.env.QUIRE_LAB_URL;
  const build = process.env.QUIRE_LAB_BUILD;
  const shots = process.env.QUIRE_LAB_SHOTS;
  const profile = process.env.QUIRE_LAB_PROFILE;
  const slow = Number(process.env.QUIRE_LAB_TIMEOUT_SCALE || 1);
  if (!base || !build || !shots || !profile) {
    console.error('widgets.cjs: set QUIRE_LAB_URL, QUIRE_LAB_BUILD, QUIRE_LAB_SHOTS and QUIRE_LAB_PROFILE');
    process.exit(2);
  }
  const puppeteer = createRequire(path.join(build, 'node_modules', 'x.js'))('puppeteer-core');
  const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
  const h = {
    sleep: ms => new Promise(r => setTimeout(r, ms)),
    sec: s => s * 1000 * slow,
    async openNotebook(page, scenario, file) {
      await page.goto(`${base}/lab/workspaces/${scenario}/tree/${file}`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.quireLabRestored === 'true' || document.body.dataset.quireLabError,
        { timeout: h.sec(90) });
      const err = await page.evaluate(() => document.body.dataset.quireLabError);
      if (err) throw new Error('JupyterLab did not start: ' + err);
      await page.waitForFunction(f => {
        const w = window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return w && w.context && w.context.path === f && k && k.status === 'idle' && k.connectionStatus === 'connected';
      }, { timeout: h.sec(90), polling: 100 }, file);
      log(scenario, 'notebook', file, 'open, kernel idle');
    },
    async waitIdle(page, seconds) {
      await page.waitForFunction(() => {
        const w = window.jupyterapp.shell.currentWidget;
        const k = w.sessionContext.session && w.sessionContext.session.kernel;
        if (!k || k.status !== 'idle') return false;
        return w.content.widgets.every(c => c.model.type !== 'code' || c.model.executionState !== 'running');
      }, { timeout: h.sec(seconds), polling: 100 });
      await h.sleep(200);
    },
    cells: page => page.evaluate(() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => ({
      type: c.model.type,
      source: c.model.sharedModel.getSource(),
      count: c.model.type === 'code' ? c.model.executionCount : null,
      outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : []
    }))),
    command: (page, id, args) => page.evaluate((id, args) => window.jupyterapp.commands.execute(id, args || {}), id, args),
    async runCell(page, i) {
      await page.evaluate(i => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }, i);
      await h.command(page, 'notebook:run-cell');
    },
    outputText: outs => outs.map(o => {
      if (o.output_type === 'stream') return [].concat(o.text).join('');
      if (o.output_type === 'error') return `${o.ename}: ${o.evalue}`;
      return [].concat((o.data || {})['text/plain'] || []).join('');
    }).join(''),
    async shot(page, name) {
      const file = path.join(shots, `jupyterlab-${name}.png`);
      await page.screenshot({ path: file });
      log('screenshot', file);
      return file;
    }
  };
  (async () => {
    fs.mkdirSync(shots, { recursive: true });
    const browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
      defaultViewport: { width: 1280, height: 900 }, protocolTimeout: h.sec(300)
    });
    const result = { scenario: 'widget_slider' };
    const errors = [];
    const t0 = Date.now();
    try {
      const page = await browser.newPage();
      page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', e => errors.push('uncaught: ' + (e && e.message)));
      try {
        result.detail = await widget_slider(page, h);
        result.status = 'pass';
      } catch (e) {
        Object.assign(result, { status: 'fail', detail: String(e && e.stack || e) });
        try { await h.shot(page, 'widget_slider-failed'); } catch (_) { /* gone */ }
      }
      try {
        await page.evaluate(() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown());
      } catch (_) { /* ignore */ }
    } finally {
      await browser.close();
    }
    result.seconds = (Date.now() - t0) / 1000;
    result.console_errors = errors;
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exitCode = result.status === 'pass' ? 0 : 1;
  })().catch(e => { console.error(e); process.exit(2); });
}
