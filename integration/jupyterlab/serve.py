"""Serves quire's test build of JupyterLab (setup.sh) on jupyter_server with Debian's
jupyterlab_server, as JupyterLab's own `jupyter lab` would serve its build.

    /usr/bin/python3 serve.py BUILD_DIR --ServerApp.port=8888 --ServerApp.root_dir=NOTEBOOKS ...

Settings, workspaces and the page config are kept in a temporary directory (QUIRE_LAB_STATE,
else one made here), so every run starts from the defaults.

JupyterLab 4 also calls endpoints that Debian's jupyter_server 1.23 lacks, and logs an error in
the browser console for each: /api/me (who the user is) and the /api/events/subscribe websocket
(server events) of jupyter_server 2, and /lsp/status of jupyter-lsp (which pip installs with
JupyterLab). They are served here as those do for an anonymous user with no events and no
language servers, so that the console shows only what the kernel causes."""

import os
import sys
import tempfile

import json

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyterlab_server import LabServerApp
from tornado import web, websocket
from traitlets import default


class MeHandler(APIHandler):
    """/api/me as jupyter_server 2 answers it for an anonymous user."""

    @web.authenticated
    def get(self):
        identity = {"username": "quire-test", "name": "quire test", "display_name": "quire test",
                    "initials": "QT", "avatar_url": None, "color": None}
        self.finish(json.dumps({"identity": identity, "permissions": {}}))


class LSPStatusHandler(APIHandler):
    """/lsp/status of jupyter-lsp (which JupyterLab's LSP extension asks), with no servers."""

    @web.authenticated
    def get(self):
        self.finish(json.dumps({"version": 2, "sessions": {}, "specs": {}}))


class EventsHandler(websocket.WebSocketHandler, JupyterHandler):
    """/api/events/subscribe: a websocket on which no event ever comes."""

    def check_origin(self, origin):
        return True

    def on_message(self, message):
        pass


class QuireTestLab(LabServerApp):
    name = "lab"
    app_name = "JupyterLab"
    app_version = "4.6"
    load_other_extensions = False
    default_url = "/lab"

    build_dir = ""
    state_dir = ""

    @default("static_dir")
    def _static_dir(self):
        return os.path.join(self.build_dir, "static")

    @default("templates_dir")
    def _templates_dir(self):
        return os.path.join(self.build_dir, "templates")

    @default("schemas_dir")
    def _schemas_dir(self):
        return os.path.join(self.build_dir, "schemas")

    @default("themes_dir")
    def _themes_dir(self):
        return os.path.join(self.build_dir, "themes")

    @default("app_settings_dir")
    def _app_settings_dir(self):
        return os.path.join(self.state_dir, "app-settings")

    @default("user_settings_dir")
    def _user_settings_dir(self):
        return os.path.join(self.state_dir, "user-settings")

    @default("workspaces_dir")
    def _workspaces_dir(self):
        return os.path.join(self.state_dir, "workspaces")

    def initialize_handlers(self):
        super().initialize_handlers()
        self.serverapp.web_app.add_handlers(".*$", [
            (r"/api/me", MeHandler),
            (r"/api/events/subscribe", EventsHandler),
            (r"/lsp/status", LSPStatusHandler),
        ])

    @default("labextensions_path")
    def _labextensions_path(self):
        return []  # no federated extensions: everything is in the bundle


def _jupyter_server_extension_points():
    # jupyter_server finds the app to start through its module (this file, run as __main__).
    return [{"module": __name__, "app": QuireTestLab}]


def main():
    if len(sys.argv) < 2 or not os.path.isfile(os.path.join(sys.argv[1], ".complete")):
        sys.exit("usage: serve.py BUILD_DIR [jupyter_server options]; BUILD_DIR is what setup.sh printed")
    QuireTestLab.build_dir = os.path.abspath(sys.argv[1])
    QuireTestLab.state_dir = os.environ.get("QUIRE_LAB_STATE") or tempfile.mkdtemp(prefix="quire-lab-")
    for sub in ("app-settings", "user-settings", "workspaces"):
        os.makedirs(os.path.join(QuireTestLab.state_dir, sub), exist_ok=True)
    # No "get notified about Jupyter news?" toast over the screenshots, and no fetching news.
    with open(os.path.join(QuireTestLab.state_dir, "app-settings", "overrides.json"), "w") as f:
        json.dump({"@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"}}, f)
    QuireTestLab.launch_instance(argv=sys.argv[2:])


if __name__ == "__main__":
    main()
