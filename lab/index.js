// The Reti course's JupyterLab 3.6, assembled from npm packages as JupyterLab's own examples/app does.
// The extension lists must match package.json's "jupyterlab" field (the build copies their schemas and themes).
import { JupyterLab } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';

// The webpack public path must be set before any CSS asset loads.
// eslint-disable-next-line no-undef
__webpack_public_path__ = PageConfig.getOption('fullStaticUrl') + '/';

const styles = import('./build/style.js');

const extensions = [
  import('@jupyterlab/application-extension'),
  import('@jupyterlab/apputils-extension'),
  import('@jupyterlab/codemirror-extension'),
  import('@jupyterlab/completer-extension'),
  import('@jupyterlab/console-extension'),
  import('@jupyterlab/docmanager-extension'),
  import('@jupyterlab/filebrowser-extension'),
  import('@jupyterlab/fileeditor-extension'),
  import('@jupyterlab/launcher-extension'),
  import('@jupyterlab/mainmenu-extension'),
  import('@jupyterlab/mathjax2-extension'),
  import('@jupyterlab/notebook-extension'),
  import('@jupyterlab/rendermime-extension'),
  import('@jupyterlab/running-extension'),
  import('@jupyterlab/settingeditor-extension'),
  import('@jupyterlab/shortcuts-extension'),
  import('@jupyterlab/statusbar-extension'),
  import('@jupyterlab/theme-light-extension'),
  import('@jupyterlab/tooltip-extension'),
  import('@jupyterlab/translation-extension'),
  import('@jupyterlab/ui-components-extension')
];

// Output renderers: JavaScript and JSON from JupyterLab, plotly figures from plotly's own renderer
// (jupyterlab-plotly, the one `pip install plotly` brings to JupyterLab) drawing with plotly.js-dist-min.
const mimeExtensions = [
  import('@jupyterlab/javascript-extension'),
  import('@jupyterlab/json-extension'),
  import('jupyterlab-plotly/lib/plotly-renderer')
];

// Plugins left out: the news announcements (they ask to fetch news from the internet, and this server has
// no news endpoint), and any plugin the page config disables (`disabledExtensions`, e.g. from the
// server's `--LabServerApp.disabled_extensions` or labconfig/page_config.json).
const LEFT_OUT = ['@jupyterlab/apputils-extension:announcements'];
function keep(plugin) {
  return !LEFT_OUT.includes(plugin.id) && !PageConfig.Extension.isDisabled(plugin.id);
}
function plugins(modules) {
  return modules.map(m => {
    const exported = m.default ?? m;
    // JupyterLab reads `default` only from modules marked as ES modules.
    return { __esModule: true, default: (Array.isArray(exported) ? exported : [exported]).filter(keep) };
  });
}

window.addEventListener('load', async function () {
  await styles;
  const lab = new JupyterLab({ mimeExtensions: plugins(await Promise.all(mimeExtensions)) });
  lab.registerPluginModules(plugins(await Promise.all(extensions)));
  await lab.start();
  await lab.restored;
  // A hook for the browser test (test/browser-lab.test.ts) and for debugging from the console.
  window.jupyterapp = lab;
});
