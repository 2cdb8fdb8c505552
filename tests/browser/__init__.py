"""The browser harness: a throw-away JupyterLab on loopback and Chromium pages driving it."""
