"""The Reti course's JupyterLab 3.6: the app built from npm into ./build, served by jupyterlab_server's
LabServerApp on jupyter_server (Debian 12: python3-jupyterlab-server, python3-jupyter-server), after
JupyterLab's examples/app/main.py. Started by `npm run lab` (scripts/lab.ts) when no `jupyter lab` is
installed; any jupyter_server option works, e.g. `--ServerApp.root_dir=notebooks --port=8888`.
Settings and workspaces live in RETI_LAB_DATA (default ~/.local/share/jupyter/reti-lab).
RETI_LAB_DISABLED="id1,id2" leaves those plugins out, e.g. "@jupyterlab/plotly-extension:factory" for
JupyterLab as `pip install jupyterlab` alone gives it: figures drawn from their HTML, not by plotly's renderer."""
import json
import os

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("RETI_LAB_BUILD", os.path.join(HERE, "build"))
DATA = os.environ.get(
    "RETI_LAB_DATA",
    os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "jupyter", "reti-lab"),
)

# Configuration files on disk (a user's jupyter_server_config.py) do not change this app.
os.environ["JUPYTER_NO_CONFIG"] = "1"

with open(os.path.join(HERE, "package.json")) as f:
    VERSION = json.load(f)["version"]


def _jupyter_server_extension_points():
    return [{"module": "main", "app": RetiLab}]


class RetiLab(LabServerApp):
    name = "reti_lab"
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab 3.6 (Reti course)"
    app_version = VERSION
    # The course's defaults (settings/overrides.json): long code lines wrap instead of being cut off, as in
    # the classic Notebook's course config (issue 19).
    app_settings_dir = os.path.join(HERE, "settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.path.join(DATA, "user-settings")
    workspaces_dir = os.path.join(DATA, "workspaces")

    def initialize_settings(self):
        super().initialize_settings()
        settings = self.serverapp.web_app.settings
        settings["terminals_available"] = False
        # MathJax from the build (copied from npm's mathjax 2.7.9), not from a CDN.
        settings["mathjax_url"] = self.static_url_prefix + "mathjax/MathJax.js"
        settings["page_config_hook"] = disable_plugins


def disable_plugins(handler, page_config):
    """Adds RETI_LAB_DISABLED's plugin ids to the page's disabledExtensions (index.js leaves them out)."""
    disabled = [p for p in os.environ.get("RETI_LAB_DISABLED", "").split(",") if p]
    if disabled:
        current = page_config.get("disabledExtensions", [])
        if isinstance(current, dict):
            current = [k for k, v in current.items() if v]
        page_config["disabledExtensions"] = list(current) + disabled
    return page_config


if __name__ == "__main__":
    RetiLab.launch_instance()
