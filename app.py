from chainrisk.ui.entry.app import main  # the packaged entry; here for `streamlit run app.py`

main()
