"""ASGI entry of chainrisk: the app (``app.py`` beside this file) behind the gate.

``chainrisk ui`` serves this module with ``streamlit run``, which finds the ``st.App``
below and runs it under uvicorn: :mod:`chainrisk.ui.gate` checks every HTTP request and
WebSocket before Streamlit sees it, and serves the sign-in form.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.web.server.starlette import App

from chainrisk.ui import gate

app = App(Path(__file__).resolve().with_name("app.py"), **gate.options())
