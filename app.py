"""`streamlit run app.py` from a clone: the packaged app behind its gate, as `chainrisk ui`."""

from pathlib import Path

from streamlit.web.server.starlette import App

from chainrisk.ui import gate

app = App(Path(__file__).resolve().parent / "chainrisk" / "ui" / "entry" / "app.py",
          **gate.options())
