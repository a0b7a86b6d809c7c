"""The folder of the Streamlit entry script, ``app.py`` (``chainrisk ui`` serves it).

It is a folder of its own because Streamlit puts the entry's folder on ``sys.path`` and
takes a ``pages/`` folder beside the entry for its old multipage layout: next to
``chainrisk/ui/pages`` the entry would be run the old way.
"""
