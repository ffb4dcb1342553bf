// The entry point of quire's test build of JupyterLab: the application shell and the
// extensions listed below, bundled by webpack into one static app (no federated extensions),
// served by jupyterlab_server (serve.py). The list is what the browser test needs and what a
// Go course uses: notebooks, consoles, completion, tooltips, the debugger, ipywidgets.
import { PageConfig } from '@jupyterlab/coreutils';
import { JupyterLab, IConnectionStatus } from '@jupyterlab/application';
import { IServiceManager } from '@jupyterlab/services';
import { PluginRegistry } from '@lumino/coreutils';

import './style.js';

// Each module's default export is a plugin or a list of plugins.
const extensionModules = {
  '@jupyterlab/application-extension': () => import('@jupyterlab/application-extension'),
  '@jupyterlab/apputils-extension': () => import('@jupyterlab/apputils-extension'),
  '@jupyterlab/codemirror-extension': () => import('@jupyterlab/codemirror-extension'),
  '@jupyterlab/completer-extension': () => import('@jupyterlab/completer-extension'),
  '@jupyterlab/console-extension': () => import('@jupyterlab/console-extension'),
  '@jupyterlab/debugger-extension': () => import('@jupyterlab/debugger-extension'),
  '@jupyterlab/docmanager-extension': () => import('@jupyterlab/docmanager-extension'),
  '@jupyterlab/filebrowser-extension': () => import('@jupyterlab/filebrowser-extension'),
  '@jupyterlab/documentsearch-extension': () => import('@jupyterlab/documentsearch-extension'),
  '@jupyterlab/fileeditor-extension': () => import('@jupyterlab/fileeditor-extension'),
  '@jupyterlab/launcher-extension': () => import('@jupyterlab/launcher-extension'),
  '@jupyterlab/logconsole-extension': () => import('@jupyterlab/logconsole-extension'),
  '@jupyterlab/lsp-extension': () => import('@jupyterlab/lsp-extension'),
  '@jupyterlab/mainmenu-extension': () => import('@jupyterlab/mainmenu-extension'),
  '@jupyterlab/markedparser-extension': () => import('@jupyterlab/markedparser-extension'),
  '@jupyterlab/mathjax-extension': () => import('@jupyterlab/mathjax-extension'),
  '@jupyterlab/notebook-extension': () => import('@jupyterlab/notebook-extension'),
  '@jupyterlab/rendermime-extension': () => import('@jupyterlab/rendermime-extension'),
  '@jupyterlab/running-extension': () => import('@jupyterlab/running-extension'),
  '@jupyterlab/services-extension': () => import('@jupyterlab/services-extension'),
  '@jupyterlab/shortcuts-extension': () => import('@jupyterlab/shortcuts-extension'),
  '@jupyterlab/statusbar-extension': () => import('@jupyterlab/statusbar-extension'),
  '@jupyterlab/theme-light-extension': () => import('@jupyterlab/theme-light-extension'),
  '@jupyterlab/tooltip-extension': () => import('@jupyterlab/tooltip-extension'),
  '@jupyterlab/metadataform-extension': () => import('@jupyterlab/metadataform-extension'),
  '@jupyterlab/toc-extension': () => import('@jupyterlab/toc-extension'),
  '@jupyterlab/translation-extension': () => import('@jupyterlab/translation-extension'),
  '@jupyterlab/ui-components-extension': () => import('@jupyterlab/ui-components-extension'),
  '@jupyter-widgets/jupyterlab-manager': () => import('@jupyter-widgets/jupyterlab-manager')
};

const mimeExtensionModules = {
  '@jupyterlab/javascript-extension': () => import('@jupyterlab/javascript-extension'),
  '@jupyterlab/json-extension': () => import('@jupyterlab/json-extension')
};

function pluginsOf(mod) {
  const exported = mod.default ?? mod;
  return Array.isArray(exported) ? exported : [exported];
}

async function load(modules, disabled, available) {
  const plugins = [];
  for (const [name, importer] of Object.entries(modules)) {
    for (const plugin of pluginsOf(await importer())) {
      const off = PageConfig.Extension.isDisabled(plugin.id);
      available.push({
        id: plugin.id,
        description: plugin.description,
        requires: plugin.requires ?? [],
        optional: plugin.optional ?? [],
        provides: plugin.provides ?? null,
        autoStart: plugin.autoStart,
        enabled: !off,
        extension: name
      });
      if (off) {
        disabled.push(plugin.id);
      } else {
        plugins.push(plugin);
      }
    }
  }
  return plugins;
}

async function main() {
  const disabled = [];
  const available = [];
  const mimeExtensions = await load(mimeExtensionModules, disabled, available);
  const plugins = await load(extensionModules, disabled, available);

  // JupyterLab 4.4+ makes the service manager and the connection status plugins
  // (services-extension): resolve them before the application exists.
  const registry = new PluginRegistry();
  registry.registerPlugins(plugins);
  const serviceManager = await registry.resolveOptionalService(IServiceManager);
  const connectionStatus = await registry.resolveOptionalService(IConnectionStatus);

  const lab = new JupyterLab({
    pluginRegistry: registry,
    serviceManager,
    connectionStatus,
    mimeExtensions,
    disabled: { matches: disabled, patterns: PageConfig.Extension.disabled.map(v => v.raw) },
    deferred: { matches: [], patterns: [] },
    availablePlugins: available
  });
  // The browser test drives the app through window.jupyterapp.
  window.jupyterapp = lab;
  await lab.start({ bubblingKeydown: true });
  await lab.restored;
  document.body.dataset.quireLabRestored = 'true';
}

main().catch(err => {
  console.error('quire test lab failed to start', err);
  document.body.dataset.quireLabError = String(err && err.stack ? err.stack : err);
});
